import { LocalRouterError, type PlainError } from '../../errors/index.js';
import { passedError, type PassedError } from '../adapter.js';
import { mapStatusError } from '../map-upstream-error.js';

/** OpenAI's error `type` for an HTTP status, as OpenAI-style clients expect it. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return 'invalid_request_error';
}

/** The text of Cohere's `{"message": "..."}` error body, or the raw body when it is something else. */
export function cohereErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch { /* not JSON */ }
  return body.slice(0, 300).trim();
}

/**
 * A Cohere error status → the client's answer: 4xx keep their status with the message in the OpenAI
 * shape, except Cohere's own 498 (invalid token), which clients know as 401; 5xx become a coded 502.
 */
export function mapCohereError(provider: string, status: number, body: string): PassedError | PlainError {
  if (status < 400 || status >= 500) return mapStatusError(provider, status, body);
  const out = status === 498 ? 401 : status;
  const message = cohereErrorMessage(body) || `upstream returned ${status}`;
  return passedError(out, { message, type: errorType(out), param: null, code: null });
}

/** A generation Cohere ended with `ERROR` or `TIMEOUT` inside a 2xx answer. */
export function cohereFailedGeneration(provider: string, reason: string, message: string | undefined): LocalRouterError {
  const text = message ? `: ${message}` : '';
  if (reason.toUpperCase() === 'TIMEOUT') return new LocalRouterError('LR_ERR_UPSTREAM_TIMEOUT', `provider "${provider}" timed out generating the answer${text}`);
  return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${provider}" reported an error${text}`);
}
