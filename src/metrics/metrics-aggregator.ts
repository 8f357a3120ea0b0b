// The two modules used, not the package index: the index also loads the log writer, whose
// `Intl.NumberFormat` at load time brings ICU's locale data into memory (about 7 MB of RSS).
import { build } from 'hdr-histogram-js/dist/HistogramBuilder.js';
import { decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js/dist/encoding.js';
import { MetricsRing } from './metrics-ring.js';
import { ERROR_CLASS, RECORD_KIND, type RequestRecord } from './request-record.js';

type Histogram = ReturnType<typeof build>;

/** Histogram range: 1 µs to 1 hour, 3 significant digits (relative error at most 0.1%). */
export const HISTOGRAM_HIGHEST_US = 3_600_000_000;
const DEFAULT_INTERVAL_MS = 100;
const NANO = 1e9;
/** Statuses at or above this share one `byStatus` bucket ("other"); HTTP uses 100 to 599. */
const STATUS_SLOTS = 600;

const ERROR_CLASS_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, id] of Object.entries(ERROR_CLASS)) names[id] = name;
  return names;
})();

/** Percentiles of one latency metric, in µs. Values are within HDR precision (0.1%). */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  count: number;
}

/** Totals since the aggregator was created. Request totals count only `llmRequest` records. */
export interface MetricsSnapshot {
  requests: number;
  /** Requests whose errorClass is not `none`. */
  errors: number;
  /** Request counts keyed by HTTP status ("0" = no status was sent, "other" = 600 and above). */
  byStatus: Record<string, number>;
  /** Failed request counts keyed by ERROR_CLASS name. */
  byErrorClass: Record<string, number>;
  /** `llmAttempt` records, and how many of them failed. */
  attempts: number;
  attemptErrors: number;
  /** `mcpCall` records, and how many of them failed. */
  mcpCalls: number;
  mcpErrors: number;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Cost of the priced requests only. */
  costUsd: number;
  /** Requests with usage whose model had no known price (not in `costUsd`), and their tokens. */
  unpricedRequests: number;
  unpricedPromptTokens: number;
  unpricedCompletionTokens: number;
  /** Records lost because a ring was full (current rings plus removed ones). */
  overflows: number;
  latencyUs: LatencySummary;
  /** Only requests with a time to first token (ttftUs > 0). */
  ttftUs: LatencySummary;
  /** Only requests that measured it (overheadUs > 0; a real gateway overhead is never 0 µs). */
  overheadUs: LatencySummary;
}

/** The three request histograms, HDR-encoded (compressed base64), for merging across aggregators. */
export interface EncodedHistograms {
  latencyUs: string;
  ttftUs: string;
  overheadUs: string;
}

function newHistogram(): Histogram {
  // Fixed range so recording never resizes (no allocation) and encoded histograms always merge.
  return build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: HISTOGRAM_HIGHEST_US,
    numberOfSignificantValueDigits: 3,
    autoResize: false,
  });
}

function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, max: 0, count: 0 };
  return {
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    max: h.maxValue,
    count: h.totalCount,
  };
}

function clampUs(v: number): number {
  return v < HISTOGRAM_HIGHEST_US ? v : HISTOGRAM_HIGHEST_US;
}

/**
 * The one consumer of every metrics ring, on the main thread. Drains the registered rings on a
 * timer (or on demand) into HDR histograms and counters. hdr-histogram-js keeps its counts in
 * ordinary memory, not a SharedArrayBuffer, so histograms live here rather than per thread.
 */
export class MetricsAggregator {
  readonly #intervalMs: number;
  readonly #rings = new Map<string, MetricsRing>();
  #timer: NodeJS.Timeout | undefined;
  #retiredOverflows = 0;
  readonly #sinks: readonly ((rec: RequestRecord) => void)[];

  #requests = 0;
  #errors = 0;
  readonly #byStatus = new Array<number>(STATUS_SLOTS + 1).fill(0);
  readonly #byErrorClass = new Array<number>(256).fill(0);
  #attempts = 0;
  #attemptErrors = 0;
  #mcpCalls = 0;
  #mcpErrors = 0;
  #promptTokens = 0;
  #completionTokens = 0;
  #cachedTokens = 0;
  #reasoningTokens = 0;
  /** Integer nano-USD, so the sum stays exact (up to 2^53, about 9 million USD). */
  #costNanoUsd = 0;
  #unpricedRequests = 0;
  #unpricedPromptTokens = 0;
  #unpricedCompletionTokens = 0;
  readonly #latency = newHistogram();
  readonly #ttft = newHistogram();
  readonly #overhead = newHistogram();

  /**
   * `intervalMs`: drain period once {@link start}ed (default 100 ms); size rings to hold that long.
   * `sinks` see every drained record after the totals (time series, Prometheus); the record object
   * is reused, so a sink copies what it keeps.
   */
  constructor(opts: { intervalMs?: number; sinks?: readonly ((rec: RequestRecord) => void)[] } = {}) {
    this.#intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.#sinks = opts.sinks ?? [];
  }

  /** Rings currently registered, with their health, for `/metrics`. */
  rings(): { label: string; capacity: number; pending: number; overflows: number }[] {
    return [...this.#rings].map(([label, r]) => ({ label, capacity: r.capacity, pending: r.pending, overflows: r.overflows }));
  }

  /** Registers a ring (or the buffer of one made in another thread). A reused label replaces the old ring after draining it. */
  addRing(label: string, ring: MetricsRing | SharedArrayBuffer): void {
    if (this.#rings.has(label)) this.removeRing(label);
    this.#rings.set(label, ring instanceof MetricsRing ? ring : MetricsRing.attach(ring));
  }

  /** Drains what is left in the ring, keeps its overflow count, and forgets it. Unknown labels are ignored. */
  removeRing(label: string): void {
    const ring = this.#rings.get(label);
    if (ring === undefined) return;
    ring.drain(this.#visit);
    this.#retiredOverflows += ring.overflows;
    this.#rings.delete(label);
  }

  /** Starts the drain timer (unref'd: metrics never keep the process alive). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.drainNow(), this.#intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and drains once more, so nothing written before `stop` is lost. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.drainNow();
  }

  /** Drains every ring now; returns the number of records consumed. */
  drainNow(): number {
    let n = 0;
    for (const ring of this.#rings.values()) n += ring.drain(this.#visit);
    return n;
  }

  /** Current totals and percentiles (does not drain first; call {@link drainNow} for freshest data). */
  snapshot(): MetricsSnapshot {
    let overflows = this.#retiredOverflows;
    for (const ring of this.#rings.values()) overflows += ring.overflows;
    const byStatus: Record<string, number> = {};
    for (let s = 0; s <= STATUS_SLOTS; s++) {
      const c = this.#byStatus[s];
      if (c > 0) byStatus[s === STATUS_SLOTS ? 'other' : String(s)] = c;
    }
    const byErrorClass: Record<string, number> = {};
    for (let e = 1; e < this.#byErrorClass.length; e++) {
      const c = this.#byErrorClass[e];
      if (c > 0) byErrorClass[ERROR_CLASS_NAMES[e] ?? `class${e}`] = c;
    }
    return {
      requests: this.#requests,
      errors: this.#errors,
      byStatus,
      byErrorClass,
      attempts: this.#attempts,
      attemptErrors: this.#attemptErrors,
      mcpCalls: this.#mcpCalls,
      mcpErrors: this.#mcpErrors,
      promptTokens: this.#promptTokens,
      completionTokens: this.#completionTokens,
      cachedTokens: this.#cachedTokens,
      reasoningTokens: this.#reasoningTokens,
      costUsd: this.#costNanoUsd / NANO,
      unpricedRequests: this.#unpricedRequests,
      unpricedPromptTokens: this.#unpricedPromptTokens,
      unpricedCompletionTokens: this.#unpricedCompletionTokens,
      overflows,
      latencyUs: summarize(this.#latency),
      ttftUs: summarize(this.#ttft),
      overheadUs: summarize(this.#overhead),
    };
  }

  /** The request histograms, encoded; another aggregator can {@link mergeHistograms} them. */
  encodeHistograms(): EncodedHistograms {
    return {
      latencyUs: encodeIntoCompressedBase64(this.#latency),
      ttftUs: encodeIntoCompressedBase64(this.#ttft),
      overheadUs: encodeIntoCompressedBase64(this.#overhead),
    };
  }

  /** Adds encoded histograms (from {@link encodeHistograms}) into this aggregator's own. */
  mergeHistograms(encoded: EncodedHistograms): void {
    this.#latency.add(decodeFromCompressedBase64(encoded.latencyUs));
    this.#ttft.add(decodeFromCompressedBase64(encoded.ttftUs));
    this.#overhead.add(decodeFromCompressedBase64(encoded.overheadUs));
  }

  // One closure for the aggregator's life: drain() is called with it on every tick.
  readonly #visit = (rec: RequestRecord): void => {
    const failed = rec.errorClass !== ERROR_CLASS.none;
    switch (rec.kind) {
      case RECORD_KIND.llmRequest:
        this.#requests++;
        if (failed) {
          this.#errors++;
          this.#byErrorClass[rec.errorClass]++;
        }
        this.#byStatus[rec.status < STATUS_SLOTS ? rec.status : STATUS_SLOTS]++;
        this.#promptTokens += rec.promptTokens;
        this.#completionTokens += rec.completionTokens;
        this.#cachedTokens += rec.cachedTokens;
        this.#reasoningTokens += rec.reasoningTokens;
        this.#costNanoUsd += Math.round(rec.costUsd * NANO);
        if (rec.unpriced) {
          this.#unpricedRequests++;
          this.#unpricedPromptTokens += rec.promptTokens;
          this.#unpricedCompletionTokens += rec.completionTokens;
        }
        this.#latency.recordValue(clampUs(rec.durationUs));
        if (rec.overheadUs > 0) this.#overhead.recordValue(clampUs(rec.overheadUs));
        if (rec.ttftUs > 0) this.#ttft.recordValue(clampUs(rec.ttftUs));
        break;
      case RECORD_KIND.llmAttempt:
        this.#attempts++;
        if (failed) this.#attemptErrors++;
        break;
      case RECORD_KIND.mcpCall:
        this.#mcpCalls++;
        if (failed) this.#mcpErrors++;
        break;
      default:
        break; // unknown kinds (a newer producer) are consumed and ignored
    }
    const sinks = this.#sinks;
    for (let i = 0; i < sinks.length; i++) sinks[i](rec);
  };
}
