import type { ErrorCode } from './plain-error.js';

/**
 * One try of a call against one candidate. Failed tries are reported as they happen; the successful
 * one just before the answer starts, so the caller knows who answered.
 */
export interface Attempt {
  provider: string;
  /** The model id the upstream knows. */
  model: string;
  /** Upstream HTTP status; 0 when none (transport error, untranslatable request). */
  status: number;
  /** Error code of a failed try; null on success. */
  code: ErrorCode | null;
  durationMs: number;
  /** The upstream's Retry-After, in ms; 0 when absent. */
  retryAfterMs: number;
  /** The try failed before any HTTP answer, at the connection: refused, reset, DNS, connect timeout. */
  connectionLevel: boolean;
}
