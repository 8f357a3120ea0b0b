import type { PlainError } from '../../errors/index.js';
import type { UpstreamErrorDetail } from '../../model/index.js';
import type { AnthropicErrorBody } from './wire-types.js';

/** The error types of the Messages API (https://docs.anthropic.com/en/api/errors). */
const ANTHROPIC_TYPES = new Set(['invalid_request_error', 'authentication_error', 'billing_error', 'permission_error',
  'not_found_error', 'request_too_large', 'rate_limit_error', 'api_error', 'timeout_error', 'overloaded_error']);

/** The Anthropic error type Anthropic itself uses for an HTTP status. */
export function anthropicErrorType(status: number): string {
  switch (status) {
    case 401: return 'authentication_error';
    case 402: return 'billing_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    case 503:
    case 529: return 'overloaded_error';
    case 504: return 'timeout_error';
    default: return status >= 400 && status < 500 ? 'invalid_request_error' : 'api_error';
  }
}

/** A gateway error (any code) as an Anthropic error body, typed by its HTTP status. */
export function toAnthropicError(err: PlainError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(err.status), message: err.message } };
}

/** The stream event that ends an Anthropic-dialect stream after an error. */
export function anthropicErrorEvent(err: PlainError): string {
  return `event: error\ndata: ${JSON.stringify(toAnthropicError(err))}\n\n`;
}

/**
 * An upstream's error, as its adapter typed it → the Anthropic error body text; `status` 0 for an
 * error event inside a stream. The Anthropic adapter keeps Anthropic's own type as `code`, so an
 * Anthropic upstream's type survives the round trip.
 */
export function anthropicUpstreamError(status: number, detail: UpstreamErrorDetail): string {
  const { code, type, message } = detail;
  // The status says more than an OpenAI `type` (OpenAI types a bad key as invalid_request_error);
  // the type only helps for an error event inside a stream, which has no status of its own.
  const anthropicType = code !== null && ANTHROPIC_TYPES.has(code) ? code
    : status === 0 && type !== null && ANTHROPIC_TYPES.has(type) ? type
    : anthropicErrorType(status || 500);
  const out: AnthropicErrorBody = { type: 'error', error: { type: anthropicType, message: message || `upstream returned ${status}` } };
  return JSON.stringify(out);
}
