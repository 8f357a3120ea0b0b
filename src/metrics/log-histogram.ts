/**
 * Bins: values 0..63 get a bin each; above that every power of two is cut into 32 bins, so a bin
 * is at most 1/32 of its lower bound wide. A value read back (the bin's midpoint) is within 1/64
 * (1.6%) of any value recorded into that bin. u32 values (µs up to 71 minutes) need 896 bins.
 */
const LINEAR = 64;
const SUB = 32;
/** Number of bins covering 0 .. 2^32 - 1. */
export const LOG_HISTOGRAM_BINS = 896;
/** Worst relative error of a value read back from a {@link LogHistogram}. */
export const LOG_HISTOGRAM_PRECISION = 1 / 64;
const MAX_VALUE = 0xffff_ffff;
/** Bins added beyond what a record needs when the window grows, so neighbours do not regrow it. */
const SLACK = 8;
const ENCODING_VERSION = 1;

/** The bin of a non-negative integer value (clamped to u32). */
export function binOf(value: number): number {
  const v = value <= 0 ? 0 : value >= MAX_VALUE ? MAX_VALUE : value >>> 0;
  if (v < LINEAR) return v;
  const e = 31 - Math.clz32(v);
  return LINEAR + (e - 6) * SUB + ((v >>> (e - 5)) - SUB);
}

/** Smallest value that falls into bin `i`. */
export function binLow(i: number): number {
  if (i < LINEAR) return i;
  const k = i - LINEAR;
  const e = 6 + (k >> 5);
  return (SUB + (k & 31)) * 2 ** (e - 5);
}

/** The value a bin reads back as: its midpoint (exact for the linear bins). */
function binValue(i: number): number {
  if (i < LINEAR) return i;
  const lo = binLow(i);
  const hi = i + 1 < LOG_HISTOGRAM_BINS ? binLow(i + 1) - 1 : MAX_VALUE;
  return (lo + hi) / 2;
}

/**
 * A small mergeable latency histogram for time-series buckets. hdr-histogram-js keeps tens of KB
 * per histogram; thousands of buckets (seconds × dimensions) need something far smaller, so this
 * one holds only the window of bins that saw values (typically a few hundred bytes, at most 3.5 KB)
 * at a fixed 1.6% precision, and encodes to a compact blob for SQLite.
 */
export class LogHistogram {
  #lo = 0;
  #counts: Uint32Array | null = null;
  #total = 0;

  /** Number of recorded values. */
  get count(): number {
    return this.#total;
  }

  /** Records `value` (µs; fractions truncated, negatives as 0, clamped to u32) `n` times. */
  record(value: number, n = 1): void {
    this.#add(binOf(value), n);
  }

  /** Adds every value of `other` into this histogram. */
  merge(other: LogHistogram): void {
    const c = other.#counts;
    if (c === null) return;
    for (let i = 0; i < c.length; i++) if (c[i] !== 0) this.#add(other.#lo + i, c[i]);
  }

  /** The value below which `p` percent of recorded values fall (bin midpoint); 0 when empty. */
  percentile(p: number): number {
    const c = this.#counts;
    if (c === null || this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil((Math.min(100, Math.max(0, p)) / 100) * this.#total));
    let seen = 0;
    for (let i = 0; i < c.length; i++) {
      seen += c[i];
      if (seen >= rank) return binValue(this.#lo + i);
    }
    return binValue(this.#lo + c.length - 1);
  }

  /** Largest recorded value, as its bin reads back; 0 when empty. */
  get max(): number {
    return this.percentile(100);
  }

  /** `[version u8][lo u16 LE][count u32 LE]...` with zero bins trimmed at both ends. */
  encode(): Buffer {
    const c = this.#counts;
    let first = 0;
    let last = -1;
    if (c !== null) {
      while (first < c.length && c[first] === 0) first++;
      last = c.length - 1;
      while (last >= first && c[last] === 0) last--;
    }
    const n = last >= first ? last - first + 1 : 0;
    const buf = Buffer.allocUnsafe(3 + n * 4);
    buf.writeUInt8(ENCODING_VERSION, 0);
    buf.writeUInt16LE(n === 0 ? 0 : this.#lo + first, 1);
    for (let i = 0; i < n; i++) buf.writeUInt32LE(c![first + i], 3 + i * 4);
    return buf;
  }

  /** The histogram {@link encode} wrote; an empty one for an empty or unknown blob. */
  static decode(blob: Uint8Array | null | undefined): LogHistogram {
    const h = new LogHistogram();
    if (!blob || blob.length < 3 || blob[0] !== ENCODING_VERSION) return h;
    const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    const lo = buf.readUInt16LE(1);
    const n = Math.floor((buf.length - 3) / 4);
    for (let i = 0; i < n; i++) {
      const v = buf.readUInt32LE(3 + i * 4);
      if (v !== 0 && lo + i < LOG_HISTOGRAM_BINS) h.#add(lo + i, v);
    }
    return h;
  }

  #add(bin: number, n: number): void {
    let c = this.#counts;
    if (c === null) {
      this.#lo = Math.max(0, bin - SLACK);
      c = this.#counts = new Uint32Array(Math.min(LOG_HISTOGRAM_BINS, bin + SLACK + 1) - this.#lo);
    } else if (bin < this.#lo || bin >= this.#lo + c.length) {
      const lo = Math.max(0, Math.min(this.#lo, bin - SLACK));
      const hi = Math.min(LOG_HISTOGRAM_BINS, Math.max(this.#lo + c.length, bin + SLACK + 1));
      const grown = new Uint32Array(hi - lo);
      grown.set(c, this.#lo - lo);
      this.#lo = lo;
      c = this.#counts = grown;
    }
    c[bin - this.#lo] += n;
    this.#total += n;
  }
}
