import type { ProviderRuntime } from '../../model/index.js';

/**
 * The API version every request pins. 2023-06-01 is the version whose request surface this adapter
 * translates to (it still takes `temperature`/`top_p`/`top_k`, which 2026-10-21 removed). A provider's
 * `headers` may override it.
 */
export const ANTHROPIC_VERSION = '2023-06-01';

/** Paths relative to the provider's base URL (the preset's is `https://api.anthropic.com/v1`). */
export const ANTHROPIC_PATHS = {
  messages: '/messages',
  /** The list is paginated; 1000 is the documented maximum page size, enough for one call. */
  models: '/models?limit=1000',
} as const;

/**
 * Request headers: the version, the provider's extra headers (which may override the version or
 * add `anthropic-beta`), then the key as `x-api-key` and the content negotiation.
 */
export function anthropicHeaders(p: ProviderRuntime, hasBody: boolean, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = { 'anthropic-version': ANTHROPIC_VERSION, ...p.headers };
  if (p.apiKey) headers['x-api-key'] = p.apiKey;
  if (hasBody) headers['content-type'] = 'application/json';
  headers.accept = stream ? 'text/event-stream' : 'application/json';
  return headers;
}
