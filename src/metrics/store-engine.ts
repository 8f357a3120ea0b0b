import type { LogRow, RequestLogFilter, RequestLogRow, RollupMark, RollupWire, StoreEvent, WireError } from '../workers/protocol.js';
import { openMonitoringDb, storeFileIdentity, type MonitoringDb, type StoreFileIdentity } from './monitoring-db.js';
import { getRequestLog, queryRequestLog } from './request-log-query.js';
import { createSqlWriter, type SqlWriter } from './sql-writer.js';

/** Below the cap, trimming stops here, so it runs once per tenth of the cap written, not per batch. */
const TRIM_LOW_WATER = 0.9;
/** A log row's bytes beyond its values, for the estimate of a batch's size: record header, index entries. */
const ROW_OVERHEAD = 64;

/** SQLite's "database is locked" after busy_timeout: another connection holds the store; the work can be tried again. */
export function isStoreBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

export function toWireError(err: unknown): WireError {
  if (err instanceof Error) return { message: err.message, stack: err.stack };
  return { message: String(err) };
}

export function fromWireError(w: WireError): Error {
  const err = new Error(w.message);
  err.stack = w.stack ?? `Error: ${w.message}`;
  return err;
}

export interface StoreEngineOptions {
  /** The store's path, or ':memory:' (then `db` is required and nothing is checked or reopened). */
  file: string;
  /** A connection already open on `file` to start with (the inline writer shares the reader's). */
  db?: MonitoringDb;
  /** The most bytes the store may use before the oldest log rows are deleted; 0: no cap. */
  logMaxBytes: number;
  /** Log rows one size-cap pass may delete before yielding (a later batch carries on). */
  maxTrimRows: number;
  /** Whether {@link StoreEngine.testFault} is honoured (LOCALROUTER_TEST_HOOKS=1). */
  testHooks?: boolean;
  emit: (event: StoreEvent) => void;
}

/**
 * The side of the monitoring store that owns the writing connection (on the writer thread, or on
 * the main thread for the inline writer): batches, rollups, retention, the size cap, and the reads
 * that are routed through it. Before each operation it checks, with one stat call, that the file at
 * the path is still the one open; a store deleted or replaced underneath is reported (with the log
 * rows written into it counted as lost) and a fresh one opened at the path, instead of writing on
 * into a file nobody can read. The connection opens lazily, so a store that cannot be
 * opened fails each operation (reported and counted by the caller) rather than the thread.
 */
export class StoreEngine {
  readonly #file: string;
  readonly #opts: StoreEngineOptions;
  #db: MonitoringDb | null;
  #sql: SqlWriter | null = null;
  #identity: StoreFileIdentity | null = null;
  /** Log rows committed into the open file since it was opened. */
  #rowsInFile = 0;
  #lost = false;

  constructor(opts: StoreEngineOptions) {
    this.#opts = opts;
    this.#file = opts.file;
    this.#db = opts.db ?? null;
    if (this.#db !== null) this.#adopt(this.#db);
  }

  /** The open connection, or null while the store cannot be opened. */
  get db(): MonitoringDb | null {
    return this.#db;
  }

  /**
   * Commits `rows`. A failure throws with `committedRows` set to how many of them were committed
   * before it (a batch under a size cap lands in parts): those must not be written again. A failure
   * of the trim after the last part is reported, not thrown (every row is in).
   */
  writeLog(rows: LogRow[]): void {
    const sql = this.#ready();
    const max = this.#opts.logMaxBytes;
    if (max <= 0) {
      sql.writeLog(rows);
      this.#rowsInFile += rows.length;
      return;
    }
    // Room is made before rows land, so the file does not outgrow the cap by a batch. A batch
    // larger than half the room a trim leaves (large bodies logged, a small cap) lands in parts,
    // room made before each: else it would pass the cap by its own size.
    const budget = Math.max(1, Math.floor((max * TRIM_LOW_WATER) / 2));
    let committed = 0;
    try {
      for (const part of partsOf(rows, budget)) {
        this.#enforceCap(sql, part.bytes);
        sql.writeLog(part.rows);
        committed += part.rows.length;
        this.#rowsInFile += part.rows.length;
      }
    } catch (err) {
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { committedRows: committed });
    }
    try {
      this.#enforceCap(sql, 0);
    } catch (err) {
      this.#opts.emit({ type: 'error', what: 'keep the store under monitoring.log_max_mb', error: toWireError(err) });
    }
  }

  mergeRollups(rows: RollupWire[], mark?: RollupMark): void {
    this.#ready().mergeRollups(rows, mark);
  }

  deleteExpired(logBefore: number, series: [number, number][], maxLogRows: number): { deleted: number; more: boolean } {
    const sql = this.#ready();
    const r = sql.deleteExpired(logBefore, series, maxLogRows);
    this.#enforceCap(sql, 0);
    return r;
  }

  query(filter: RequestLogFilter): RequestLogRow[] {
    this.#ready();
    return queryRequestLog(this.#db!, filter);
  }

  get(id: string, clientId?: string): RequestLogRow | undefined {
    this.#ready();
    return getRequestLog(this.#db!, id, clientId);
  }

  /**
   * The periodic check of an idle store: reports a file that is gone or replaced and opens a fresh
   * one at once (so readers see it); does nothing while no store is open (the next write retries).
   * Also reports (and undoes, when it can) a switch to WAL: SQLite takes up a non-empty `-wal` file
   * it finds beside the store (another program opening it in WAL mode leaves one), and would then
   * map a `-shm` file again.
   */
  checkFile(): void {
    if (this.#db === null) return;
    this.#checkIdentity();
    if (this.#db === null) {
      this.#open();
      return;
    }
    if (this.#file === ':memory:') return;
    const mode = this.#db.pragma('journal_mode', { simple: true }) as string;
    if (mode === 'truncate') return;
    let now = mode;
    try {
      now = this.#db.pragma('journal_mode = TRUNCATE', { simple: true }) as string;
    } catch {
      // another connection still has the WAL open; reported below, tried again next time
    }
    throw new Error(`${this.#file} was switched to journal mode ${mode} by another program (a -wal file beside it); `
      + (now === 'truncate' ? 'switched back to a rollback journal' : 'switching back failed: a truncated -shm file could now stop the process'));
  }

  /** Test hook: throws inside the engine, as an SQLite error or a bug would. */
  testFault(): never {
    if (!this.#opts.testHooks) throw new Error('store test hooks are disabled (LOCALROUTER_TEST_HOOKS=1 enables them)');
    throw new Error('test hook: exception in the store writer');
  }

  close(): void {
    const db = this.#db;
    this.#db = null;
    this.#sql = null;
    db?.close();
  }

  #ready(): SqlWriter {
    this.#checkIdentity();
    if (this.#sql === null) this.#open();
    return this.#sql!;
  }

  #open(): void {
    this.#adopt(openMonitoringDb(this.#file, { writer: true }));
    if (this.#lost) {
      this.#lost = false;
      this.#opts.emit({ type: 'reopened' });
    }
  }

  #adopt(db: MonitoringDb): void {
    this.#db = db;
    this.#sql = createSqlWriter(db);
    this.#identity = this.#file === ':memory:' ? null : storeFileIdentity(this.#file);
    this.#rowsInFile = 0;
  }

  #checkIdentity(): void {
    if (this.#db === null || this.#file === ':memory:') return;
    const now = storeFileIdentity(this.#file);
    const was = this.#identity;
    if (now !== null && was !== null && now.dev === was.dev && now.ino === was.ino) return;
    const lost = this.#rowsInFile;
    const db = this.#db;
    this.#db = null;
    this.#sql = null;
    this.#rowsInFile = 0;
    this.#lost = true;
    try {
      db.close();
    } catch {
      // the file is gone; nothing of the old connection is worth keeping
    }
    this.#opts.emit({ type: 'file-lost', reason: now === null ? 'deleted' : 'replaced', lost });
  }

  /** Trims the log to 90% of the cap less `incoming` bytes when the store plus `incoming` would pass the cap. */
  #enforceCap(sql: SqlWriter, incoming: number): void {
    const max = this.#opts.logMaxBytes;
    if (max <= 0 || sql.usedBytes() + incoming <= max) return;
    const { deleted } = sql.trimToSize(Math.max(0, Math.floor(max * TRIM_LOW_WATER) - incoming), this.#opts.maxTrimRows);
    if (deleted > 0) this.#opts.emit({ type: 'trimmed', rows: deleted });
  }
}

/** About the bytes a row takes in the store (text as its length, numbers as 8 bytes). */
function rowBytes(row: LogRow): number {
  let n = ROW_OVERHEAD;
  for (let j = 0; j < row.length; j++) {
    const v = row[j];
    n += typeof v === 'string' ? v.length : 8;
  }
  return n;
}

/**
 * `rows` in order, cut into parts of at most `budget` estimated bytes (one row at least each), with
 * each part's estimate; every row is estimated once, and a batch that fits is not copied.
 */
function partsOf(rows: LogRow[], budget: number): { rows: LogRow[]; bytes: number }[] {
  const parts: { rows: LogRow[]; bytes: number }[] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < rows.length; i++) {
    const b = rowBytes(rows[i]!);
    if (i > start && bytes + b > budget) {
      parts.push({ rows: rows.slice(start, i), bytes });
      start = i;
      bytes = 0;
    }
    bytes += b;
  }
  parts.push({ rows: start === 0 ? rows : rows.slice(start), bytes });
  return parts;
}
