import type { Worker } from 'node:worker_threads';
import { spawnWorker } from './spawn-worker.js';

/**
 * When a dead thread is started again. Deaths come in streaks: a thread that dies sooner than
 * `quickMs` after it started extends the streak (it is crash-looping), any other death starts a new
 * one. The first `freeRestarts` deaths of a streak restart at once; each further one waits
 * `firstDelayMs`, doubled per death, up to `maxDelayMs`.
 */
export interface RestartPolicy {
  quickMs: number;
  freeRestarts: number;
  firstDelayMs: number;
  maxDelayMs: number;
  /** A thread that got as far as its ready message ends the streak (only dying before it counts as looping). */
  readyEndsStreak?: boolean;
}

/** A thread's death, as its owner hears of it. */
export interface ActorCrash {
  /** What the thread threw (with its stack), or why it could not be started; null when it just exited. */
  error: Error | null;
  /** Its exit code; null when it never started. */
  exitCode: number | null;
  /** When the next thread starts; null when none will (the owner closed, or the first thread never got ready). */
  restartInMs: number | null;
}

/** How a graceful shutdown goes: `begin` asks the thread to wind down; `graceMs` is the longest wait before it is terminated. */
export interface ActorShutdown {
  graceMs: number;
  /**
   * Sends the thread its goodbye. A promise returned is the thread's acknowledgement: the host
   * terminates it as soon as that settles. Otherwise the host waits the whole grace period (or
   * until the thread exits on its own).
   */
  begin?: () => Promise<unknown> | undefined;
}

export interface ActorHostOptions<In> {
  /** The thread's entry module (see `moduleBeside`). */
  entry: URL;
  /** The thread's name (in inspectors and heap snapshots). */
  name?: string;
  /** The thread's workerData, asked for at every start: a restarted thread gets the current settings. */
  workerData: () => unknown;
  /** Every message from the thread, as posted. */
  onMessage: (message: In) => void;
  /**
   * The thread died (never called while closing): the owner fails the work the thread held, with
   * coded errors. Called once per thread, after `restarts` counts the restart it announces.
   */
  onCrash: (crash: ActorCrash) => void;
  restart: RestartPolicy;
  /**
   * True (the default): a thread is ready once its owner, on its ready message, calls
   * {@link ActorHost.markReady}. False: as soon as it is started.
   */
  handshake?: boolean;
  /**
   * False: a first thread that dies before it was ever ready is not started again (a model file that
   * cannot load would only crash-loop); the crash says `restartInMs: null`. Default true.
   */
  restartIfNeverReady?: boolean;
  /** The owner's batched frames: held while no thread runs, released to each new thread (`FrameBatcher` is one). */
  outbox?: { hold(): void; release(): void };
  /** Default: terminate at once. */
  shutdown?: ActorShutdown;
  /** Whether the thread keeps the process alive (default true). */
  keepAlive?: boolean;
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Supervises one long-lived worker thread, whatever it runs: starts it, knows when it is ready,
 * notices when it dies (an uncaught exception, an exit, a failed start), lets its owner fail the work
 * it held, starts it again after the delay its {@link RestartPolicy} gives, counts the restarts, and
 * shuts it down (a goodbye, a grace period, then terminate). The owner speaks the thread's protocol;
 * the host only carries its messages.
 */
export class ActorHost<Out, In> {
  readonly #opts: ActorHostOptions<In>;
  #worker: Worker | null = null;
  #started = false;
  #closed = false;
  #shutdown: Promise<void> | null = null;
  #ready = false;
  #everReady = false;
  #startedAt = 0;
  #streak = 0;
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  readonly #firstReady: Promise<void>;
  #resolveFirstReady: () => void = () => {};

  constructor(opts: ActorHostOptions<In>) {
    this.#opts = opts;
    this.#firstReady = new Promise((resolve) => { this.#resolveFirstReady = resolve; });
    opts.outbox?.hold();
  }

  /** Threads started again after one died. */
  get restarts(): number {
    return this.#restarts;
  }

  /** A thread is running and has said it is ready. */
  get ready(): boolean {
    return this.#ready;
  }

  /** A thread is running (it may not be ready yet). */
  get running(): boolean {
    return this.#worker !== null;
  }

  get started(): boolean {
    return this.#started;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Starts the first thread (once; later calls and calls after `close` do nothing). */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#spawn();
  }

  /** Resolves when a thread is ready for the first time. */
  whenReady(): Promise<void> {
    return this.#firstReady;
  }

  /** The owner saw the running thread's ready message. */
  markReady(): void {
    if (this.#worker === null || this.#ready) return;
    this.#ready = true;
    this.#everReady = true;
    if (this.#opts.restart.readyEndsStreak === true) this.#streak = 0;
    this.#resolveFirstReady();
  }

  /**
   * Posts to the running thread; false when there is none (starting again, or closed). Throws what
   * `postMessage` throws (a message that cannot be cloned).
   */
  post(message: Out, transfer?: ArrayBuffer[]): boolean {
    const worker = this.#worker;
    if (worker === null) return false;
    worker.postMessage(message, transfer);
    return true;
  }

  /** Ends the running thread as a crash would (it stopped answering): the owner hears of it and it is started again. */
  kill(): void {
    void this.#worker?.terminate();
  }

  /** Shuts the thread down and never starts another; the same promise for every call. */
  close(): Promise<void> {
    this.#closed = true;
    this.#shutdown ??= this.#close();
    return this.#shutdown;
  }

  async #close(): Promise<void> {
    if (this.#restartTimer !== null) clearTimeout(this.#restartTimer);
    this.#restartTimer = null;
    const worker = this.#worker;
    if (worker !== null) {
      const shutdown = this.#opts.shutdown;
      if (shutdown !== undefined && shutdown.graceMs > 0) await this.#goodbye(worker, shutdown);
    }
    this.#worker = null;
    this.#ready = false;
    this.#opts.outbox?.hold();
    await worker?.terminate();
  }

  /** Waits for the thread's acknowledgement, its exit, or the end of the grace period, whichever comes first. */
  async #goodbye(worker: Worker, shutdown: ActorShutdown): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const waits: Promise<unknown>[] = [
      new Promise((resolve) => { timer = setTimeout(resolve, shutdown.graceMs); }),
      new Promise((resolve) => worker.once('exit', resolve)),
    ];
    try {
      const ack = shutdown.begin?.();
      if (ack !== undefined) waits.push(ack.catch(() => undefined));
    } catch {
      // A goodbye that cannot be sent: terminate after the grace period all the same.
    }
    await Promise.race(waits);
    clearTimeout(timer);
  }

  #spawn(): void {
    this.#startedAt = Date.now();
    this.#ready = false;
    let worker: Worker;
    try {
      worker = spawnWorker(this.#opts.entry, { workerData: this.#opts.workerData(), name: this.#opts.name });
    } catch (err) {
      this.#died(null, asError(err), null);
      return;
    }
    this.#worker = worker;
    if (this.#opts.keepAlive === false) worker.unref();
    let error: Error | null = null;
    worker.on('message', this.#opts.onMessage);
    worker.on('error', (err) => { error = err; });
    worker.on('exit', (code) => this.#died(worker, error, code));
    if (this.#opts.handshake === false) this.markReady();
    this.#opts.outbox?.release();
  }

  #died(worker: Worker | null, error: Error | null, exitCode: number | null): void {
    if (worker !== this.#worker) return; // a thread already replaced (or closed)
    this.#worker = null;
    this.#ready = false;
    this.#opts.outbox?.hold();
    if (this.#closed) return;
    const restart = this.#everReady || this.#opts.restartIfNeverReady !== false;
    const delay = restart ? this.#nextDelay() : null;
    if (delay !== null) this.#restarts++;
    this.#opts.onCrash({ error, exitCode, restartInMs: delay });
    if (delay === null || this.#closed) return;
    if (delay === 0) {
      this.#spawn();
      return;
    }
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (!this.#closed) this.#spawn();
    }, delay);
    this.#restartTimer.unref();
  }

  #nextDelay(): number {
    const policy = this.#opts.restart;
    const quick = Date.now() - this.#startedAt < policy.quickMs;
    this.#streak = quick ? this.#streak + 1 : 1;
    const beyond = this.#streak - policy.freeRestarts;
    return beyond <= 0 ? 0 : Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (beyond - 1));
  }
}
