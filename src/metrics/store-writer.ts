import type { Worker } from 'node:worker_threads';
import { moduleBeside, spawnWorker } from '../workers/index.js';
import type { MonitoringDb } from './monitoring-db.js';
import type { RequestLogFilter, RequestLogRow } from './request-log-store.js';
import type { RollupWire } from './rollup-store.js';
import type { LogRow } from './sql-writer.js';
import { StoreEngine, fromWireError, type StoreEvent, type WireError } from './store-engine.js';

const WRITER_ENTRY = moduleBeside(import.meta.url, 'store-writer-worker');
/** Log rows one retention or size-cap pass deletes on the main thread before yielding (the thread has no such limit). */
const INLINE_PASS_ROWS = 50_000;
/** Deaths within this window count towards the restart back-off. */
const CRASH_WINDOW_MS = 60_000;
/** Restarts within the window that happen at once; after that each waits twice as long, up to a maximum. */
const FREE_RESTARTS = 3;
const MAX_RESTART_DELAY_MS = 30_000;
const DEFAULT_FILE_CHECK_MS = 1000;

export type Done = (err: Error | null) => void;

/** Test faults: `throw` inside the writer's message handling; `crash` the writer thread with an uncaught exception. */
export type StoreFault = 'throw' | 'crash';

/** Messages to the writer thread; each is answered with one {@link WriterReply} of the same seq, in order. */
export type WriterMessage =
  | { seq: number; type: 'log'; rows: LogRow[] }
  | { seq: number; type: 'rollups'; rows: RollupWire[] }
  | { seq: number; type: 'retention'; logBefore: number; series: [number, number][] }
  | { seq: number; type: 'query'; filter: RequestLogFilter }
  | { seq: number; type: 'get'; id: string }
  | { seq: number; type: 'sync' }
  | { seq: number; type: 'test-fault'; fault: StoreFault }
  | { seq: number; type: 'close' };
/** An answer (seq > 0), or an event the thread posts unasked (seq 0, `event` set). */
export interface WriterReply {
  seq: number;
  error?: WireError;
  more?: boolean;
  rows?: RequestLogRow[];
  row?: RequestLogRow | null;
  event?: StoreEvent;
}

/** What the writer thread starts with. */
export interface WriterWorkerData {
  file: string;
  logMaxBytes: number;
  testHooks: boolean;
  fileCheckMs: number;
}

/**
 * Where the monitoring store's writes (and the log reads that must see them) happen. Callers hand
 * over whole batches and get `done` when they are committed (or failed); until then they keep the
 * batch visible to their own readers.
 */
export interface StoreWriter {
  readonly mode: 'inline' | 'worker';
  /** Writer threads started again after one died (0 for the inline writer). */
  readonly restarts: number;
  writeLog(rows: LogRow[], done: Done): void;
  mergeRollups(rows: RollupWire[], done: Done): void;
  /** `done` gets whether log rows past retention are left for another pass. */
  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void;
  /** Request log rows matching `filter`, after everything handed over before the call. */
  query(filter: RequestLogFilter): Promise<RequestLogRow[]>;
  /** One stored request by generation id, after everything handed over before the call. */
  get(id: string): Promise<RequestLogRow | undefined>;
  /** Test hook: a fault inside the writer (refused unless test hooks are on). */
  testFault(fault: StoreFault): Promise<void>;
  /** Resolves once everything handed over before the call is committed. */
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreWriterOptions {
  /** The most bytes the store may use; the oldest log rows are deleted to stay under it. 0: no cap. */
  logMaxBytes?: number;
  /** Honour {@link StoreWriter.testFault} (LOCALROUTER_TEST_HOOKS=1). */
  testHooks?: boolean;
  /** Events of the store: a lost file, a reopen, rows trimmed, background errors. */
  onEvent?: (event: StoreEvent) => void;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Writes on the calling thread, synchronously (`done` runs before the call returns), on the given
 * connection (a fresh one if the file at its path is replaced). For tests and in-memory stores.
 */
export class InlineStoreWriter implements StoreWriter {
  readonly mode = 'inline';
  readonly restarts = 0;
  readonly #engine: StoreEngine;

  constructor(db: MonitoringDb, opts: StoreWriterOptions & { file?: string } = {}) {
    this.#engine = new StoreEngine({
      file: opts.file ?? ':memory:', db, logMaxBytes: opts.logMaxBytes ?? 0, maxTrimRows: INLINE_PASS_ROWS, testHooks: opts.testHooks,
      emit: opts.onEvent ?? (() => {}),
    });
  }

  /** The connection writes go to (reads on this thread use it too); null while the store cannot be opened. */
  get db(): MonitoringDb | null {
    return this.#engine.db;
  }

  writeLog(rows: LogRow[], done: Done): void {
    this.#run(() => this.#engine.writeLog(rows), done);
  }

  mergeRollups(rows: RollupWire[], done: Done): void {
    this.#run(() => this.#engine.mergeRollups(rows), done);
  }

  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void {
    let more = false;
    this.#run(() => { more = this.#engine.deleteExpired(logBefore, series, INLINE_PASS_ROWS).more; }, (err) => done(err, more));
  }

  async query(filter: RequestLogFilter): Promise<RequestLogRow[]> {
    return this.#engine.query(filter);
  }

  async get(id: string): Promise<RequestLogRow | undefined> {
    return this.#engine.get(id);
  }

  async testFault(): Promise<void> {
    this.#engine.testFault();
  }

  /** The periodic check that the file at the path is still the one open (Monitoring's tick calls it). */
  checkFile(): void {
    this.#engine.checkFile();
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
 * Writes on a dedicated thread with its own connection, so SQLite inserts, retention and size-cap
 * deletes never block the event loop that serves requests; the request log's reads go through it
 * too. The main thread only clones the batch into a message. A thread that dies (an uncaught
 * exception, a failed start) fails the batches it held (their callers count them as dropped), is
 * reported with its stack through `onError`, and is started again: at once for the first few deaths
 * in a minute, then with a growing delay (operations in the meantime fail the same way).
 */
export class WorkerStoreWriter implements StoreWriter {
  readonly mode = 'worker';
  readonly #data: WriterWorkerData;
  readonly #waiting = new Map<number, (reply: WriterReply) => void>();
  readonly #onEvent: (event: StoreEvent) => void;
  readonly #onError: (err: Error) => void;
  readonly #deaths: number[] = [];
  #worker: Worker | null = null;
  #respawn: NodeJS.Timeout | null = null;
  #restarts = 0;
  #seq = 0;
  #closing: Promise<void> | null = null;

  constructor(file: string, opts: StoreWriterOptions & { onError: (err: Error) => void; fileCheckMs?: number }) {
    this.#data = { file, logMaxBytes: opts.logMaxBytes ?? 0, testHooks: opts.testHooks ?? false, fileCheckMs: opts.fileCheckMs ?? DEFAULT_FILE_CHECK_MS };
    this.#onEvent = opts.onEvent ?? (() => {});
    this.#onError = opts.onError;
    this.#spawn();
  }

  get restarts(): number {
    return this.#restarts;
  }

  writeLog(rows: LogRow[], done: Done): void {
    this.#post({ seq: 0, type: 'log', rows }, (r) => done(r.error === undefined ? null : fromWireError(r.error)));
  }

  mergeRollups(rows: RollupWire[], done: Done): void {
    this.#post({ seq: 0, type: 'rollups', rows }, (r) => done(r.error === undefined ? null : fromWireError(r.error)));
  }

  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void {
    this.#post({ seq: 0, type: 'retention', logBefore, series }, (r) => done(r.error === undefined ? null : fromWireError(r.error), r.more === true));
  }

  query(filter: RequestLogFilter): Promise<RequestLogRow[]> {
    return this.#ask({ seq: 0, type: 'query', filter }).then((r) => r.rows ?? []);
  }

  get(id: string): Promise<RequestLogRow | undefined> {
    return this.#ask({ seq: 0, type: 'get', id }).then((r) => r.row ?? undefined);
  }

  testFault(fault: StoreFault): Promise<void> {
    return this.#ask({ seq: 0, type: 'test-fault', fault }).then(() => undefined);
  }

  sync(): Promise<void> {
    return new Promise((resolve) => this.#post({ seq: 0, type: 'sync' }, () => resolve()));
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#respawn !== null) clearTimeout(this.#respawn);
      const worker = this.#worker;
      if (worker === null) return;
      // The thread closes its connection before it answers.
      await new Promise<void>((resolve) => this.#post({ seq: 0, type: 'close' }, () => resolve()));
      this.#worker = null;
      await worker.terminate();
    })();
    return this.#closing;
  }

  #ask(msg: WriterMessage): Promise<WriterReply> {
    return new Promise((resolve, reject) => this.#post(msg, (r) => (r.error === undefined ? resolve(r) : reject(fromWireError(r.error)))));
  }

  #post(msg: WriterMessage, cb: (reply: WriterReply) => void): void {
    const worker = this.#worker;
    if (worker === null) {
      cb({ seq: 0, error: { message: this.#closing === null ? 'the monitoring store writer thread is restarting' : 'the monitoring store is closed' } });
      return;
    }
    msg.seq = ++this.#seq;
    this.#waiting.set(msg.seq, cb);
    worker.postMessage(msg);
  }

  #failWaiting(message: string): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const cb of waiting) cb({ seq: 0, error: { message } });
  }

  #spawn(): void {
    let worker: Worker;
    try {
      worker = spawnWorker(WRITER_ENTRY, { workerData: this.#data });
    } catch (err) {
      this.#died(null, asError(err));
      return;
    }
    this.#worker = worker;
    // The writer never keeps the process alive; close() waits for it explicitly.
    worker.unref();
    worker.on('message', (reply: WriterReply) => {
      if (reply.event !== undefined) {
        this.#onEvent(reply.event);
        return;
      }
      const cb = this.#waiting.get(reply.seq);
      this.#waiting.delete(reply.seq);
      cb?.(reply);
    });
    worker.on('error', (err) => this.#died(worker, asError(err)));
    worker.on('exit', (code) => {
      if (this.#closing === null) this.#died(worker, new Error(`the monitoring store writer thread exited (code ${code})`));
      else this.#failWaiting('the monitoring store writer thread exited while closing');
    });
  }

  #died(worker: Worker | null, err: Error): void {
    // 'error' is followed by 'exit': one death per thread.
    if (worker !== this.#worker || this.#closing !== null) return;
    this.#worker = null;
    void worker?.terminate();
    this.#onError(err);
    this.#failWaiting(`the monitoring store writer thread died: ${err.message}`);
    const now = Date.now();
    while (this.#deaths.length > 0 && now - this.#deaths[0] > CRASH_WINDOW_MS) this.#deaths.shift();
    this.#deaths.push(now);
    const excess = this.#deaths.length - FREE_RESTARTS;
    const delay = excess <= 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 1000 * 2 ** (excess - 1));
    this.#restarts++;
    if (delay === 0) {
      this.#spawn();
      return;
    }
    this.#respawn = setTimeout(() => {
      this.#respawn = null;
      if (this.#closing === null) this.#spawn();
    }, delay);
    this.#respawn.unref();
  }
}
