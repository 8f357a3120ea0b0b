/** Why a request, attempt or MCP call failed (u8 in the ring). 0 means it did not fail. */
export const ERROR_CLASS = {
  none: 0,
  /** The client's fault: bad JSON, auth, limits, unknown model (4xx we produced). */
  client: 1,
  /** The upstream answered with an error status. */
  upstreamStatus: 2,
  /** The upstream could not be reached (DNS, connect, TLS, reset before response). */
  upstreamUnreachable: 3,
  /** A deadline expired (connect, first byte, idle or total). */
  timeout: 4,
  /** A bug or crash on our side (actor crashed, unexpected exception). */
  internal: 5,
  /** The client went away or cancelled. */
  cancelled: 6,
  /** An MCP tool ran and reported its own failure (`isError: true` in a successful result). */
  tool: 7,
} as const;

export type ErrorClass = (typeof ERROR_CLASS)[keyof typeof ERROR_CLASS];

/** What a record describes (u8 in the ring). */
export const RECORD_KIND = {
  /** One client request to an LLM endpoint, end to end; the only kind that feeds request totals. */
  llmRequest: 1,
  /** One try against one upstream candidate inside an LLM request (fallback or retry). */
  llmAttempt: 2,
  /** One MCP call through /mcp. */
  mcpCall: 3,
} as const;

export type RecordKind = (typeof RECORD_KIND)[keyof typeof RECORD_KIND];

/**
 * One fixed-size metrics record as JavaScript sees it. Integer fields are stored as u32/u16/u8 in
 * the ring: fractions are truncated, counters and latencies saturate at their type's maximum instead
 * of wrapping, ids wrap modulo 2^32.
 */
export interface RequestRecord {
  /** Wall-clock start, epoch milliseconds (fractions kept). */
  startMs: number;
  /** Total latency, µs. */
  durationUs: number;
  /** Time to first token, µs; 0 when not applicable (non-streamed, failed before first token). */
  ttftUs: number;
  /** The gateway's own time, µs (total latency minus time spent waiting on the upstream). */
  overheadUs: number;
  requestId: number;
  /** Interned ids (see `Interner`); 0 = none. */
  clientId: number;
  providerId: number;
  modelId: number;
  strategyId: number;
  /** HTTP status sent (request) or received (attempt); 0 when there was none. */
  status: number;
  /** One of {@link ERROR_CLASS}. */
  errorClass: number;
  /** One of {@link RECORD_KIND}. */
  kind: number;
  streamed: boolean;
  /** Attempt number within its request, starting at 1 for attempts; 0 on request records. */
  attempt: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /**
   * Cost in USD. Stored as an integer count of nano-USD in a float64, so sums of records are exact
   * and a value with at most 9 decimals reads back exactly.
   */
  costUsd: number;
  /**
   * The answer reported usage but its model has no known price (no catalog price, no
   * price_override): `costUsd` is 0 only because the cost is unknown. Totals count such requests
   * apart instead of reading them as free.
   */
  unpriced: boolean;
  bytesIn: number;
  bytesOut: number;
}

/** A zeroed record; producers keep one per thread and refill it, so writing allocates nothing. */
export function createRecord(): RequestRecord {
  return {
    startMs: 0, durationUs: 0, ttftUs: 0, overheadUs: 0, requestId: 0,
    clientId: 0, providerId: 0, modelId: 0, strategyId: 0,
    status: 0, errorClass: 0, kind: 0, streamed: false, attempt: 0,
    promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0,
    costUsd: 0, unpriced: false, bytesIn: 0, bytesOut: 0,
  };
}
