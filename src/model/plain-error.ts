/**
 * Every error code the gateway emits. The table that gives each its HTTP status, OpenAI error type
 * and failure policy is `ERROR_CODES` in src/errors, keyed by this union (the compiler checks both
 * list the same codes).
 */
export type ErrorCode =
  | 'LR_ERR_BAD_JSON' | 'LR_ERR_BAD_REQUEST' | 'LR_ERR_UNSUPPORTED_MEDIA_TYPE' | 'LR_ERR_UNSUPPORTED_PARAM'
  | 'LR_ERR_BODY_TOO_LARGE' | 'LR_ERR_REQUEST_TIMEOUT' | 'LR_ERR_UNAUTHORIZED' | 'LR_ERR_FORBIDDEN' | 'LR_ERR_BAD_HOST'
  | 'LR_ERR_BAD_ORIGIN' | 'LR_ERR_NOT_FOUND' | 'LR_ERR_MODEL_NOT_FOUND' | 'LR_ERR_METHOD_NOT_ALLOWED' | 'LR_ERR_RATE_LIMITED'
  | 'LR_ERR_APPROVAL_DENIED' | 'LR_ERR_APPROVAL_TIMEOUT'
  | 'LR_ERR_NO_PROVIDER_AVAILABLE' | 'LR_ERR_UPSTREAM_STATUS' | 'LR_ERR_UPSTREAM_UNREACHABLE' | 'LR_ERR_UPSTREAM_TIMEOUT'
  | 'LR_ERR_UPSTREAM_BAD_RESPONSE' | 'LR_ERR_ACTOR_CRASHED' | 'LR_ERR_SHUTTING_DOWN' | 'LR_ERR_CLASSIFIER'
  | 'LR_ERR_CONFIG_INVALID' | 'LR_ERR_CONFIG_IO' | 'LR_ERR_SECRET_STORE' | 'LR_ERR_ALREADY_RUNNING' | 'LR_ERR_INTERNAL';

/** The plain shape an error takes when it crosses a thread or a process boundary. */
export interface PlainError {
  code: ErrorCode;
  message: string;
  status: number;
  param?: string | null;
  /** Set when an upstream's own error body is passed through unchanged. */
  upstreamBody?: string;
  /** The upstream's own error, typed, when it answered with one: what the other client dialects are built from. */
  upstream?: UpstreamErrorDetail;
  retryAfterMs?: number;
  /**
   * The client has already received this error in its own dialect (an upstream error event relayed
   * mid-stream): the call ends failed with it, and nothing more is written to the client.
   */
  relayed?: boolean;
}

/**
 * An upstream's error as its adapter read it, in OpenAI's terms: `type` is an OpenAI error type,
 * `code` OpenAI's code or, for an upstream of another dialect, its own type (Anthropic's
 * `overloaded_error`), so a client of that dialect gets it back.
 */
export interface UpstreamErrorDetail {
  message: string;
  type: string | null;
  code: string | null;
  param: string | null;
}
