import type { ProviderRuntime } from '../../model/index.js';

/** Where an OpenAI-compatible provider lives: the origin for the connection pool and the path prefix. */
export function splitBaseUrl(baseUrl: string): { origin: string; prefix: string } {
  const url = new URL(baseUrl);
  const prefix = url.pathname.replace(/\/+$/, '');
  return { origin: url.origin, prefix };
}

/** Request headers for an upstream call (auth, content type, the provider's extra headers). */
export function upstreamHeaders(p: ProviderRuntime, hasBody: boolean, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = { ...p.headers };
  if (hasBody) headers['content-type'] = 'application/json';
  headers.accept = stream ? 'text/event-stream' : 'application/json';
  if (p.apiKey) headers.authorization = `Bearer ${p.apiKey}`;
  return headers;
}
