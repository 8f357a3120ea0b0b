/**
 * @module metrics
 * Request metrics without postMessage on the hot path. Every thread that finishes requests owns one
 * {@link MetricsRing} (single producer) in a SharedArrayBuffer and writes one fixed-size
 * {@link RequestRecord} per request, attempt or MCP call; the main thread's
 * {@link MetricsAggregator} (single consumer) drains all rings into HDR histograms and counters,
 * and hands each record to its sinks: the {@link TimeSeries} (second, minute, hour and day buckets
 * per dimension, persisted in SQLite) and the {@link PrometheusExporter}. The {@link RequestLogStore}
 * keeps one row per request in the same SQLite file (`<home>/localrouter.db`, rollback journal: no
 * memory-mapped `-shm`), written in batches by a writer thread (`store-writer.ts`, restarted if it
 * dies) so SQLite never runs on the event loop's time; the thread also checks that the file is still
 * the one at its path, and keeps the store under its size cap.
 * {@link Monitoring} wires all of it together with its timers.
 *
 * ```ts
 * // main thread
 * const monitoring = Monitoring.open({ home, logRetentionDays: 30, flushIntervalMs: 250, logBodyMaxBytes: 0 });
 * const ring = MetricsRing.create(8192);
 * monitoring.aggregator.addRing('provider-0', ring);
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
export { classifyError } from './classify-error.js';
export { LogHistogram, LOG_HISTOGRAM_PRECISION } from './log-histogram.js';
export { ERROR_CLASS_NAMES, SERIES_METRICS, emptyBucket, mergeBucket, viewBucket } from './series-bucket.js';
export type { BucketView, SeriesBucket, SeriesMetric } from './series-bucket.js';
export { DIMENSIONS, OTHER_KEY, RESOLUTIONS, TimeSeries, pickResolution } from './time-series.js';
export type { Dimension, Resolution, SeriesPoint, SeriesQuery } from './time-series.js';
export { PrometheusExporter, LATENCY_BUCKETS_S, OVERHEAD_BUCKETS_S, escapeLabel, renderPromFamilies } from './prometheus.js';
export type { PromFamily } from './prometheus.js';
export { MONITORING_DB_FILE, monitoringDbPath, openMonitoringDb } from './monitoring-db.js';
export type { MonitoringDb } from './monitoring-db.js';
export { RequestLogStore } from './request-log-store.js';
export { MAX_LOG_TEXT_QUERY, getRequestLog, queryRequestLog } from './request-log-query.js';
export type { LogAttempt, RequestLogEntry } from './request-log-store.js';
export type { RequestLogFilter, RequestLogRow, RowAttempt, StoreFault } from '../workers/protocol.js';
export { RollupStore, readRollups } from './rollup-store.js';
export type { RollupBackend, RollupRow } from './rollup-store.js';
export type { StoreWriter } from './store-writer.js';
export { storedTotals } from './stored-totals.js';
export { parseDuration } from './parse-duration.js';
export { EARLY_FLUSH_ROWS, Monitoring, PART_ROWS } from './monitoring.js';
export type { MonitoringOptions, StoreHealth } from './monitoring.js';
