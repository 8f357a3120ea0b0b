import type { ProviderRuntime } from '../../model/index.js';

/** Cohere's list endpoint serves up to this many models per page: one page is the whole list. */
const MODELS_QUERY = '?page_size=1000';

/** Where each operation lives, relative to the configured base URL. */
export interface CoherePaths {
  chat: string;
  embed: string;
  models: string;
  /**
   * The model list from the server root: it exists only in v1, outside the `/v2` prefix of the
   * preset's base URL. Set only when `models` has to climb out of that prefix.
   */
  modelsFromOrigin: string | null;
}

/**
 * Paths for a base URL with the version (`https://api.cohere.com/v2`, the preset) or without it
 * (`https://api.cohere.com`, or a proxy root). With `/v2`, the model list is written with a dot
 * segment (`/../v1/models`, which RFC 3986 resolves to `/v1/models`), and given from the origin too.
 */
export function coherePaths(baseUrl: string): CoherePaths {
  const prefix = new URL(baseUrl).pathname.replace(/\/+$/, '');
  if (prefix.endsWith('/v2')) {
    return { chat: '/chat', embed: '/embed', models: `/../v1/models${MODELS_QUERY}`, modelsFromOrigin: `${prefix.slice(0, -3)}/v1/models${MODELS_QUERY}` };
  }
  return { chat: '/v2/chat', embed: '/v2/embed', models: `/v1/models${MODELS_QUERY}`, modelsFromOrigin: null };
}

/** Bearer auth; a stream is asked for as SSE (Cohere sends NDJSON when the client accepts JSON). */
export function cohereHeaders(p: ProviderRuntime, hasBody: boolean, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = { ...p.headers };
  if (hasBody) headers['content-type'] = 'application/json';
  headers.accept = stream ? 'text/event-stream' : 'application/json';
  if (p.apiKey) headers.authorization = `Bearer ${p.apiKey}`;
  return headers;
}
