/**
 * The slice of Ollama's native API the adapter speaks (docs/api.md, docs/openapi.yaml and
 * docs/capabilities/*.mdx in the ollama repository). Answers are read defensively: every field is
 * checked where it is used.
 */

export interface OllamaToolCall {
  function: { index?: number; name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** Base64 images, no `data:` prefix (the only form Ollama accepts). */
  images?: string[];
  /** The model's earlier reasoning, for thinking models. */
  thinking?: string;
  tool_calls?: OllamaToolCall[];
  /** On `tool` messages: the function whose result this is. */
  tool_name?: string;
}

export interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters: Record<string, unknown> };
}

/** `think`: a boolean, or a level for the models that have levels (GPT-OSS). */
export type OllamaThink = boolean | 'low' | 'medium' | 'high';

export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  /** Ollama streams by default: the adapter always says which it wants. */
  stream: boolean;
  tools?: OllamaTool[];
  /** `"json"`, or a JSON schema the output must follow. */
  format?: 'json' | Record<string, unknown>;
  options?: Record<string, unknown>;
  think?: OllamaThink;
  keep_alive?: string | number;
  logprobs?: boolean;
  top_logprobs?: number;
}

export interface OllamaLogprob {
  token?: string;
  logprob?: number;
  bytes?: number[];
  top_logprobs?: { token?: string; logprob?: number; bytes?: number[] }[];
}

/** A `/api/chat` answer, or one line of its NDJSON stream. */
export interface OllamaChatChunk {
  model?: string;
  created_at?: string;
  message?: {
    role?: string;
    content?: string;
    thinking?: string;
    tool_calls?: { id?: string; function?: { name?: string; arguments?: unknown } }[];
  };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  logprobs?: OllamaLogprob[];
  /** Set instead of everything else when the request failed, also mid-stream. */
  error?: string;
}
