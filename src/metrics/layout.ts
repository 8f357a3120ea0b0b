/**
 * Byte layout of a metrics ring in a SharedArrayBuffer: named slots, piscina-style, so the producer
 * (any thread), the consumer (the aggregator on the main thread) and tests agree on one table.
 *
 * ```
 * [0, 64)    producer cache line: magic, version, record size, capacity, tail, overflows
 * [64, 128)  consumer cache line: head
 * [128, …)   capacity × RECORD_BYTES records
 * ```
 * Head and tail sit on separate 64-byte lines because each is written by a different thread at high
 * rate; sharing one line would bounce it between cores on every write and every drain.
 */

/** Int32 indices into the header (`new Int32Array(sab, 0, HEADER_INT32S)`). */
export const HDR = {
  /** Constant {@link RING_MAGIC}; lets `attach` reject a buffer that is not a ring. */
  magic: 0,
  /** Constant {@link LAYOUT_VERSION}; bumped whenever the record layout below changes. */
  version: 1,
  /** Constant {@link RECORD_BYTES} at creation time. */
  recordBytes: 2,
  /** Constant number of record slots (a power of two). */
  capacity: 3,
  /** Count of records published, modulo 2^32. Written only by the producer (Atomics.store). */
  tail: 4,
  /** Writes refused because the ring was full. Written only by the producer (Atomics.add). */
  overflows: 5,
  /** Count of records consumed, modulo 2^32. Written only by the consumer (Atomics.store). */
  head: 16,
} as const;

export const RING_MAGIC = 0x4c524d52; // "LRMR"
export const LAYOUT_VERSION = 2;
export const HEADER_BYTES = 128;
export const HEADER_INT32S = HEADER_BYTES / 4;

/**
 * Byte offsets of the record fields. Every field is naturally aligned (float64 on 8, u32 on 4, u16
 * on 2) so each can be read and written through a typed-array view with a plain index.
 */
export const REC = {
  /** float64, wall-clock epoch milliseconds at request start. */
  startMs: 0,
  /** float64 holding an integer count of nano-USD: exact up to 2^53 (about 9 million USD). */
  costNanoUsd: 8,
  /** u32, total latency in µs. */
  durationUs: 16,
  /** u32, time to first token in µs; 0 when not applicable. */
  ttftUs: 20,
  /** u32, the gateway's own time in µs (total minus upstream). */
  overheadUs: 24,
  /** u32, the gateway's integer request id (wraps). */
  requestId: 28,
  /** u32 interned ids; 0 = none. */
  clientId: 32,
  providerId: 36,
  modelId: 40,
  strategyId: 44,
  /** u32 token counts. */
  promptTokens: 48,
  completionTokens: 52,
  cachedTokens: 56,
  reasoningTokens: 60,
  /** u32 byte counts of the client request body and the response sent back. */
  bytesIn: 64,
  bytesOut: 68,
  /** u16 HTTP status. */
  status: 72,
  /** u8, one of ERROR_CLASS. */
  errorClass: 74,
  /** u8, one of RECORD_KIND. */
  kind: 75,
  /** u8, 1 when the response was streamed. */
  streamed: 76,
  /** u8, attempt number within a request (0 for the request record itself). */
  attempt: 77,
  /** u8, 1 when the answer had usage but its model no known price (its cost is unknown, not 0). */
  unpriced: 78,
  // 79: padding, zero
} as const;

/** Size of one record in bytes; a multiple of 8 so every slot keeps float64 alignment. */
export const RECORD_BYTES = 80;

/** Total SharedArrayBuffer size for a ring of `capacity` records. */
export function ringBytes(capacity: number): number {
  return HEADER_BYTES + capacity * RECORD_BYTES;
}
