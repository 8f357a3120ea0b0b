import { LocalRouterError, type PlainError } from '../../errors/index.js';
import { passedError, type PassedError } from '../adapter.js';

/**
 * Anthropic error types (https://docs.anthropic.com/en/api/errors) → the OpenAI error `type` a
 * client of the OpenAI dialect expects for the same condition. The Anthropic type is kept as `code`.
 */
const OPENAI_TYPE: Record<string, string> = {
  invalid_request_error: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  not_found_error: 'invalid_request_error',
  authentication_error: 'authentication_error',
  permission_error: 'permission_error',
  billing_error: 'insufficient_quota',
  rate_limit_error: 'rate_limit_error',
};

/** An Anthropic error body's type and message, whatever shape the body has. */
export function readAnthropicError(body: string): { type: string | null; message: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { type?: unknown; message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'object' && parsed.error !== null) {
      return {
        type: typeof parsed.error.type === 'string' ? parsed.error.type : null,
        message: typeof parsed.error.message === 'string' ? parsed.error.message : '',
      };
    }
    if (typeof parsed.error === 'string') return { type: null, message: parsed.error };
    if (typeof parsed.message === 'string') return { type: null, message: parsed.message };
  } catch { /* not JSON */ }
  return { type: null, message: body.slice(0, 300).trim() };
}

/**
 * An upstream error status → what the client gets. A 4xx is passed through with its status in the
 * OpenAI shape (`type` mapped, `code` the Anthropic type). 5xx become coded errors: 529
 * `overloaded_error` (and 503) a 503 the client may retry, 504 `timeout_error` a timeout, the rest a
 * 502; the engine tries the next candidate on any of them.
 */
export function mapAnthropicError(provider: string, status: number, body: string): PassedError | PlainError {
  const { type, message } = readAnthropicError(body);
  if (status >= 400 && status < 500) {
    const openAIType = (type !== null ? OPENAI_TYPE[type] : undefined) ?? defaultType(status);
    return passedError(status, { message: message || `upstream returned ${status}`, type: openAIType, param: null, code: type });
  }
  return upstreamFailure(provider, type, message, status);
}

/** An `error` event inside a 200 stream, as the coded error that ends the client's stream. */
export function mapAnthropicStreamError(provider: string, data: string): PlainError {
  const { type, message } = readAnthropicError(data);
  const status = type === 'overloaded_error' ? 529 : type === 'rate_limit_error' ? 429 : type === 'timeout_error' ? 504 : 500;
  return upstreamFailure(provider, type, message, status);
}

function upstreamFailure(provider: string, type: string | null, message: string, status: number): PlainError {
  const label = type ?? `status ${status}`;
  const text = message ? `: ${message}` : '';
  if (type === 'overloaded_error' || status === 529 || status === 503) {
    return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${provider}" is overloaded (${label})${text}`, { status: 503 }).toPlain();
  }
  if (type === 'timeout_error' || status === 504) {
    return new LocalRouterError('LR_ERR_UPSTREAM_TIMEOUT', `provider "${provider}" timed out (${label})${text}`).toPlain();
  }
  if (type === 'rate_limit_error' || status === 429) {
    return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${provider}" is rate limiting (${label})${text}`, { status: 429 }).toPlain();
  }
  return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${provider}" returned ${label}${text}`).toPlain();
}

function defaultType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return 'invalid_request_error';
}
