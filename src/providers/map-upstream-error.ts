import { LocalRouterError, type PlainError } from '../errors/index.js';
import { passedError, type PassedError } from './adapter.js';

/** Turns a transport failure (undici error) into a coded error that names the provider, never a secret. */
export function mapTransportError(provider: string, err: Error & { code?: string }): PlainError {
  const code = err.code ?? '';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new LocalRouterError('LR_ERR_UPSTREAM_TIMEOUT', `provider "${provider}" timed out (${code})`).toPlain();
  }
  const reason = code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'connection reset'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host not found'
    : code || err.message;
  return new LocalRouterError('LR_ERR_UPSTREAM_UNREACHABLE', `provider "${provider}" is unreachable: ${reason}`).toPlain();
}

/** undici / socket codes of a connection that could not be made or was dropped. */
const CONNECTION_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * A transport failure that says the provider as a whole cannot be reached (refused, reset, DNS,
 * connect timeout), as opposed to one model being slow. Only meaningful before any HTTP answer.
 */
export function isConnectionFailure(err: Error & { code?: string }): boolean {
  return CONNECTION_CODES.has(err.code ?? '');
}

/**
 * An upstream HTTP error. 4xx are passed through with their status and body (an OpenAI-shaped body
 * as is, anything else wrapped); 5xx become 502 naming the provider and the upstream's message.
 */
export function mapStatusError(provider: string, status: number, body: string): PassedError | PlainError {
  const parsed = parseErrorBody(body);
  const message = upstreamMessage(parsed, body);
  if (status >= 400 && status < 500) {
    const e = parsed?.error;
    if (typeof e === 'object' && e !== null && typeof e.message === 'string') {
      // Already OpenAI's shape: relayed byte for byte.
      return { status, body, detail: { message: e.message, type: stringOrNull(e.type), code: stringOrNull(e.code), param: stringOrNull(e.param) } };
    }
    return passedError(status, { message: message || `upstream returned ${status}`, type: 'invalid_request_error', param: null, code: null });
  }
  const text = message ? `: ${message}` : '';
  return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${provider}" returned ${status}${text}`).toPlain();
}

interface ErrorBodyShape {
  error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } | string | null;
  message?: unknown;
}

function parseErrorBody(body: string): ErrorBodyShape | null {
  try {
    const parsed = JSON.parse(body) as unknown;
    return typeof parsed === 'object' && parsed !== null ? parsed as ErrorBodyShape : null;
  } catch {
    return null;
  }
}

function upstreamMessage(parsed: ErrorBodyShape | null, body: string): string {
  if (parsed !== null) {
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.error === 'object' && parsed.error !== null && typeof parsed.error.message === 'string') return parsed.error.message;
    if (typeof parsed.message === 'string') return parsed.message;
  }
  return body.slice(0, 300).trim();
}

function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}
