/**
 * @module errors
 * One error class for the whole gateway, with stable codes. Errors cross worker threads as plain
 * objects, so callers match on `code`, never on `instanceof`: `fromPlain` rebuilds them.
 */

import type { ErrorCode, PlainError } from '../model/index.js';

export type { ErrorCode, PlainError };

/** Every error code the gateway emits, with its HTTP status, OpenAI error type and retryability. */
export const ERROR_CODES = {
  LR_ERR_BAD_JSON: { status: 400, type: 'invalid_request_error', retryable: false },
  LR_ERR_BAD_REQUEST: { status: 400, type: 'invalid_request_error', retryable: false },
  LR_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error', retryable: false },
  LR_ERR_UNSUPPORTED_PARAM: { status: 400, type: 'invalid_request_error', retryable: false },
  LR_ERR_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', retryable: false },
  LR_ERR_REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', retryable: true },
  LR_ERR_UNAUTHORIZED: { status: 401, type: 'authentication_error', retryable: false },
  LR_ERR_FORBIDDEN: { status: 403, type: 'permission_error', retryable: false },
  LR_ERR_BAD_HOST: { status: 403, type: 'permission_error', retryable: false },
  LR_ERR_BAD_ORIGIN: { status: 403, type: 'permission_error', retryable: false },
  LR_ERR_NOT_FOUND: { status: 404, type: 'invalid_request_error', retryable: false },
  LR_ERR_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', retryable: false },
  LR_ERR_METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', retryable: false },
  LR_ERR_RATE_LIMITED: { status: 429, type: 'rate_limit_error', retryable: true },
  LR_ERR_NO_PROVIDER_AVAILABLE: { status: 503, type: 'server_error', retryable: true },
  LR_ERR_UPSTREAM_STATUS: { status: 502, type: 'upstream_error', retryable: false },
  LR_ERR_UPSTREAM_UNREACHABLE: { status: 502, type: 'upstream_error', retryable: true },
  LR_ERR_UPSTREAM_TIMEOUT: { status: 504, type: 'upstream_error', retryable: true },
  LR_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, type: 'upstream_error', retryable: true },
  LR_ERR_ACTOR_CRASHED: { status: 502, type: 'server_error', retryable: true },
  LR_ERR_SHUTTING_DOWN: { status: 503, type: 'server_error', retryable: true },
  LR_ERR_CLASSIFIER: { status: 503, type: 'server_error', retryable: true },
  LR_ERR_CONFIG_INVALID: { status: 500, type: 'server_error', retryable: false },
  LR_ERR_CONFIG_IO: { status: 500, type: 'server_error', retryable: false },
  LR_ERR_SECRET_STORE: { status: 500, type: 'server_error', retryable: false },
  LR_ERR_ALREADY_RUNNING: { status: 500, type: 'server_error', retryable: false },
  LR_ERR_INTERNAL: { status: 500, type: 'server_error', retryable: false },
} as const satisfies Record<ErrorCode, { status: number; type: string; retryable: boolean }>;

export interface LocalRouterErrorOptions {
  status?: number;
  param?: string | null;
  cause?: unknown;
  upstreamBody?: string;
  /** When the client may retry (sent as `Retry-After`). */
  retryAfterMs?: number;
  /** Extra response headers (e.g. `x-ratelimit-*`). */
  headers?: readonly (readonly [string, string])[];
}

/** The gateway's only error class: a stable `code`, the HTTP `status`, and whether a retry may help. */
export class LocalRouterError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly param: string | null;
  readonly upstreamBody: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly headers: readonly (readonly [string, string])[] | undefined;

  constructor(code: ErrorCode, message: string, options: LocalRouterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocalRouterError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.param = options.param ?? null;
    this.upstreamBody = options.upstreamBody;
    this.retryAfterMs = options.retryAfterMs;
    this.headers = options.headers;
  }

  toPlain(): PlainError {
    const plain: PlainError = { code: this.code, message: this.message, status: this.status, param: this.param };
    if (this.upstreamBody !== undefined) plain.upstreamBody = this.upstreamBody;
    if (this.retryAfterMs !== undefined) plain.retryAfterMs = this.retryAfterMs;
    return plain;
  }
}

/** True when `value` carries one of our codes (an error from this thread or one rebuilt after a hop). */
export function isLocalRouterError(value: unknown): value is LocalRouterError {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string'
    && (value as { code: string }).code in ERROR_CODES && typeof (value as { status?: unknown }).status === 'number';
}

/** Rebuilds an error that crossed a thread as a plain object. */
export function fromPlain(plain: PlainError): LocalRouterError {
  return new LocalRouterError(plain.code, plain.message, {
    status: plain.status, param: plain.param ?? null, upstreamBody: plain.upstreamBody, retryAfterMs: plain.retryAfterMs,
  });
}

/** Any thrown value as a LocalRouterError (unknown errors become LR_ERR_INTERNAL with a generic message). */
export function toLocalRouterError(err: unknown): LocalRouterError {
  if (err instanceof LocalRouterError) return err;
  if (isLocalRouterError(err)) return fromPlain(err as unknown as PlainError);
  return new LocalRouterError('LR_ERR_INTERNAL', 'internal error', { cause: err });
}

/** The OpenAI error body: `{"error":{"message","type","param","code"}}`. */
export function openAIErrorBody(err: LocalRouterError | PlainError): string {
  const type = ERROR_CODES[err.code].type;
  return JSON.stringify({ error: { message: err.message, type, param: err.param ?? null, code: err.code } });
}
