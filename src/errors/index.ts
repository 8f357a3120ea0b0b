/**
 * @module errors
 * One error class for the whole gateway, with stable codes. Errors cross worker threads as plain
 * objects, so callers match on `code`, never on `instanceof`: `fromPlain` rebuilds them.
 */

import type { ErrorCode, PlainError, UpstreamErrorDetail } from '../model/index.js';

export type { ErrorCode, PlainError };

/** What a failure counts against: one (provider, model)'s breaker, the provider's own, or none. */
export type BreakerScope = 'model' | 'provider' | 'none';

/** How metrics and the request log class a failure (the names of the metrics' `ERROR_CLASS`). */
export type MetricsClass = 'client' | 'upstreamStatus' | 'upstreamUnreachable' | 'timeout' | 'internal';

/** One row of the error table: how the code looks to a client, and the failure policy for it. */
export interface ErrorPolicy {
  /** HTTP status of the gateway's answer. */
  status: number;
  /** The OpenAI error `type`. */
  type: string;
  /** The client may send the same request again later and expect it to succeed (`Retry-After` says when, if known). */
  clientRetry: boolean;
  /**
   * A failed try with this code moves on to the request's next candidate (while nothing has reached
   * the client). Upstream statuses decide before the code does: see `fallsBack` in src/routing.
   */
  fallback: boolean;
  /**
   * The breaker a failed try with this code counts against when the upstream was reached. A try
   * that failed at the connection counts against the provider whatever its code: see
   * `breakerCharge` in src/routing.
   */
  breaker: BreakerScope;
  /** The metrics class of a request or try that ended with this code. */
  metricsClass: MetricsClass;
}

/**
 * Every error code the gateway emits, with its HTTP status, OpenAI error type and failure policy:
 * the one table that says what each failure means for the client, fallback, breakers and metrics.
 */
export const ERROR_CODES = {
  LR_ERR_BAD_JSON: { status: 400, type: 'invalid_request_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BAD_REQUEST: { status: 400, type: 'invalid_request_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, type: 'invalid_request_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_UNSUPPORTED_PARAM: { status: 400, type: 'invalid_request_error', clientRetry: false, fallback: true, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BODY_TOO_LARGE: { status: 413, type: 'invalid_request_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_REQUEST_TIMEOUT: { status: 408, type: 'invalid_request_error', clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_UNAUTHORIZED: { status: 401, type: 'authentication_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_FORBIDDEN: { status: 403, type: 'permission_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BAD_HOST: { status: 403, type: 'permission_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BAD_ORIGIN: { status: 403, type: 'permission_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_NOT_FOUND: { status: 404, type: 'invalid_request_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_MODEL_NOT_FOUND: { status: 404, type: 'invalid_request_error', clientRetry: false, fallback: true, breaker: 'none', metricsClass: 'client' },
  LR_ERR_METHOD_NOT_ALLOWED: { status: 405, type: 'invalid_request_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_RATE_LIMITED: { status: 429, type: 'rate_limit_error', clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_APPROVAL_DENIED: { status: 403, type: 'permission_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_APPROVAL_TIMEOUT: { status: 403, type: 'permission_error', clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_NO_PROVIDER_AVAILABLE: { status: 503, type: 'server_error', clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_UPSTREAM_STATUS: { status: 502, type: 'upstream_error', clientRetry: false, fallback: true, breaker: 'model', metricsClass: 'upstreamStatus' },
  LR_ERR_UPSTREAM_UNREACHABLE: { status: 502, type: 'upstream_error', clientRetry: true, fallback: true, breaker: 'model', metricsClass: 'upstreamUnreachable' },
  LR_ERR_UPSTREAM_TIMEOUT: { status: 504, type: 'upstream_error', clientRetry: true, fallback: true, breaker: 'model', metricsClass: 'timeout' },
  LR_ERR_UPSTREAM_BAD_RESPONSE: { status: 502, type: 'upstream_error', clientRetry: true, fallback: true, breaker: 'model', metricsClass: 'upstreamUnreachable' },
  LR_ERR_ACTOR_CRASHED: { status: 502, type: 'server_error', clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_SHUTTING_DOWN: { status: 503, type: 'server_error', clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_CLASSIFIER: { status: 503, type: 'server_error', clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_CONFIG_INVALID: { status: 500, type: 'server_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_CONFIG_IO: { status: 500, type: 'server_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_SECRET_STORE: { status: 500, type: 'server_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_ALREADY_RUNNING: { status: 500, type: 'server_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_INTERNAL: { status: 500, type: 'server_error', clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
} as const satisfies Record<ErrorCode, ErrorPolicy>;

export interface LocalRouterErrorOptions {
  status?: number;
  param?: string | null;
  cause?: unknown;
  upstreamBody?: string;
  upstream?: UpstreamErrorDetail;
  /** The client has already received this error (see `PlainError.relayed`). */
  relayed?: boolean;
  /** When the client may retry (sent as `Retry-After`). */
  retryAfterMs?: number;
  /** Extra response headers (e.g. `x-ratelimit-*`). */
  headers?: readonly (readonly [string, string])[];
}

/** The gateway's only error class: a stable `code`, the HTTP `status`, and whether the client may retry. */
export class LocalRouterError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The client may send the request again later (the code's `clientRetry`). */
  readonly clientRetry: boolean;
  readonly param: string | null;
  readonly upstreamBody: string | undefined;
  readonly upstream: UpstreamErrorDetail | undefined;
  readonly relayed: boolean;
  readonly retryAfterMs: number | undefined;
  readonly headers: readonly (readonly [string, string])[] | undefined;

  constructor(code: ErrorCode, message: string, options: LocalRouterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocalRouterError';
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.clientRetry = ERROR_CODES[code].clientRetry;
    this.param = options.param ?? null;
    this.upstreamBody = options.upstreamBody;
    this.upstream = options.upstream;
    this.relayed = options.relayed === true;
    this.retryAfterMs = options.retryAfterMs;
    this.headers = options.headers;
  }

  toPlain(): PlainError {
    const plain: PlainError = { code: this.code, message: this.message, status: this.status, param: this.param };
    if (this.upstreamBody !== undefined) plain.upstreamBody = this.upstreamBody;
    if (this.upstream !== undefined) plain.upstream = this.upstream;
    if (this.relayed) plain.relayed = true;
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
