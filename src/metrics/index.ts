/**
 * @module metrics
 * Request metrics without postMessage on the hot path. Every thread that finishes requests owns one
 * {@link MetricsRing} (single producer) in a SharedArrayBuffer and writes one fixed-size
 * {@link RequestRecord} per request, attempt or MCP call; the main thread's
 * {@link MetricsAggregator} (single consumer) drains all rings into HDR histograms and counters.
 *
 * ```ts
 * // main thread
 * const ring = MetricsRing.create(8192);
 * aggregator.addRing('provider-0', ring);
 * spawnWorker(url, { workerData: { metricsBuffer: ring.buffer } });
 * // worker
 * const ring = MetricsRing.attach(workerData.metricsBuffer);
 * const rec = createRecord();            // one per thread, refilled per request
 * rec.kind = RECORD_KIND.llmRequest; ... ring.write(rec);
 * ```
 * The byte layout lives in `layout.ts`.
 */

export { ERROR_CLASS, RECORD_KIND, createRecord } from './request-record.js';
export type { ErrorClass, RecordKind, RequestRecord } from './request-record.js';
export { MetricsRing } from './metrics-ring.js';
export { Interner } from './interner.js';
export { MetricsAggregator, HISTOGRAM_HIGHEST_US } from './metrics-aggregator.js';
export type { EncodedHistograms, LatencySummary, MetricsSnapshot } from './metrics-aggregator.js';
