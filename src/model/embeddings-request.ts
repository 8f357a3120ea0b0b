/**
 * An OpenAI embeddings request (`POST /v1/embeddings`) as the ingress checked it: a model and a
 * non-empty input. Members the gateway does not read go to the upstream as the client sent them.
 */
export interface EmbeddingsRequest {
  model: string;
  /** OpenRouter-style fallback models (consumed by the ingress, never sent upstream). */
  models?: string[];
  input: string | unknown[];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  /** Never set for embeddings: present so a request of either kind reads it the same way. */
  stream_options?: undefined;
}
