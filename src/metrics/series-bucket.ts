import { LogHistogram } from './log-histogram.js';
import { ERROR_CLASS, type RequestRecord } from './request-record.js';

const NANO = 1e9;

/** ERROR_CLASS names by id ("none" at 0). */
export const ERROR_CLASS_NAMES: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, id] of Object.entries(ERROR_CLASS)) names[id] = name;
  return names;
})();
const CLASS_SLOTS = ERROR_CLASS_NAMES.length;

/** What one time-series bucket holds for one series (a dimension value, or the global total). */
export interface SeriesBucket {
  requests: number;
  errors: number;
  /** Failed requests by ERROR_CLASS id (index 0 unused). */
  errorsByClass: number[];
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  /** Integer nano-USD, so sums stay exact; priced requests only. */
  costNano: number;
  /** Requests with usage whose model had no known price (their cost is unknown, not in `costNano`), and their tokens. */
  unpricedRequests: number;
  unpricedPromptTokens: number;
  unpricedCompletionTokens: number;
  /** Request latency, µs. */
  latency: LogHistogram;
  /** Time to first token, µs; only requests that had one. */
  ttft: LogHistogram;
}

export function emptyBucket(): SeriesBucket {
  return {
    requests: 0, errors: 0, errorsByClass: new Array<number>(CLASS_SLOTS).fill(0),
    promptTokens: 0, completionTokens: 0, cachedTokens: 0, reasoningTokens: 0, costNano: 0,
    unpricedRequests: 0, unpricedPromptTokens: 0, unpricedCompletionTokens: 0,
    latency: new LogHistogram(), ttft: new LogHistogram(),
  };
}

/** Adds one `llmRequest` record. */
export function addRecord(b: SeriesBucket, rec: RequestRecord): void {
  b.requests++;
  if (rec.errorClass !== ERROR_CLASS.none) {
    b.errors++;
    if (rec.errorClass < CLASS_SLOTS) b.errorsByClass[rec.errorClass]++;
  }
  b.promptTokens += rec.promptTokens;
  b.completionTokens += rec.completionTokens;
  b.cachedTokens += rec.cachedTokens;
  b.reasoningTokens += rec.reasoningTokens;
  b.costNano += Math.round(rec.costUsd * NANO);
  if (rec.unpriced) {
    b.unpricedRequests++;
    b.unpricedPromptTokens += rec.promptTokens;
    b.unpricedCompletionTokens += rec.completionTokens;
  }
  b.latency.record(rec.durationUs);
  if (rec.ttftUs > 0) b.ttft.record(rec.ttftUs);
}

/** Adds `src` into `dst`. */
export function mergeBucket(dst: SeriesBucket, src: SeriesBucket): void {
  dst.requests += src.requests;
  dst.errors += src.errors;
  for (let i = 0; i < CLASS_SLOTS; i++) dst.errorsByClass[i] += src.errorsByClass[i] ?? 0;
  dst.promptTokens += src.promptTokens;
  dst.completionTokens += src.completionTokens;
  dst.cachedTokens += src.cachedTokens;
  dst.reasoningTokens += src.reasoningTokens;
  dst.costNano += src.costNano;
  dst.unpricedRequests += src.unpricedRequests;
  dst.unpricedPromptTokens += src.unpricedPromptTokens;
  dst.unpricedCompletionTokens += src.unpricedCompletionTokens;
  dst.latency.merge(src.latency);
  dst.ttft.merge(src.ttft);
}

/** Error counts keyed by ERROR_CLASS name, zero classes left out. */
export function errorsByClassName(b: SeriesBucket): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 1; i < CLASS_SLOTS; i++) if (b.errorsByClass[i] > 0) out[ERROR_CLASS_NAMES[i]] = b.errorsByClass[i];
  return out;
}

/** The inverse of {@link errorsByClassName}; unknown names are ignored. */
export function errorsByClassFromNames(byName: Record<string, number>): number[] {
  const out = new Array<number>(CLASS_SLOTS).fill(0);
  for (const [name, n] of Object.entries(byName)) {
    const i = ERROR_CLASS_NAMES.indexOf(name);
    if (i > 0 && typeof n === 'number') out[i] = n;
  }
  return out;
}

/** A bucket as the stats API returns it (ms and USD; percentiles within 1.6%). */
export interface BucketView {
  requests: number;
  errors: number;
  errors_by_class: Record<string, number>;
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens: number;
  reasoning_tokens: number;
  /** Cost of the priced requests only. */
  cost_usd: number;
  /** Requests whose model had no known price: their cost is unknown and not in `cost_usd`. */
  unpriced_requests: number;
  unpriced_prompt_tokens: number;
  unpriced_completion_tokens: number;
  latency_ms: { p50: number; p90: number; p99: number; max: number };
  ttft_ms: { p50: number; p90: number; p99: number; count: number };
}

const ms = (us: number): number => Math.round(us) / 1000;

export function viewBucket(b: SeriesBucket): BucketView {
  return {
    requests: b.requests,
    errors: b.errors,
    errors_by_class: errorsByClassName(b),
    prompt_tokens: b.promptTokens,
    completion_tokens: b.completionTokens,
    cached_tokens: b.cachedTokens,
    reasoning_tokens: b.reasoningTokens,
    cost_usd: b.costNano / NANO,
    unpriced_requests: b.unpricedRequests,
    unpriced_prompt_tokens: b.unpricedPromptTokens,
    unpriced_completion_tokens: b.unpricedCompletionTokens,
    latency_ms: { p50: ms(b.latency.percentile(50)), p90: ms(b.latency.percentile(90)), p99: ms(b.latency.percentile(99)), max: ms(b.latency.max) },
    ttft_ms: { p50: ms(b.ttft.percentile(50)), p90: ms(b.ttft.percentile(90)), p99: ms(b.ttft.percentile(99)), count: b.ttft.count },
  };
}

/** The single-number metrics the time-series API can chart. */
export const SERIES_METRICS = [
  'requests', 'errors', 'error_rate', 'prompt_tokens', 'completion_tokens', 'cached_tokens', 'reasoning_tokens', 'tokens',
  'cost_usd', 'unpriced_requests', 'latency_p50', 'latency_p90', 'latency_p99', 'ttft_p50', 'ttft_p90', 'ttft_p99',
] as const;
export type SeriesMetric = (typeof SERIES_METRICS)[number];

/** One metric of a bucket; latencies in ms; null for a percentile of an empty histogram. */
export function metricOf(b: SeriesBucket, metric: SeriesMetric): number | null {
  switch (metric) {
    case 'requests': return b.requests;
    case 'errors': return b.errors;
    case 'error_rate': return b.requests === 0 ? 0 : b.errors / b.requests;
    case 'prompt_tokens': return b.promptTokens;
    case 'completion_tokens': return b.completionTokens;
    case 'cached_tokens': return b.cachedTokens;
    case 'reasoning_tokens': return b.reasoningTokens;
    case 'tokens': return b.promptTokens + b.completionTokens;
    case 'cost_usd': return b.costNano / NANO;
    case 'unpriced_requests': return b.unpricedRequests;
    case 'latency_p50': return b.latency.count === 0 ? null : ms(b.latency.percentile(50));
    case 'latency_p90': return b.latency.count === 0 ? null : ms(b.latency.percentile(90));
    case 'latency_p99': return b.latency.count === 0 ? null : ms(b.latency.percentile(99));
    case 'ttft_p50': return b.ttft.count === 0 ? null : ms(b.ttft.percentile(50));
    case 'ttft_p90': return b.ttft.count === 0 ? null : ms(b.ttft.percentile(90));
    case 'ttft_p99': return b.ttft.count === 0 ? null : ms(b.ttft.percentile(99));
  }
}
