import { LocalRouterError, type PlainError } from '../../errors/index.js';
import { passedError, type PassedError } from '../adapter.js';
import { mapStatusError } from '../map-upstream-error.js';
import type { GeminiErrorBody } from './gemini-types.js';
import { isObject } from './request-errors.js';

/** OpenAI's error type for each client-error status Gemini returns. */
const TYPES: Record<number, string> = {
  400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error',
  409: 'invalid_request_error', 413: 'invalid_request_error', 422: 'invalid_request_error', 429: 'rate_limit_error',
};

/**
 * A Gemini error answer (`{"error": {"code", "message", "status", "details"}}`, possibly wrapped in
 * an array) → the client's answer. 4xx keep their status with an OpenAI-shaped body: type by
 * status, code from Gemini's canonical status (`invalid_argument`, `resource_exhausted`...) or a
 * more precise OpenAI code. Gemini answers a bad API key with 400 API_KEY_INVALID; OpenAI clients
 * expect 401 `invalid_api_key`, so it becomes that. 5xx become a 502 naming the provider.
 */
export function mapGeminiError(provider: string, status: number, body: string): PassedError | PlainError {
  const e = geminiError(body);
  if (!e) return mapStatusError(provider, status, body);
  const canonical = typeof e.status === 'string' ? e.status : '';
  const message = typeof e.message === 'string' && e.message.length > 0 ? e.message : `upstream returned ${status}`;
  if (status >= 500 || status < 400) {
    return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${provider}" returned ${status}${canonical ? ` ${canonical}` : ''}: ${message}`).toPlain();
  }
  const reasons = (e.details ?? []).map((d) => (isObject(d) && typeof d.reason === 'string' ? d.reason : ''));
  let clientStatus = status;
  let code = canonical.toLowerCase() || null;
  if (reasons.includes('API_KEY_INVALID')) {
    clientStatus = 401;
    code = 'invalid_api_key';
  } else if (status === 429) {
    code = 'rate_limit_exceeded';
  } else if (status === 404 && /\bmodels?\b/i.test(message)) {
    code = 'model_not_found';
  } else if (/exceeds the maximum number of tokens/i.test(message)) {
    code = 'context_length_exceeded';
  }
  const type = TYPES[clientStatus] ?? 'invalid_request_error';
  return passedError(clientStatus, { message, type, param: null, code });
}

function geminiError(body: string): GeminiErrorBody | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  // streamGenerateContent without alt=sse answers errors as a one-element array.
  if (Array.isArray(parsed) && parsed.length > 0) parsed = parsed[0];
  return isObject(parsed) && isObject(parsed.error) ? parsed.error as GeminiErrorBody : null;
}
