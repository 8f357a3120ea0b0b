/**
 * The subset of the Anthropic Messages API and of OpenAI chat completions that the translators read
 * and write. Shapes follow the public API references (Anthropic `anthropic-version: 2023-06-01`,
 * OpenAI chat completions); fields not listed here are handled as unknown and rejected or ignored
 * explicitly by the translators.
 */

export type CacheControl = { type: 'ephemeral'; ttl?: '5m' | '1h' };

export interface AnthropicTextBlock { type: 'text'; text: string; cache_control?: CacheControl; citations?: unknown }
export interface AnthropicImageBlock {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
  cache_control?: CacheControl;
}
export interface AnthropicDocumentBlock {
  type: 'document';
  source: { type: 'base64'; media_type: 'application/pdf'; data: string } | { type: 'text'; media_type: 'text/plain'; data: string } | { type: 'url'; url: string };
  title?: string;
  context?: string;
  cache_control?: CacheControl;
}
export interface AnthropicThinkingBlock { type: 'thinking'; thinking: string; signature: string }
export interface AnthropicRedactedThinkingBlock { type: 'redacted_thinking'; data: string }
export interface AnthropicToolUseBlock { type: 'tool_use'; id: string; name: string; input: unknown; cache_control?: CacheControl }
export interface AnthropicToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  content?: string | (AnthropicTextBlock | AnthropicImageBlock)[];
  is_error?: boolean;
  cache_control?: CacheControl;
}

export type AnthropicThinkingLike = AnthropicThinkingBlock | AnthropicRedactedThinkingBlock;
export type AnthropicContentBlock = AnthropicTextBlock | AnthropicImageBlock | AnthropicDocumentBlock | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock | AnthropicToolUseBlock | AnthropicToolResultBlock;

export interface AnthropicMessageParam { role: 'user' | 'assistant'; content: string | AnthropicContentBlock[] }

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
  strict?: boolean;
  cache_control?: CacheControl;
}

export type AnthropicToolChoice =
  | { type: 'auto'; disable_parallel_tool_use?: boolean }
  | { type: 'any'; disable_parallel_tool_use?: boolean }
  | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean }
  | { type: 'none' };

export type AnthropicThinkingConfig =
  | { type: 'enabled'; budget_tokens: number; display?: 'summarized' | 'omitted' }
  | { type: 'adaptive'; display?: 'summarized' | 'omitted' }
  | { type: 'disabled' };

export type AnthropicEffort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';

export interface AnthropicOutputConfig {
  effort?: AnthropicEffort;
  format?: { type: 'json_schema'; schema: Record<string, unknown> };
}

/** `POST /v1/messages` request body. */
export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  stop_sequences?: string[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  thinking?: AnthropicThinkingConfig;
  output_config?: AnthropicOutputConfig;
  metadata?: { user_id?: string };
  service_tier?: 'auto' | 'standard_only';
  cache_control?: CacheControl;
}

export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal'
  | 'model_context_window_exceeded';

export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number } | null;
}

/** A `message` object: the non-streamed response, and `message_start.message`. */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicContentBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** `{"type":"error","error":{"type","message"}}`, the body of every error and the `error` stream event. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

// ---- OpenAI chat completions -------------------------------------------------------------------

export interface OpenAIContentPart {
  type: string;
  text?: string;
  refusal?: string;
  image_url?: { url: string; detail?: string };
  file?: { file_data?: string; file_id?: string; filename?: string };
  input_audio?: unknown;
  /** Extension (OpenRouter/LiteLLM convention): Anthropic prompt-caching breakpoint. */
  cache_control?: CacheControl;
}

export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIMessage {
  role: string;
  content?: string | OpenAIContentPart[] | null;
  name?: string;
  tool_calls?: OpenAIToolCall[] | null;
  tool_call_id?: string;
  refusal?: string | null;
  /** Extension: reasoning text returned by reasoning models (DeepSeek/vLLM convention). */
  reasoning_content?: string | null;
  /** Extension (LiteLLM convention): Anthropic thinking blocks with their signatures, echoed back for tool loops. */
  thinking_blocks?: AnthropicThinkingLike[] | null;
  /** Extension: Anthropic `is_error` on a tool result. */
  is_error?: boolean;
  [key: string]: unknown;
}

export interface OpenAITool {
  type: string;
  function?: { name: string; description?: string; parameters?: Record<string, unknown>; strict?: boolean | null };
  cache_control?: CacheControl;
}

export type OpenAIToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } } | { type: string };

/** An OpenAI chat-completions request body, as the gateway forwards it. */
export interface OpenAIChatRequest {
  model: string;
  messages: OpenAIMessage[];
  [key: string]: unknown;
}
