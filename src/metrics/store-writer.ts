import type { Worker } from 'node:worker_threads';
import { LocalRouterError } from '../errors/index.js';
import { spawnWorker } from '../workers/index.js';
import type { MonitoringDb } from './monitoring-db.js';
import type { RollupWire } from './rollup-store.js';
import { createSqlWriter, type LogRow, type SqlWriter } from './sql-writer.js';

const WRITER_ENTRY = new URL('./store-writer-worker.ts', import.meta.url);
/** Log rows one retention pass deletes on the main thread before yielding (the worker has no limit). */
const INLINE_RETENTION_ROWS = 50_000;

export type Done = (err: Error | null) => void;

/** Messages to the writer thread; each is answered with `{ seq, error?, more? }`, in order. */
export type WriterMessage =
  | { seq: number; type: 'log'; rows: LogRow[] }
  | { seq: number; type: 'rollups'; rows: RollupWire[] }
  | { seq: number; type: 'retention'; logBefore: number; series: [number, number][] }
  | { seq: number; type: 'sync' }
  | { seq: number; type: 'close' };
export interface WriterReply { seq: number; error?: string; more?: boolean }

/**
 * Where the monitoring store's writes happen. Callers hand over whole batches and get `done` when
 * they are committed (or failed); until then they keep the batch visible to their own readers.
 */
export interface StoreWriter {
  readonly mode: 'inline' | 'worker';
  writeLog(rows: LogRow[], done: Done): void;
  mergeRollups(rows: RollupWire[], done: Done): void;
  /** `done` gets whether log rows past retention are left for another pass. */
  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void;
  /** Resolves once everything handed over before the call is committed. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** Writes on the calling thread, synchronously (`done` runs before the call returns). For tests and in-memory stores. */
export class InlineStoreWriter implements StoreWriter {
  readonly mode = 'inline';
  readonly #sql: SqlWriter;

  constructor(db: MonitoringDb) {
    this.#sql = createSqlWriter(db);
  }

  writeLog(rows: LogRow[], done: Done): void {
    this.#run(() => this.#sql.writeLog(rows), done);
  }

  mergeRollups(rows: RollupWire[], done: Done): void {
    this.#run(() => this.#sql.mergeRollups(rows), done);
  }

  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void {
    let more = false;
    this.#run(() => { more = this.#sql.deleteExpired(logBefore, series, INLINE_RETENTION_ROWS).more; }, (err) => done(err, more));
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {}

  #run(fn: () => void, done: Done): void {
    let error: Error | null = null;
    try {
      fn();
    } catch (err) {
      error = asError(err);
    }
    done(error);
  }
}

/**
 * Writes on a dedicated thread with its own connection, so SQLite inserts, WAL checkpoints and
 * retention deletes never block the event loop that serves requests. The main thread only clones
 * the batch into a message. If the thread dies, pending batches fail and later ones go to
 * `fallback` (an inline writer), so monitoring degrades instead of stopping.
 */
export class WorkerStoreWriter implements StoreWriter {
  readonly mode = 'worker';
  readonly #worker: Worker;
  readonly #waiting = new Map<number, (reply: WriterReply) => void>();
  readonly #fallback: () => StoreWriter;
  readonly #onFatal: (err: Error) => void;
  #seq = 0;
  #dead: StoreWriter | null = null;
  #closing: Promise<void> | null = null;

  constructor(file: string, opts: { fallback: () => StoreWriter; onFatal: (err: Error) => void }) {
    this.#fallback = opts.fallback;
    this.#onFatal = opts.onFatal;
    this.#worker = spawnWorker(WRITER_ENTRY, { workerData: { file } });
    // The writer never keeps the process alive; close() waits for it explicitly.
    this.#worker.unref();
    this.#worker.on('message', (reply: WriterReply) => {
      const cb = this.#waiting.get(reply.seq);
      this.#waiting.delete(reply.seq);
      cb?.(reply);
    });
    this.#worker.on('error', (err) => this.#die(asError(err)));
    this.#worker.on('exit', (code) => {
      if (this.#closing === null) this.#die(new LocalRouterError('LR_ERR_INTERNAL', `monitoring store writer thread exited (code ${code})`));
    });
  }

  writeLog(rows: LogRow[], done: Done): void {
    if (this.#dead) return this.#dead.writeLog(rows, done);
    this.#post({ seq: 0, type: 'log', rows }, (r) => done(r.error === undefined ? null : new Error(r.error)));
  }

  mergeRollups(rows: RollupWire[], done: Done): void {
    if (this.#dead) return this.#dead.mergeRollups(rows, done);
    this.#post({ seq: 0, type: 'rollups', rows }, (r) => done(r.error === undefined ? null : new Error(r.error)));
  }

  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void {
    if (this.#dead) return this.#dead.deleteExpired(logBefore, series, done);
    this.#post({ seq: 0, type: 'retention', logBefore, series }, (r) => done(r.error === undefined ? null : new Error(r.error), r.more === true));
  }

  sync(): Promise<void> {
    if (this.#dead) return this.#dead.sync();
    return new Promise((resolve) => this.#post({ seq: 0, type: 'sync' }, () => resolve()));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#dead) return;
      // The thread closes its connection (checkpointing the WAL) before it answers.
      await new Promise<void>((resolve) => this.#post({ seq: 0, type: 'close' }, () => resolve()));
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  #post(msg: WriterMessage, cb: (reply: WriterReply) => void): void {
    msg.seq = ++this.#seq;
    this.#waiting.set(msg.seq, cb);
    this.#worker.postMessage(msg);
  }

  #die(err: Error): void {
    if (this.#dead) return;
    this.#dead = this.#fallback();
    this.#onFatal(err);
    for (const cb of this.#waiting.values()) cb({ seq: 0, error: `writer thread failed: ${err.message}` });
    this.#waiting.clear();
  }
}
