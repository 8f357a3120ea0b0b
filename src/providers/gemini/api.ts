import { LocalRouterError } from '../../errors/index.js';
import type { ProviderRuntime } from '../../model/index.js';

/**
 * Transport facts of the Gemini API (base URL like `https://generativelanguage.googleapis.com/v1beta`):
 * paths, auth header, model naming. Translation lives elsewhere.
 */

/** Model ids as the gateway passes them: `gemini-2.5-flash`, or `models/...` / `tunedModels/...` resource names. */
const MODEL_ID = /^(?:(models|tunedModels)\/)?([A-Za-z0-9][A-Za-z0-9._-]{0,127})$/;

/** `models/{id}` or `tunedModels/{id}`: the resource name Gemini paths and batch requests use. */
export function geminiModelResource(model: string): string {
  const m = MODEL_ID.exec(model);
  // Checked so a model id can never rewrite the request path (`..`, `?`, `/`).
  if (!m || m[2]!.includes('..')) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `"${model.slice(0, 100)}" is not a valid Gemini model id`, { param: 'model' });
  }
  return `${m[1] ?? 'models'}/${m[2]}`;
}

export const GEMINI_PATHS = {
  generate: (model: string) => `/${geminiModelResource(model)}:generateContent`,
  /** Without `alt=sse` Gemini streams one JSON array; SSE is what the shared framer reads. */
  stream: (model: string) => `/${geminiModelResource(model)}:streamGenerateContent?alt=sse`,
  embed: (model: string) => `/${geminiModelResource(model)}:embedContent`,
  batchEmbed: (model: string) => `/${geminiModelResource(model)}:batchEmbedContents`,
  /** One page of 1000 is every model Gemini lists today; `nextPageToken` is not followed. */
  models: '/models?pageSize=1000',
} as const;

/** Request headers: the provider's extra headers, then content negotiation and `x-goog-api-key`. */
export function geminiHeaders(p: ProviderRuntime, hasBody: boolean, stream: boolean): Record<string, string> {
  const headers: Record<string, string> = { ...p.headers };
  if (hasBody) headers['content-type'] = 'application/json';
  headers.accept = stream ? 'text/event-stream' : 'application/json';
  if (p.apiKey) headers['x-goog-api-key'] = p.apiKey;
  return headers;
}

/**
 * Gemini 3 and later: `thinkingLevel` instead of `thinkingBudget`, and strict thought-signature
 * validation on function calls. Aliases without a version (`gemini-flash-latest`) count as older.
 */
export function isGemini3OrLater(model: string): boolean {
  const m = /(?:^|\/)gemini-(\d+)/.exec(model);
  return m !== null && Number(m[1]) >= 3;
}

/**
 * The documented placeholder that makes Gemini 3 skip thought-signature validation, for function
 * calls whose signature the client did not send back (history from another model, or a client
 * that drops `extra_content`).
 */
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';
