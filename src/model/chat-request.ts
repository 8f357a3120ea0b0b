/**
 * The chat request every provider adapter reads: OpenAI's chat-completions body, typed, plus the
 * extensions clients and the other fronts (Anthropic Messages, Responses, legacy completions) use
 * to say what only some upstreams understand. The body arrives from a client as JSON: the ingress
 * checks only what routing needs, so adapters still check each field they read (a field typed
 * `number` here may hold anything) and reject, never drop, what their upstream cannot express.
 */

/** Anthropic's prompt-caching breakpoint (the OpenRouter/LiteLLM extension on parts, messages and tools). */
export interface CacheControl {
  type: 'ephemeral';
  ttl?: '5m' | '1h';
}

export interface TextPart {
  type: 'text';
  text: string;
  cache_control?: CacheControl;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: 'auto' | 'low' | 'high' };
  cache_control?: CacheControl;
}

export interface FilePart {
  type: 'file';
  file: { file_data?: string; file_id?: string; filename?: string };
  cache_control?: CacheControl;
}

export interface AudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: string };
}

/** An assistant message's refusal, echoed back from an earlier answer. */
export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

export type ContentPart = TextPart | ImagePart | FilePart | AudioPart | RefusalPart;

/** A tool call of an assistant message. */
export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /** Google's extension: the thought signature Gemini attached to the call, sent back on the next turn. */
  extra_content?: { google?: { thought_signature?: string } };
}

/**
 * A signed reasoning block (Anthropic's thinking, the LiteLLM `thinking_blocks` extension): sent back
 * on the next turn of a tool loop so the upstream can verify its own reasoning.
 */
export type ThinkingBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';

export interface ChatMessage {
  role: ChatRole;
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[] | null;
  /** On `tool` messages: the call this answers. */
  tool_call_id?: string;
  refusal?: string | null;
  /** Reasoning text of an earlier answer (DeepSeek/vLLM name it `reasoning_content`, OpenRouter/Ollama `reasoning`). */
  reasoning_content?: string | null;
  reasoning?: string | null;
  /** Signed reasoning of an earlier answer (LiteLLM convention). */
  thinking_blocks?: ThinkingBlock[] | null;
  /** On `tool` messages: the result is an error (Anthropic `is_error`). */
  is_error?: boolean;
  cache_control?: CacheControl;
  /** Fields adapters reject when set: assistant audio, the deprecated function call, output annotations. */
  audio?: unknown;
  function_call?: unknown;
  annotations?: unknown;
}

/** A JSON object: a schema, metadata, provider-specific settings. */
export type JsonObject = { [key: string]: unknown };

export interface ToolDefinition {
  type: 'function';
  function: { name: string; description?: string; parameters?: JsonObject; strict?: boolean | null };
  cache_control?: CacheControl;
}

export type ToolChoice =
  | 'auto' | 'none' | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: JsonObject };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: JsonObject; strict?: boolean | null } };

/**
 * An upstream's own thinking setting, sent instead of `reasoning_effort`: Anthropic's (an exact
 * `budget_tokens`, or adaptive) or Cohere's (`token_budget`).
 */
export type ThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; display?: 'summarized' | 'omitted' }
  | { type: 'enabled'; token_budget?: number }
  | { type: 'adaptive'; display?: 'summarized' | 'omitted' }
  | { type: 'disabled' };

/** Anthropic's `output_config` (effort of adaptive thinking, structured output). */
export interface OutputConfig {
  effort?: 'low' | 'medium' | 'high' | 'xhigh' | 'max';
  format?: { type: 'json_schema'; schema: JsonObject };
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean } | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  presence_penalty?: number | null;
  frequency_penalty?: number | null;
  seed?: number | null;
  logit_bias?: Record<string, number> | null;
  logprobs?: boolean | null;
  top_logprobs?: number | null;
  user?: string;
  safety_identifier?: string;
  prompt_cache_key?: string;
  prompt_cache_retention?: string | null;
  service_tier?: string | null;
  metadata?: Record<string, string> | null;
  store?: boolean | null;
  modalities?: string[] | null;
  audio?: unknown;
  prediction?: unknown;
  web_search_options?: unknown;
  verbosity?: string | null;
  tools?: ToolDefinition[] | null;
  tool_choice?: ToolChoice | null;
  parallel_tool_calls?: boolean | null;
  response_format?: ResponseFormat | null;
  reasoning_effort?: string | null;
  /** Deprecated OpenAI function calling: rejected by every translating adapter. */
  functions?: unknown;
  function_call?: unknown;

  // Extensions read by some adapters.
  /** OpenRouter's reasoning object (`effort`, `max_tokens`, `exclude`, `enabled`). */
  reasoning?: { effort?: string; max_tokens?: number; exclude?: boolean; enabled?: boolean } | null;
  /** Top-k sampling (Anthropic, Gemini, Ollama, Cohere). */
  top_k?: number | null;
  /** Anthropic and Cohere: the upstream's own thinking setting. */
  thinking?: ThinkingConfig | null;
  /** Anthropic: effort and structured output as Anthropic takes them. */
  output_config?: OutputConfig | null;
  /** Anthropic: a top-level caching breakpoint. */
  cache_control?: CacheControl | null;
  /** Google's OpenAI-compatible extension (`extra_body.google.{thinking_config,safety_settings,cached_content}`). */
  extra_body?: { google?: JsonObject } | null;
  /** Ollama's own knobs, as its OpenAI layer takes them: sampling options, context size, how long the model stays loaded, thinking. */
  min_p?: number | null;
  repeat_penalty?: number | null;
  num_ctx?: number | null;
  keep_alive?: string | number | null;
  think?: boolean | 'low' | 'medium' | 'high' | null;
  /** Cohere's safety mode. */
  safety_mode?: string | null;
  /** OpenRouter-style fallback models (consumed by the ingress, never sent upstream). */
  models?: string[];
}

/** Every field of a request with its value, for the adapters' "map, warn or reject" pass over unknown fields. */
export function requestFields(req: ChatRequest): [string, unknown][] {
  return Object.entries(req) as [string, unknown][];
}
