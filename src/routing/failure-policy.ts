import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import type { Attempt } from '../model/index.js';

/**
 * Upstream texts that say the prompt does not fit the model's context: worth a candidate with a
 * larger window, though the upstream answered 400.
 */
const CONTEXT_LENGTH = /context[_ ]length|context window|maximum context|too many tokens|prompt is too long|exceeds the maximum number of tokens/i;

/** What the fallback decision reads of a failed try. */
export interface FailedTry {
  /** Upstream HTTP status; 0 when the try got none (transport error, untranslatable request, broken answer). */
  status: number;
  code: ErrorCode;
  /** The upstream's error body, when it answered with one. */
  upstreamBody?: string | undefined;
}

/**
 * Whether a failed try moves on to the next candidate. An upstream status decides first: 429, 408
 * and 5xx say this upstream is busy or unwell, so another may answer; any other 4xx is an answer
 * about the request itself, passed to the client, except a 400 saying the prompt is longer than the
 * model's context. Without a status, the code's `fallback` decides (timeouts, unreachable upstreams
 * and unusable answers move on; so does a request this candidate cannot express).
 */
export function fallsBack(failure: FailedTry): boolean {
  const status = failure.status;
  if (busyOrUnwell(status)) return true;
  if (status >= 400) return status === 400 && failure.upstreamBody !== undefined && CONTEXT_LENGTH.test(failure.upstreamBody);
  return ERROR_CODES[failure.code].fallback;
}

/**
 * How one try bears on the breakers: `answer` when the upstream answered (a success, or a 4xx about
 * the request itself: both the model's and the provider's breakers close), `provider` or `model` for
 * a failure counted against that breaker, `none` when the try taught nothing about the upstream.
 */
export type BreakerCharge = 'answer' | 'model' | 'provider' | 'none';

/**
 * The breaker policy. A try that failed at the connection (refused, reset or unresolvable before
 * any answer, connect timeout) counts against the provider, whatever its code: the provider cannot
 * be reached, for any model. Everything an upstream answered is about one model: 429, 408 and 5xx
 * count against (provider, model), and so do failures whose code says so (first-byte, idle and
 * total timeouts, answers that cannot be used). Other 4xx (400, 401, 403, 404...) are answers: the
 * client gets them as they are, and an auth failure is not counted, so the client keeps seeing its
 * real cause rather than a 503 from an open breaker.
 */
export function breakerCharge(attempt: Pick<Attempt, 'status' | 'code' | 'connectionLevel'>): BreakerCharge {
  if (attempt.code === null) return 'answer';
  if (attempt.connectionLevel) return 'provider';
  const status = attempt.status;
  if (busyOrUnwell(status)) return 'model';
  if (status >= 400) return 'answer';
  return ERROR_CODES[attempt.code].breaker;
}

/** Statuses that speak of the upstream's state (rate limited, timed out, failing), not of the request. */
function busyOrUnwell(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}
