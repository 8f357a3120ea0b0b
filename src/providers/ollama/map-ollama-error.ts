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

/** The text of Ollama's `{"error": "..."}` body, or the raw body when it is something else. */
export function ollamaErrorMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch { /* not JSON */ }
  return body.slice(0, 300).trim();
}

/**
 * An Ollama error status → the client's answer: 4xx keep their status with the message in the
 * OpenAI shape (a missing model is `model_not_found`, as OpenAI says it), 5xx become a coded 502.
 */
export function mapOllamaError(provider: string, status: number, body: string): PassedError | PlainError {
  if (status < 400 || status >= 500) return mapStatusError(provider, status, body);
  const message = ollamaErrorMessage(body) || `upstream returned ${status}`;
  const code = status === 404 && /model .*not found/i.test(message) ? 'model_not_found' : null;
  return passedError(status, { message, type: errorType(status), param: null, code });
}

/** An error Ollama reported inside a 2xx answer (a stream line or a body with `error`). */
export function ollamaReportedError(provider: string, message: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${provider}" reported an error: ${message}`);
}
