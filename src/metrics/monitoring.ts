import { Interner } from './interner.js';
import { MetricsAggregator } from './metrics-aggregator.js';
import { monitoringDbPath, openMonitoringDb, type MonitoringDb } from './monitoring-db.js';
import { PrometheusExporter } from './prometheus.js';
import { queryRequestLog } from './request-log-query.js';
import { RequestLogStore, type RequestLogFilter, type RequestLogRow } from './request-log-store.js';
import { RollupStore, readRollups, rollupToWire, type RollupBackend } from './rollup-store.js';
import { InlineStoreWriter, WorkerStoreWriter, type StoreWriter } from './store-writer.js';
import { TimeSeries } from './time-series.js';

const HOUR = 3_600_000;
const ERROR_REPORT_EVERY_MS = 60_000;

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
  /**
   * `worker` (default for a file store): SQLite writes run on their own thread, so inserts, WAL
   * checkpoints and retention never block the event loop; `inline`: on this thread, synchronously
   * (always for an in-memory store).
   */
  writer?: 'worker' | 'inline';
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
  readonly #writer: StoreWriter;
  readonly #now: () => number;
  readonly #flushMs: number;
  readonly #maintenanceMs: number;
  readonly #onError: (what: string, err: unknown) => void;
  #timer: NodeJS.Timeout | undefined;
  #lastMaintenance = -Infinity;
  #retentionBacklog = false;
  #retentionRunning = false;
  #lastErrorReport = -Infinity;
  #closed = false;

  private constructor(opts: MonitoringOptions, db: MonitoringDb, dbFile: string) {
    this.#db = db;
    this.dbFile = dbFile;
    this.#now = opts.now ?? Date.now;
    this.#flushMs = opts.flushIntervalMs;
    this.#maintenanceMs = opts.maintenanceIntervalMs ?? HOUR;
    this.#onError = opts.onError ?? (() => {});
    const inline = (): StoreWriter => new InlineStoreWriter(db);
    this.#writer = dbFile === ':memory:' || opts.writer === 'inline' ? inline() : new WorkerStoreWriter(dbFile, {
      fallback: inline,
      onFatal: (err) => this.#report('keep the store writer thread running (writing on the main thread from now on)', err),
    });
    const rollups: RollupBackend = this.#writer.mode === 'inline' ? new RollupStore(db) : {
      read: (res, dim, key, from, to) => readRollups(db, res, dim, key, from, to),
      merge: (rows, done) => this.#writer.mergeRollups(rows.map(rollupToWire), done),
      deleteBefore: () => {}, // retention goes through the writer, with the log's (enforceRetention)
    };
    this.series = new TimeSeries({ interner: this.interner, store: rollups, now: this.#now, onError: (err) => this.#report('write the time-series rollups', err) });
    this.prometheus = new PrometheusExporter({ interner: this.interner });
    this.aggregator = new MetricsAggregator({ intervalMs: opts.drainIntervalMs ?? 250, sinks: [this.series.record, this.prometheus.record] });
    this.log = new RequestLogStore(db, {
      retentionDays: opts.logRetentionDays, bodyMaxBytes: opts.logBodyMaxBytes, now: this.#now, writer: this.#writer,
      onError: (err) => this.#report('write the request log', err),
    });
  }

  /** `worker` or `inline`: where SQLite writes run. */
  get writerMode(): 'worker' | 'inline' {
    return this.#writer.mode;
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

  /** Drains the rings, hands the log batch and the rollup deltas to the writer, prunes, and runs retention when due. */
  tick(): void {
    if (this.#closed) return;
    this.#guard('drain the metrics rings', () => this.aggregator.drainNow());
    this.#guard('write the request log', () => this.log.flush());
    this.#guard('write the time-series rollups', () => this.series.persist());
    this.series.pruneSeconds();
    if (!this.#retentionRunning && (this.#retentionBacklog || this.#now() - this.#lastMaintenance >= this.#maintenanceMs)) {
      this.#guard('enforce retention', () => this.enforceRetention());
    }
  }

  /**
   * Deletes what is past retention: request log rows (in bounded passes on the main thread; all at
   * once on the writer thread) and rollups. Resolves when done.
   */
  enforceRetention(): Promise<void> {
    this.#lastMaintenance = this.#now();
    this.#retentionRunning = true;
    return new Promise((resolve) => {
      this.#writer.deleteExpired(this.log.retentionCutoff(), this.series.retentionCutoffs(), (err, more) => {
        this.#retentionRunning = false;
        this.#retentionBacklog = more;
        if (err) this.#report('enforce retention', err);
        resolve();
      });
    });
  }

  /** Resolves once every record finished before the call is in SQLite (log rows and rollups). */
  async sync(): Promise<void> {
    this.aggregator.drainNow();
    this.log.flush();
    this.series.persist();
    await this.#writer.sync();
  }

  /** Request log rows matching `filter`, including every request finished before the call. */
  async queryLog(filter: RequestLogFilter = {}): Promise<RequestLogRow[]> {
    await this.sync();
    return queryRequestLog(this.#db, filter);
  }

  /** Stops the timers, writes everything still buffered, stops the writer and closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.aggregator.stop();
    this.#guard('write the request log', () => this.log.flush());
    this.#guard('write the time-series rollups', () => this.series.persist(true));
    try {
      await this.#writer.close();
    } catch (err) {
      this.#report('stop the store writer', err);
    }
    this.#guard('close the monitoring store', () => this.#db.close());
  }

  #guard(what: string, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      this.#report(what, err);
    }
  }

  #report(what: string, err: unknown): void {
    const now = Date.now();
    if (now - this.#lastErrorReport >= ERROR_REPORT_EVERY_MS) {
      this.#lastErrorReport = now;
      this.#onError(what, err);
    }
  }
}
