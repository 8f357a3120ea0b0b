/** The wire protocols LocalRouter speaks upstream. Every preset maps to one of these. */
export type WireProtocol = 'openai' | 'anthropic' | 'gemini' | 'ollama' | 'cohere';

/** What the gateway asks a provider to do. */
export type Operation = 'chat' | 'models' | 'embeddings' | 'completions' | 'count_tokens';

/** A price, USD per million tokens (the config's `price_overrides` entry). */
export interface ModelPrice {
  input_per_mtok: number;
  output_per_mtok: number;
  cached_input_per_mtok?: number;
  cache_write_per_mtok?: number;
  reasoning_per_mtok?: number;
}

/** A provider as the engine needs it: preset defaults filled in, secrets resolved (they never leave the process). */
export interface ProviderRuntime {
  name: string;
  /** The preset type (for prices). */
  type: string;
  protocol: WireProtocol;
  /** Price overrides by model id. */
  prices: Record<string, ModelPrice>;
  baseUrl: string;
  apiKey: string | null;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  /** Connection pool size toward this provider. */
  maxConnections: number;
  /** Until the response headers arrive. */
  firstByteTimeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
  /** Longest a whole upstream response may take, headers to last byte; absent = no such deadline. */
  totalTimeoutMs?: number;
}
