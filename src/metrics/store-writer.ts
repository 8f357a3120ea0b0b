import { ActorHost, moduleBeside, type ActorCrash, type RestartPolicy } from '../workers/index.js';
import type { LogRow, RequestLogFilter, RequestLogRow, RollupMark, RollupWire, StoreEvent, StoreFault, WriterMessage, WriterReply, WriterWorkerData } from '../workers/protocol.js';
import type { MonitoringDb } from './monitoring-db.js';
import { StoreEngine, fromWireError } from './store-engine.js';

const WRITER_ENTRY = moduleBeside(import.meta.url, 'store-writer-worker');
/** Log rows one retention or size-cap pass deletes on the main thread before yielding (the thread has no such limit). */
const INLINE_PASS_ROWS = 50_000;
/**
 * Deaths within a minute of the thread's start come in streaks: the first three restart at once,
 * each further one waits twice as long as the one before, from 1 s up to 30 s.
 */
const RESTART: RestartPolicy = { quickMs: 60_000, freeRestarts: 3, firstDelayMs: 1_000, maxDelayMs: 30_000 };
/** How long the thread may take to commit what it holds and close its connection at shutdown before it is terminated. */
const CLOSE_GRACE_MS = 10_000;
const DEFAULT_FILE_CHECK_MS = 1000;

export type Done = (err: Error | null) => void;

/**
 * Where the monitoring store's writes (and the log reads that must see them) happen. Callers hand
 * over whole batches and get `done` when they are committed (or failed); until then they keep the
 * batch visible to their own readers.
 */
export interface StoreWriter {
  readonly mode: 'inline' | 'worker';
  /** Writer threads started again after one died (0 for the inline writer). */
  readonly restarts: number;
  /** Whether the writer runs (a thread starts with its first operation; the inline writer always runs). */
  readonly started: boolean;
  /**
   * `commitAt`: the rows may wait for a later call's transaction until this many rows wait (a writer
   * thread keeps them until then, or until any other operation but a lookup, which searches them);
   * `done` runs when they are committed.
   */
  writeLog(rows: LogRow[], done: Done, commitAt?: number): void;
  /** `mark` is stored with the rows, in the same transaction. */
  mergeRollups(rows: RollupWire[], mark: RollupMark | undefined, done: Done): void;
  /** `done` gets whether log rows past retention are left for another pass. */
  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void;
  /** Request log rows matching `filter`, after everything handed over before the call. */
  query(filter: RequestLogFilter): Promise<RequestLogRow[]>;
  /** One stored request by generation id, after everything handed over before the call. */
  /** One record by generation id or, with `clientId`, by that client's upstream answer id. */
  get(id: string, clientId?: string): Promise<RequestLogRow | undefined>;
  /** Test hook: a fault inside the writer (refused unless test hooks are on). */
  testFault(fault: StoreFault): Promise<void>;
  /** Resolves once everything handed over before the call is committed; rejects while a locked store keeps rows waiting. */
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
  readonly started = true;
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

  mergeRollups(rows: RollupWire[], mark: RollupMark | undefined, done: Done): void {
    this.#run(() => this.#engine.mergeRollups(rows, mark), done);
  }

  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void {
    let more = false;
    this.#run(() => { more = this.#engine.deleteExpired(logBefore, series, INLINE_PASS_ROWS).more; }, (err) => done(err, more));
  }

  async query(filter: RequestLogFilter): Promise<RequestLogRow[]> {
    return this.#engine.query(filter);
  }

  async get(id: string, clientId?: string): Promise<RequestLogRow | undefined> {
    return this.#engine.get(id, clientId);
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
 * in a row, then with a growing delay (operations in the meantime fail the same way). The thread
 * starts with the first operation: a gateway that has written and read nothing holds none.
 */
export class WorkerStoreWriter implements StoreWriter {
  readonly mode = 'worker';
  readonly #host: ActorHost<WriterMessage, WriterReply>;
  readonly #waiting = new Map<number, (reply: WriterReply) => void>();
  readonly #onEvent: (event: StoreEvent) => void;
  readonly #onError: (err: Error) => void;
  #seq = 0;
  #closing: Promise<void> | null = null;

  constructor(file: string, opts: StoreWriterOptions & { onError: (err: Error) => void; fileCheckMs?: number }) {
    const data: WriterWorkerData = { file, logMaxBytes: opts.logMaxBytes ?? 0, testHooks: opts.testHooks ?? false, fileCheckMs: opts.fileCheckMs ?? DEFAULT_FILE_CHECK_MS };
    this.#onEvent = opts.onEvent ?? (() => {});
    this.#onError = opts.onError;
    this.#host = new ActorHost<WriterMessage, WriterReply>({
      entry: WRITER_ENTRY,
      name: 'store-writer',
      workerData: () => data,
      onMessage: (reply) => this.#receive(reply),
      onCrash: (crash) => this.#died(crash),
      restart: RESTART,
      // Messages wait in the thread's queue from its start: no ready message needed.
      handshake: false,
      // The thread closes its connection before it answers.
      shutdown: { graceMs: CLOSE_GRACE_MS, begin: () => new Promise<void>((resolve) => this.#post({ seq: 0, type: 'close' }, () => resolve())) },
      // The writer never keeps the process alive; close() waits for it explicitly.
      keepAlive: false,
    });
  }

  get restarts(): number {
    return this.#host.restarts;
  }

  get started(): boolean {
    return this.#host.started;
  }

  writeLog(rows: LogRow[], done: Done, commitAt = 0): void {
    this.#post({ seq: 0, type: 'log', rows, commitAt }, (r) => done(r.error === undefined ? null : fromWireError(r.error)));
  }

  mergeRollups(rows: RollupWire[], mark: RollupMark | undefined, done: Done): void {
    this.#post({ seq: 0, type: 'rollups', rows, mark }, (r) => done(r.error === undefined ? null : fromWireError(r.error)));
  }

  deleteExpired(logBefore: number, series: [number, number][], done: (err: Error | null, more: boolean) => void): void {
    this.#post({ seq: 0, type: 'retention', logBefore, series }, (r) => done(r.error === undefined ? null : fromWireError(r.error), r.more === true));
  }

  query(filter: RequestLogFilter): Promise<RequestLogRow[]> {
    return this.#ask({ seq: 0, type: 'query', filter }).then((r) => r.rows ?? []);
  }

  get(id: string, clientId?: string): Promise<RequestLogRow | undefined> {
    return this.#ask(clientId === undefined ? { seq: 0, type: 'get', id } : { seq: 0, type: 'get', id, clientId }).then((r) => r.row ?? undefined);
  }

  testFault(fault: StoreFault): Promise<void> {
    return this.#ask({ seq: 0, type: 'test-fault', fault }).then(() => undefined);
  }

  sync(): Promise<void> {
    // Nothing was ever handed over before the thread starts.
    if (!this.#host.started) return Promise.resolve();
    return new Promise((resolve, reject) => this.#post({ seq: 0, type: 'sync' }, (r) => (r.error === undefined ? resolve() : reject(fromWireError(r.error)))));
  }

  close(): Promise<void> {
    this.#closing ??= this.#host.close().then(() => this.#failWaiting('the monitoring store writer thread exited while closing'));
    return this.#closing;
  }

  #ask(msg: WriterMessage): Promise<WriterReply> {
    return new Promise((resolve, reject) => this.#post(msg, (r) => (r.error === undefined ? resolve(r) : reject(fromWireError(r.error)))));
  }

  #post(msg: WriterMessage, cb: (reply: WriterReply) => void): void {
    this.#host.start();
    if (!this.#host.running) {
      cb({ seq: 0, error: { message: this.#host.closed ? 'the monitoring store is closed' : 'the monitoring store writer thread is restarting' } });
      return;
    }
    msg.seq = ++this.#seq;
    this.#waiting.set(msg.seq, cb);
    this.#host.post(msg);
  }

  #receive(reply: WriterReply): void {
    if (reply.event !== undefined) {
      this.#onEvent(reply.event);
      return;
    }
    const cb = this.#waiting.get(reply.seq);
    this.#waiting.delete(reply.seq);
    cb?.(reply);
  }

  #failWaiting(message: string): void {
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    for (const cb of waiting) cb({ seq: 0, error: { message } });
  }

  /** The thread died (the host starts another): reported, and what it held fails. */
  #died(crash: ActorCrash): void {
    const err = crash.error ?? new Error(`the monitoring store writer thread exited (code ${crash.exitCode})`);
    this.#onError(err);
    this.#failWaiting(`the monitoring store writer thread died: ${err.message}`);
  }
}
