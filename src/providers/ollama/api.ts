import type { Operation } from '../adapter.js';
import type { ProviderRuntime } from '../../model/index.js';

/**
 * Where each operation lives. The base URL is the server root (`http://127.0.0.1:11434`), not the
 * OpenAI-style `/v1` Ollama also serves.
 */
export const OLLAMA_PATHS: Partial<Record<Operation, string>> = {
  chat: '/api/chat',
  embeddings: '/api/embed',
  models: '/api/tags',
};

/**
 * Request headers: a local server needs no key; when one is set (Ollama's cloud, or a proxy in
 * front of a local server) it goes as a Bearer token, which is what Ollama's API documents.
 */
export function ollamaHeaders(p: ProviderRuntime, hasBody: boolean, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = { ...p.headers };
  if (hasBody) headers['content-type'] = 'application/json';
  headers.accept = stream ? 'application/x-ndjson' : 'application/json';
  if (p.apiKey) headers.authorization = `Bearer ${p.apiKey}`;
  return headers;
}
