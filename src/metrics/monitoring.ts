import { Interner } from './interner.js';
import { MetricsAggregator } from './metrics-aggregator.js';
import { monitoringDbPath, openMonitoringDb, type MonitoringDb } from './monitoring-db.js';
import { PrometheusExporter } from './prometheus.js';
import { RequestLogStore } from './request-log-store.js';
import { RollupStore } from './rollup-store.js';
import { TimeSeries } from './time-series.js';

const HOUR = 3_600_000;
/** Retention deletes at most this many log rows per tick, so a large backlog never stalls the loop. */
const RETENTION_ROWS_PER_TICK = 50_000;
const RETENTION_BATCH = 5000;
const ERROR_REPORT_EVERY_MS = 60_000;
/**
 * Rows per log write: a batch blocks the event loop while SQLite inserts it (a few µs a row), so a
 * large backlog is written in chunks with the loop free in between.
 */
const LOG_CHUNK = 2000;

export interface MonitoringOptions {
  /** Data dir holding `localrouter.db`; null keeps everything in an in-memory SQLite database. */
  home: string | null;
  /** Request log rows are kept this many days (at least 1: generation records must last 24 h). */
  logRetentionDays: number;
  /** Request log and rollup batches are written this often. */
  flushIntervalMs: number;
  /** 0: no bodies in the log; otherwise the most bytes kept of each request and response body. */
  logBodyMaxBytes: number;
  /** How often retention runs (default hourly; also once at start). */
  maintenanceIntervalMs?: number;
  /** How often the rings are drained (default 250 ms). */
  drainIntervalMs?: number;
  /** Epoch ms; injectable so tests can move retention and buckets through time. */
  now?: () => number;
  /** Called for failures of the background work (rate-limited: the first, then at most once a minute). */
  onError?: (what: string, err: unknown) => void;
}

/**
 * Everything behind the rings: the aggregator (totals and HDR histograms), the time series, the
 * Prometheus counters, the request log and the SQLite store they persist to, and the timers that
 * drain, flush and enforce retention. The ingress writes rings and appends log entries; nothing
 * here runs on the request path.
 */
export class Monitoring {
  readonly interner = new Interner();
  readonly aggregator: MetricsAggregator;
  readonly series: TimeSeries;
  readonly prometheus: PrometheusExporter;
  readonly log: RequestLogStore;
  /** The SQLite file, or ':memory:'. */
  readonly dbFile: string;
  readonly #db: MonitoringDb;
  readonly #now: () => number;
  readonly #flushMs: number;
  readonly #maintenanceMs: number;
  readonly #onError: (what: string, err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #lastMaintenance = -Infinity;
  #retentionBacklog = false;
  #lastErrorReport = -Infinity;
  #closed = false;

  private constructor(opts: MonitoringOptions, db: MonitoringDb, dbFile: string) {
    this.#db = db;
    this.dbFile = dbFile;
    this.#now = opts.now ?? Date.now;
    this.#flushMs = opts.flushIntervalMs;
    this.#maintenanceMs = opts.maintenanceIntervalMs ?? HOUR;
    this.#onError = opts.onError ?? (() => {});
    this.series = new TimeSeries({ interner: this.interner, store: new RollupStore(db), now: this.#now });
    this.prometheus = new PrometheusExporter({ interner: this.interner });
    this.aggregator = new MetricsAggregator({ intervalMs: opts.drainIntervalMs ?? 250, sinks: [this.series.record, this.prometheus.record] });
    this.log = new RequestLogStore(db, { retentionDays: opts.logRetentionDays, bodyMaxBytes: opts.logBodyMaxBytes, now: this.#now });
  }

  /**
   * Opens the store and starts the timers. A store that cannot be opened (a damaged file, a full
   * disk) is reported through `onError` and replaced by an in-memory one: monitoring degrades, the
   * gateway still starts.
   */
  static open(opts: MonitoringOptions): Monitoring {
    let db: MonitoringDb;
    let file = ':memory:';
    if (opts.home === null) {
      db = openMonitoringDb(file);
    } else {
      try {
        file = monitoringDbPath(opts.home);
        db = openMonitoringDb(file);
      } catch (err) {
        opts.onError?.('open the monitoring store (using memory instead; history will not persist)', err);
        file = ':memory:';
        db = openMonitoringDb(file);
      }
    }
    const m = new Monitoring(opts, db, file);
    m.aggregator.start();
    m.#timer = setInterval(() => m.tick(), m.#flushMs);
    m.#timer.unref();
    return m;
  }

  /** Drains the rings, writes the log batch and the rollup deltas, prunes, and runs retention when due. */
  tick(): void {
    if (this.#closed) return;
    this.#guard('drain the metrics rings', () => this.aggregator.drainNow());
    this.#flushLogChunk();
    this.#guard('write the time-series rollups', () => this.series.persist());
    this.series.pruneSeconds();
    if (this.#retentionBacklog || this.#now() - this.#lastMaintenance >= this.#maintenanceMs) {
      this.#guard('enforce retention', () => this.enforceRetention());
    }
  }

  #flushLogChunk(): void {
    if (this.#closed) return;
    this.#guard('write the request log', () => this.log.flush(LOG_CHUNK));
    if (this.log.pending >= LOG_CHUNK) setImmediate(() => this.#flushLogChunk());
  }

  /** Deletes what is past retention (log rows in bounded batches; the rest is continued next tick). */
  enforceRetention(): number {
    this.#lastMaintenance = this.#now();
    let deleted = 0;
    let n = RETENTION_BATCH;
    while (n === RETENTION_BATCH && deleted < RETENTION_ROWS_PER_TICK) {
      n = this.log.deleteExpired(RETENTION_BATCH);
      deleted += n;
    }
    this.#retentionBacklog = n === RETENTION_BATCH;
    deleted += this.series.deleteExpired();
    return deleted;
  }

  /** Stops the timers, writes everything still buffered, and closes the store. Idempotent. */
  close(): void {
    if (this.#closed) return;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.aggregator.stop();
    this.#guard('write the request log', () => this.log.flush());
    this.#guard('write the time-series rollups', () => this.series.persist(true));
    this.#closed = true;
    this.#guard('close the monitoring store', () => this.#db.close());
  }

  #guard(what: string, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      const now = Date.now();
      if (now - this.#lastErrorReport >= ERROR_REPORT_EVERY_MS) {
        this.#lastErrorReport = now;
        this.#onError(what, err);
      }
    }
  }
}
