import { labelSafe } from '../model/index.js';
import { Interner } from './interner.js';
import { MetricsAggregator } from './metrics-aggregator.js';
import { monitoringDbPath, openMonitoringDb, storeIsEmpty, type MonitoringDb } from './monitoring-db.js';
import { PrometheusExporter } from './prometheus.js';
import type { RequestLogFilter, RequestLogRow, StoreEvent, StoreFault } from '../workers/protocol.js';
import { RequestLogStore } from './request-log-store.js';
import { randomUUID } from 'node:crypto';
import { readMarkedRollups, rollupToWire, type RollupBackend } from './rollup-store.js';
import { fromWireError } from './store-engine.js';
import { InlineStoreWriter, WorkerStoreWriter, type StoreWriter } from './store-writer.js';
import { TimeSeries } from './time-series.js';

const HOUR = 3_600_000;
const ERROR_REPORT_EVERY_MS = 60_000;
const DEFAULT_FILE_CHECK_MS = 1000;
/**
 * Rows the writer thread commits in one transaction under load (see RequestLogStoreOptions.commitRows):
 * at 14,000 requests a second about 7 commits a second. Each commit has a fixed cost in the writer
 * thread (journal, fsync, the table's last pages): at c=64 the writer spent 6.4–6.7 µs per request
 * with batches of 2,048 against 8.9–9.2 with 512.
 */
export const EARLY_FLUSH_ROWS = 2048;
/**
 * Records that start a hand-over before the timer (RequestLogStoreOptions.batchRows): at 14,000
 * requests a second a part leaves every 18 ms, before most of its records have lived through a
 * young-generation collection of the main thread; the writer thread holds the parts until
 * EARLY_FLUSH_ROWS rows wait.
 */
export const PART_ROWS = 256;
/** Error text handed to `onError` is cut to these lengths (an error can quote what a client sent). */
const MAX_ERROR_MESSAGE = 1000;
const MAX_ERROR_STACK = 4000;

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
  /**
   * Called for failures of the store and the background work, with the error and its stack (each
   * kind of failure rate-limited: the first, then at most once a minute, saying how many were not
   * reported). Every failure is counted in {@link Monitoring.storeHealth} either way.
   */
  onError?: (what: string, err: Error) => void;
  /**
   * The most bytes the store may use (request log and rollups); past it the oldest request log rows
   * are deleted in batches, down to 90% of it, checked after each written batch (two header reads).
   * 0 or absent: no size cap (the age cap still applies).
   */
  logMaxBytes?: number;
  /** Honour {@link Monitoring.testStoreFault} (the gateway passes LOCALROUTER_TEST_HOOKS=1). */
  testHooks?: boolean;
  /** How often an idle store checks that its file is still the one at its path (default 1 s; writes check each time). */
  fileCheckIntervalMs?: number;
}

/** The store's health since start. */
export interface StoreHealth {
  /** Failed store work: writes, reads, retention, checks, the writer thread dying, a lost file. */
  errors: number;
  /** Writer threads started again after one died. */
  writerRestarts: number;
  /** Times the store file was found deleted or replaced (a fresh one is then opened at the path). */
  fileLost: number;
  /** Request log rows deleted by the size cap. */
  logTrimmed: number;
}

/** `err` with its message and stack cut to a bounded length. */
function boundedError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if (e.message.length <= MAX_ERROR_MESSAGE && (e.stack === undefined || e.stack.length <= MAX_ERROR_STACK)) return e;
  const out = new Error(labelSafe(e.message, MAX_ERROR_MESSAGE));
  out.stack = e.stack?.slice(0, MAX_ERROR_STACK);
  return out;
}

/**
 * Everything behind the rings: the aggregator (totals and HDR histograms), the time series, the
 * Prometheus counters, the request log and the SQLite store they persist to, and the timers that
 * drain, flush and enforce retention. The ingress writes rings and appends log entries; nothing
 * here runs on the request path.
 *
 * A fault in the store is never fatal and never silent: every failure is reported through
 * `onError` (with its stack) and counted ({@link storeHealth}); log rows it loses are counted as
 * dropped; a writer thread that dies is started again; a store file deleted or replaced underneath
 * is noticed and a fresh one opened. The store uses a rollback journal, not WAL, so no shared-memory
 * file is mapped and a damaged or replaced `-shm` next to it cannot take the process down with SIGBUS.
 */
export class Monitoring {
  /**
   * Every label value (clients, providers, models, strategies, MCP names). Model names come from
   * clients, so the table is capped well below what would make `/metrics` large or slow: past the
   * cap, new names count under "none".
   */
  readonly interner = new Interner({ max: 4_096 });
  readonly aggregator: MetricsAggregator;
  readonly series: TimeSeries;
  readonly prometheus: PrometheusExporter;
  readonly log: RequestLogStore;
  /** The SQLite file, or ':memory:'. */
  readonly dbFile: string;
  /**
   * This thread's connection for reads (the rollups, a generation record), when the writer has its
   * own thread: opened read-only on the first read, so a gateway nobody looks at holds none.
   */
  #db: MonitoringDb | null = null;
  readonly #writer: StoreWriter;
  /** The inline writer, whose connection this thread reads too; null with a writer thread. */
  readonly #inline: InlineStoreWriter | null;
  readonly #now: () => number;
  readonly #flushMs: number;
  readonly #maintenanceMs: number;
  readonly #fileCheckMs: number;
  readonly #testHooks: boolean;
  readonly #onError: (what: string, err: Error) => void;
  #timer: NodeJS.Timeout | undefined;
  #lastMaintenance = -Infinity;
  #lastFileCheck = -Infinity;
  #retentionBacklog = false;
  #retentionRunning = false;
  /** Per kind of failure: when it was last reported and how many were not reported since. */
  readonly #reports = new Map<string, { at: number; suppressed: number }>();
  #errors = 0;
  #fileLost = 0;
  #logTrimmed = 0;
  #closed = false;
  #flushQueued = false;

  private constructor(opts: MonitoringOptions, db: MonitoringDb, dbFile: string) {
    this.dbFile = dbFile;
    this.#now = opts.now ?? Date.now;
    this.#flushMs = opts.flushIntervalMs;
    this.#maintenanceMs = opts.maintenanceIntervalMs ?? HOUR;
    this.#fileCheckMs = opts.fileCheckIntervalMs ?? DEFAULT_FILE_CHECK_MS;
    this.#testHooks = opts.testHooks ?? false;
    this.#onError = opts.onError ?? (() => {});
    // Retention runs at start, then hourly; a fresh store has nothing to expire before the first
    // hourly run, and skipping that pass leaves the writer thread unstarted until there is work.
    try {
      if (storeIsEmpty(db)) this.#lastMaintenance = this.#now();
    } catch {
      // An unreadable store: retention runs at start and reports what fails.
    }
    this.#guard('forget the rollup marks of earlier runs', () => forgetRollupMarks(db));
    const store = { logMaxBytes: opts.logMaxBytes ?? 0, testHooks: this.#testHooks, onEvent: (e: StoreEvent) => this.#onStoreEvent(e) };
    if (dbFile === ':memory:' || opts.writer === 'inline') {
      this.#inline = new InlineStoreWriter(db, { ...store, file: dbFile });
      this.#writer = this.#inline;
    } else {
      this.#inline = null;
      // The writer thread opens its own connection; this thread reads on one of its own, when it reads.
      db.close();
      this.#writer = new WorkerStoreWriter(dbFile, {
        ...store, fileCheckMs: this.#fileCheckMs,
        onError: (err) => this.#report('keep the store writer thread running (started it again)', err),
      });
    }
    // This process's name in the store's rollup marks: what it reads back tells which of its batches are in.
    const writer = randomUUID();
    const rollups: RollupBackend = {
      read: (res, dim, key, from, to) => {
        const reader = this.#reader();
        return reader === null ? { rows: [], committedSeq: -1 } : readMarkedRollups(reader, writer, res, dim, key, from, to);
      },
      merge: (rows, seq, done) => this.#writer.mergeRollups(rows.map(rollupToWire), { writer, seq }, done),
      deleteBefore: () => {}, // retention goes through the writer, with the log's (enforceRetention)
    };
    this.series = new TimeSeries({ interner: this.interner, store: rollups, now: this.#now, onError: (err) => this.#report('write the time-series rollups', err) });
    this.prometheus = new PrometheusExporter({ interner: this.interner });
    this.aggregator = new MetricsAggregator({ intervalMs: opts.drainIntervalMs ?? 250, sinks: [this.series.record, this.prometheus.record] });
    this.log = new RequestLogStore(() => this.#reader(), {
      retentionDays: opts.logRetentionDays, bodyMaxBytes: opts.logBodyMaxBytes, now: this.#now, writer: this.#writer,
      // On the writer thread only: a main-thread writer would wait on the store's commit more often.
      batchRows: this.#writer.mode === 'worker' ? PART_ROWS : undefined, commitRows: EARLY_FLUSH_ROWS, onBatchReady: () => this.#flushSoon(),
      onError: (err) => this.#report('write the request log', err),
    });
  }

  /** `worker` or `inline`: where SQLite writes run. */
  get writerMode(): 'worker' | 'inline' {
    return this.#writer.mode;
  }

  /** Whether the writer runs: a writer thread starts with the first write, read or retention pass. */
  get writerStarted(): boolean {
    return this.#writer.started;
  }

  /** Failures, writer restarts, lost files and size-cap deletions since start. */
  storeHealth(): StoreHealth {
    return { errors: this.#errors, writerRestarts: this.#writer.restarts, fileLost: this.#fileLost, logTrimmed: this.#logTrimmed };
  }

  /**
   * Test hook, refused unless `testHooks`: `throw` raises an exception inside the store writer (as a
   * failing SQLite call would), `crash` kills the writer thread with an uncaught exception. Resolves
   * once the writer has answered (for `crash`, before the thread dies); the fault is reported and
   * counted like a real one.
   */
  async testStoreFault(fault: StoreFault): Promise<void> {
    if (!this.#testHooks) throw new Error('store test hooks are disabled (LOCALROUTER_TEST_HOOKS=1 enables them)');
    try {
      await this.#writer.testFault(fault);
    } catch (err) {
      this.#report('run the store writer', err);
    }
  }

  /** The connection this thread reads: the inline writer's, or its own (opened now if it is not yet). */
  #reader(): MonitoringDb | null {
    if (this.#inline !== null) return this.#inline.db;
    if (this.#db === null && !this.#closed) {
      try {
        this.#db = openMonitoringDb(this.dbFile, { readonly: true });
      } catch (err) {
        this.#report('open the store for reading', err);
      }
    }
    return this.#db;
  }

  #onStoreEvent(e: StoreEvent): void {
    switch (e.type) {
      case 'file-lost':
        this.#fileLost++;
        this.log.countLost(e.lost);
        this.#report('keep the store file', new Error(`${this.dbFile} was ${e.reason} while open: the ${e.lost} request log rows written into it `
          + 'are lost with it (counted as dropped), and so is the history it held; a fresh store is opened at the path'));
        break;
      case 'reopened':
        this.#reopenReader();
        break;
      case 'trimmed':
        this.#logTrimmed += e.rows;
        break;
      case 'error':
        this.#report(e.what ?? 'check the store file', fromWireError(e.error));
        break;
    }
  }

  /** After the writer thread opened a fresh store at the path, this thread reads that one too. */
  #reopenReader(): void {
    if (this.#inline !== null || this.#closed || this.#db === null) return;
    const old = this.#db;
    try {
      this.#db = openMonitoringDb(this.dbFile, { readonly: true });
    } catch (err) {
      this.#report('open the fresh store for reading', err);
      return;
    }
    this.#guard('close the lost store', () => old.close());
  }

  /**
   * Opens the store and starts the timers. A store that cannot be opened (a damaged file, a full
   * disk) is reported through `onError` and replaced by an in-memory one: monitoring degrades, the
   * gateway still starts.
   */
  static open(opts: MonitoringOptions): Monitoring {
    let db: MonitoringDb;
    let file = ':memory:';
    let failure: unknown = null;
    if (opts.home === null) {
      db = openMonitoringDb(file);
    } else {
      try {
        file = monitoringDbPath(opts.home);
        db = openMonitoringDb(file);
      } catch (err) {
        failure = err;
        file = ':memory:';
        db = openMonitoringDb(file);
      }
    }
    const m = new Monitoring(opts, db, file);
    if (failure !== null) m.#report('open the monitoring store (using memory instead; history will not persist)', failure);
    m.aggregator.start();
    m.#timer = setInterval(() => m.tick(), m.#flushMs);
    m.#timer.unref();
    return m;
  }

  /** Hands the request log's queued records to the writer once the current I/O is done (a full part is waiting). */
  #flushSoon(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => {
      this.#flushQueued = false;
      if (!this.#closed) this.#guard('write the request log', () => this.log.flushPart());
    });
  }

  /** Drains the rings, hands the log batch and the rollup deltas to the writer, prunes, and runs retention when due. */
  tick(): void {
    if (this.#closed) return;
    // The writer thread checks its file on its own timer; the inline writer is checked from here.
    if (this.#inline !== null && Date.now() - this.#lastFileCheck >= this.#fileCheckMs) {
      this.#lastFileCheck = Date.now();
      this.#guard('check the store file', () => this.#inline!.checkFile());
    }
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

  /** Request log rows matching `filter`, including every request finished before the call (read through the writer). */
  async queryLog(filter: RequestLogFilter = {}): Promise<RequestLogRow[]> {
    try {
      return await this.log.query(filter);
    } catch (err) {
      this.#report('read the request log', err);
      throw err;
    }
  }

  /**
   * One request log record by generation id (queued or stored, read through the writer); with
   * `clientId`, also by the id an upstream gave that client's answer. Undefined when unknown.
   */
  async lookupLog(id: string, clientId?: string): Promise<RequestLogRow | undefined> {
    try {
      return await this.log.lookup(id, clientId);
    } catch (err) {
      this.#report('read the request log', err);
      throw err;
    }
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
    this.#guard('close the monitoring store', () => {
      this.#inline?.db?.close();
      if (this.#db?.open === true) this.#db.close();
    });
  }

  #guard(what: string, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      this.#report(what, err);
    }
  }

  #report(what: string, err: unknown): void {
    this.#errors++;
    const now = Date.now();
    const last = this.#reports.get(what);
    if (last !== undefined && now - last.at < ERROR_REPORT_EVERY_MS) {
      last.suppressed++;
      return;
    }
    this.#reports.set(what, { at: now, suppressed: 0 });
    const more = last !== undefined && last.suppressed > 0 ? ` (and ${last.suppressed} more times since the last report)` : '';
    this.#onError(`${what}${more}`, boundedError(err));
  }
}

/**
 * A rollup mark says which batches of a running gateway's time series are already in the store. A
 * gateway holds its home's instance lock, so the marks found at its start are all of runs that have
 * ended: without this, the table would gain a row at every start.
 */
function forgetRollupMarks(db: MonitoringDb): void {
  db.prepare('DELETE FROM rollup_marks').run();
}
