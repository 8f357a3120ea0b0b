import { LocalRouterError } from '../errors/index.js';
import {
  HDR, HEADER_BYTES, HEADER_INT32S, LAYOUT_VERSION, REC, RECORD_BYTES, RING_MAGIC, ringBytes,
} from './layout.js';
import { createRecord, type RequestRecord } from './request-record.js';

const MAX_CAPACITY = 1 << 20; // 80 MiB of records; far beyond any sane drain interval
const U32_MAX = 0xffff_ffff;
const NANO = 1e9;
/** How often a long drain publishes its progress, so a producer sees free slots before it ends. */
const HEAD_PUBLISH_EVERY = 256;

// Layout numbers copied into module constants: the hot path then reads no object properties.
const I_TAIL = HDR.tail;
const I_HEAD = HDR.head;
const I_OVERFLOWS = HDR.overflows;
const U8_STRIDE = RECORD_BYTES;
// Element indices of each field inside one slot, per view.
const F64_STRIDE = RECORD_BYTES / 8;
const U32_STRIDE = RECORD_BYTES / 4;
const U16_STRIDE = RECORD_BYTES / 2;
const D_START = REC.startMs / 8;
const D_COST = REC.costNanoUsd / 8;
const W_DURATION = REC.durationUs / 4;
const W_TTFT = REC.ttftUs / 4;
const W_OVERHEAD = REC.overheadUs / 4;
const W_REQUEST = REC.requestId / 4;
const W_CLIENT = REC.clientId / 4;
const W_PROVIDER = REC.providerId / 4;
const W_MODEL = REC.modelId / 4;
const W_STRATEGY = REC.strategyId / 4;
const W_PROMPT = REC.promptTokens / 4;
const W_COMPLETION = REC.completionTokens / 4;
const W_CACHED = REC.cachedTokens / 4;
const W_REASONING = REC.reasoningTokens / 4;
const W_BYTES_IN = REC.bytesIn / 4;
const W_BYTES_OUT = REC.bytesOut / 4;
const H_STATUS = REC.status / 2;
const B_ERROR = REC.errorClass;
const B_KIND = REC.kind;
const B_STREAMED = REC.streamed;
const B_ATTEMPT = REC.attempt;
const B_UNPRICED = REC.unpriced;

/** Counters and latencies saturate rather than wrap: a wrapped value would read as a tiny one. */
function sat32(v: number): number {
  return v > 0 ? (v < U32_MAX ? v : U32_MAX) : 0;
}

function fail(message: string): never {
  throw new LocalRouterError('LR_ERR_INTERNAL', `metrics ring: ${message}`);
}

/**
 * A single-producer, single-consumer ring of fixed-size {@link RequestRecord}s in a
 * SharedArrayBuffer. The producer thread writes with {@link write}; the aggregator thread reads with
 * {@link drain}. Exactly one thread may write and one may drain a given buffer: each side keeps
 * its own index in a private field and is the only writer of its slot in the header.
 *
 * Ordering: the producer fills a slot with plain typed-array stores, then publishes it with
 * `Atomics.store(tail)`; the consumer reads `tail` with `Atomics.load` before reading the slot.
 * Atomics are sequentially consistent, so the slot's fields are visible once the new tail is. The
 * consumer copies a slot out before publishing `head`, so the producer never overwrites a slot that
 * is still being read.
 */
export class MetricsRing {
  /** The shared memory; post it to another thread and {@link attach} it there. */
  readonly buffer: SharedArrayBuffer;
  /** Number of record slots. */
  readonly capacity: number;
  readonly #mask: number;
  readonly #hdr: Int32Array;
  readonly #f64: Float64Array;
  readonly #u32: Uint32Array;
  readonly #u16: Uint16Array;
  readonly #u8: Uint8Array;
  /** Producer side: next tail (authoritative) and the last head it saw (refreshed when full). */
  #tail: number;
  #headSeen: number;
  /** Consumer side: next head (authoritative) and the one record object lent to visitors. */
  #head: number;
  readonly #out: RequestRecord = createRecord();

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.#hdr = new Int32Array(buffer, 0, HEADER_INT32S);
    this.capacity = this.#hdr[HDR.capacity];
    this.#mask = this.capacity - 1;
    this.#f64 = new Float64Array(buffer, HEADER_BYTES);
    this.#u32 = new Uint32Array(buffer, HEADER_BYTES);
    this.#u16 = new Uint16Array(buffer, HEADER_BYTES);
    this.#u8 = new Uint8Array(buffer, HEADER_BYTES);
    this.#tail = Atomics.load(this.#hdr, HDR.tail);
    this.#head = Atomics.load(this.#hdr, HDR.head);
    this.#headSeen = this.#head;
  }

  /** A new ring of `capacity` records (a power of two, 1 to 2^20). */
  static create(capacity: number): MetricsRing {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      fail(`capacity must be a power of two between 1 and ${MAX_CAPACITY}, got ${capacity}`);
    }
    const buffer = new SharedArrayBuffer(ringBytes(capacity));
    const hdr = new Int32Array(buffer, 0, HEADER_INT32S);
    hdr[HDR.magic] = RING_MAGIC;
    hdr[HDR.version] = LAYOUT_VERSION;
    hdr[HDR.recordBytes] = RECORD_BYTES;
    hdr[HDR.capacity] = capacity;
    return new MetricsRing(buffer);
  }

  /** The ring living in `buffer` (created by {@link create}, possibly in another thread). */
  static attach(buffer: SharedArrayBuffer): MetricsRing {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < HEADER_BYTES) fail('not a ring buffer');
    const hdr = new Int32Array(buffer, 0, HEADER_INT32S);
    if (hdr[HDR.magic] !== RING_MAGIC) fail('not a ring buffer (bad magic)');
    if (hdr[HDR.version] !== LAYOUT_VERSION || hdr[HDR.recordBytes] !== RECORD_BYTES) {
      fail(`layout version ${hdr[HDR.version]}/${hdr[HDR.recordBytes]} B, expected ${LAYOUT_VERSION}/${RECORD_BYTES} B`);
    }
    const capacity = hdr[HDR.capacity];
    if (capacity < 1 || (capacity & (capacity - 1)) !== 0 || buffer.byteLength !== ringBytes(capacity)) {
      fail(`corrupt header (capacity ${capacity}, ${buffer.byteLength} bytes)`);
    }
    return new MetricsRing(buffer);
  }

  /**
   * Producer side. Copies `rec` into the next free slot and publishes it. Returns false, and counts
   * an overflow, when the ring is full; it never blocks, never overwrites an unread record and never
   * allocates.
   */
  write(rec: RequestRecord): boolean {
    const tail = this.#tail;
    if (((tail - this.#headSeen) | 0) >= this.capacity) {
      this.#headSeen = Atomics.load(this.#hdr, I_HEAD);
      if (((tail - this.#headSeen) | 0) >= this.capacity) {
        Atomics.add(this.#hdr, I_OVERFLOWS, 1);
        return false;
      }
    }
    const slot = tail & this.#mask;
    const d = slot * F64_STRIDE;
    const w = slot * U32_STRIDE;
    const b = slot * U8_STRIDE;
    const f64 = this.#f64;
    const u32 = this.#u32;
    const u8 = this.#u8;
    f64[d + D_START] = rec.startMs;
    const nano = Math.round(rec.costUsd * NANO);
    f64[d + D_COST] = Number.isFinite(nano) ? nano : 0;
    u32[w + W_DURATION] = sat32(rec.durationUs);
    u32[w + W_TTFT] = sat32(rec.ttftUs);
    u32[w + W_OVERHEAD] = sat32(rec.overheadUs);
    u32[w + W_REQUEST] = rec.requestId;
    u32[w + W_CLIENT] = rec.clientId;
    u32[w + W_PROVIDER] = rec.providerId;
    u32[w + W_MODEL] = rec.modelId;
    u32[w + W_STRATEGY] = rec.strategyId;
    u32[w + W_PROMPT] = sat32(rec.promptTokens);
    u32[w + W_COMPLETION] = sat32(rec.completionTokens);
    u32[w + W_CACHED] = sat32(rec.cachedTokens);
    u32[w + W_REASONING] = sat32(rec.reasoningTokens);
    u32[w + W_BYTES_IN] = sat32(rec.bytesIn);
    u32[w + W_BYTES_OUT] = sat32(rec.bytesOut);
    this.#u16[slot * U16_STRIDE + H_STATUS] = rec.status;
    u8[b + B_ERROR] = rec.errorClass;
    u8[b + B_KIND] = rec.kind;
    u8[b + B_STREAMED] = rec.streamed ? 1 : 0;
    u8[b + B_ATTEMPT] = rec.attempt < 255 ? rec.attempt : 255;
    u8[b + B_UNPRICED] = rec.unpriced ? 1 : 0;
    const next = (tail + 1) | 0;
    Atomics.store(this.#hdr, I_TAIL, next);
    this.#tail = next;
    return true;
  }

  /**
   * Consumer side. Calls `visit` for up to `max` published records, oldest first, and returns how
   * many were consumed. `visit` receives the same record object every time (refilled per record, to
   * avoid allocation): copy what you keep, and do not drain this ring from inside `visit`. A record
   * whose visit throws counts as consumed; the error propagates.
   */
  drain(visit: (rec: RequestRecord) => void, max = Number.MAX_SAFE_INTEGER): number {
    const hdr = this.#hdr;
    let head = this.#head;
    let n = (Atomics.load(hdr, I_TAIL) - head) | 0;
    if (n > max) n = max;
    if (n <= 0) return 0;
    const rec = this.#out;
    let done = 0;
    try {
      while (done < n) {
        this.#read(head & this.#mask, rec);
        head = (head + 1) | 0;
        this.#head = head;
        done++;
        if (done % HEAD_PUBLISH_EVERY === 0) Atomics.store(hdr, I_HEAD, head);
        visit(rec);
      }
    } finally {
      Atomics.store(hdr, I_HEAD, head);
    }
    return done;
  }

  /** Writes refused because the ring was full, since creation (modulo 2^32). */
  get overflows(): number {
    return Atomics.load(this.#hdr, HDR.overflows) >>> 0;
  }

  /** Records published and not yet drained (a snapshot; either side may move it right after). */
  get pending(): number {
    return (Atomics.load(this.#hdr, HDR.tail) - Atomics.load(this.#hdr, HDR.head)) | 0;
  }

  #read(slot: number, rec: RequestRecord): void {
    const d = slot * F64_STRIDE;
    const w = slot * U32_STRIDE;
    const b = slot * U8_STRIDE;
    const f64 = this.#f64;
    const u32 = this.#u32;
    const u8 = this.#u8;
    rec.startMs = f64[d + D_START];
    rec.costUsd = f64[d + D_COST] / NANO;
    rec.durationUs = u32[w + W_DURATION];
    rec.ttftUs = u32[w + W_TTFT];
    rec.overheadUs = u32[w + W_OVERHEAD];
    rec.requestId = u32[w + W_REQUEST];
    rec.clientId = u32[w + W_CLIENT];
    rec.providerId = u32[w + W_PROVIDER];
    rec.modelId = u32[w + W_MODEL];
    rec.strategyId = u32[w + W_STRATEGY];
    rec.promptTokens = u32[w + W_PROMPT];
    rec.completionTokens = u32[w + W_COMPLETION];
    rec.cachedTokens = u32[w + W_CACHED];
    rec.reasoningTokens = u32[w + W_REASONING];
    rec.bytesIn = u32[w + W_BYTES_IN];
    rec.bytesOut = u32[w + W_BYTES_OUT];
    rec.status = this.#u16[slot * U16_STRIDE + H_STATUS];
    rec.errorClass = u8[b + B_ERROR];
    rec.kind = u8[b + B_KIND];
    rec.streamed = u8[b + B_STREAMED] !== 0;
    rec.attempt = u8[b + B_ATTEMPT];
    rec.unpriced = u8[b + B_UNPRICED] !== 0;
  }
}
