/**
 * The ingress side of the classifier actor: one long-lived worker thread holding the router's
 * onnxruntime session. Requests carry integer ids; the timeout is enforced here, on the caller's
 * side, so a slow or hung thread can never hold a request: every failure (timeout, scoring error,
 * crash, closed) is a rejection with code LR_ERR_CLASSIFIER, which `auto` routing answers by using
 * the strong models. A crashed thread is restarted; one that stops answering altogether is
 * terminated and restarted too.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { LocalRouterError, type PlainError } from '../errors/index.js';
import { FrameBatcher, moduleBeside, spawnWorker } from '../workers/index.js';
import { CLASSIFIER_FRAME, type ClassifierWorkerData, type FromClassifierFrame, type ToClassifierFrame } from '../workers/protocol.js';

const WORKER_ENTRY = moduleBeside(import.meta.url, 'classifier-worker');
const MAX_RESTART_DELAY_MS = 5_000;

export interface ClassifierOptions {
  /** Path of the `.onnx` router; its card (`.json`) must sit next to it. */
  modelPath: string;
  /** Per-score deadline, measured by the caller. */
  timeoutMs: number;
  /** How long the first model load may take (default 15 s). */
  startTimeoutMs?: number;
  /**
   * A thread with requests outstanding that has sent nothing for this long is considered hung and
   * restarted (default max(1 s, 50 × timeoutMs)).
   */
  stallRestartMs?: number;
  /** Enables the test hooks (`testCrash`, `testStall`); never set in production. */
  testHooks?: boolean;
  /** Told about every failure, for logs and metrics. */
  onEvent?: (event: ClassifierEvent) => void;
}

export type ClassifierEvent =
  | { type: 'timeout'; id: number }
  | { type: 'error'; id: number; message: string }
  | { type: 'crash'; failedRequests: number; message: string }
  | { type: 'stalled'; unanswered: number };

export interface ClassifierStats {
  ready: boolean;
  inflight: number;
  scored: number;
  timeouts: number;
  errors: number;
  crashes: number;
  restarts: number;
}

/** What `startClassifier` returns. */
export interface Classifier {
  /** P(strong model wins) for a prompt (the last user message), in 0..1. */
  score(prompt: string): Promise<number>;
  stats(): ClassifierStats;
  close(): Promise<void>;
  /** Test hooks: throw unless started with `testHooks: true`. */
  testCrash(): void;
  testStall(ms: number): void;
}

interface Pending {
  resolve: (score: number) => void;
  reject: (err: LocalRouterError) => void;
  timer: NodeJS.Timeout;
}

function classifierError(message: string, cause?: unknown): LocalRouterError {
  return new LocalRouterError('LR_ERR_CLASSIFIER', message, cause === undefined ? {} : { cause });
}

class ClassifierActor implements Classifier {
  #opts: Required<Omit<ClassifierOptions, 'onEvent'>> & Pick<ClassifierOptions, 'onEvent'>;
  #worker: Worker | null = null;
  #out: FrameBatcher<ToClassifierFrame>;
  #parked: ToClassifierFrame[] = [];
  #pending = new Map<number, Pending>();
  #seq = 0;
  #ready = false;
  #closed = false;
  #startedAt = 0;
  #quickCrashes = 0;
  /** Requests sent whose answer (even a late one) has not come back, and since when the thread owes one. */
  #unanswered = 0;
  #owingSince = 0;
  #stats = { scored: 0, timeouts: 0, errors: 0, crashes: 0, restarts: 0 };
  #onFirstReady: ((err: LocalRouterError | null) => void) | null = null;

  constructor(opts: ClassifierOptions) {
    this.#opts = {
      modelPath: path.resolve(opts.modelPath),
      timeoutMs: opts.timeoutMs,
      startTimeoutMs: opts.startTimeoutMs ?? 15_000,
      stallRestartMs: opts.stallRestartMs ?? Math.max(1_000, 50 * opts.timeoutMs),
      testHooks: opts.testHooks ?? false,
      onEvent: opts.onEvent,
    };
    this.#out = new FrameBatcher<ToClassifierFrame>((frames) => {
      if (this.#worker) this.#worker.postMessage(frames);
      else this.#parked.push(...frames);
    });
  }

  /** Spawns the thread and waits for the model to load. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => done(classifierError(`the router model did not load within ${this.#opts.startTimeoutMs} ms`)), this.#opts.startTimeoutMs);
      const done = (err: LocalRouterError | null): void => {
        clearTimeout(timer);
        this.#onFirstReady = null;
        if (err) {
          this.#closed = true;
          void this.#worker?.terminate();
          reject(err);
        } else resolve();
      };
      this.#onFirstReady = done;
      this.#spawn();
    });
  }

  score(prompt: string): Promise<number> {
    if (this.#closed) return Promise.reject(classifierError('the classifier is closed'));
    const id = ++this.#seq;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => this.#timeout(id), this.#opts.timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      if (this.#unanswered++ === 0) this.#owingSince = Date.now();
      this.#out.push([CLASSIFIER_FRAME.SCORE, id, prompt]);
    });
  }

  stats(): ClassifierStats {
    return { ready: this.#ready, inflight: this.#pending.size, ...this.#stats };
  }

  async close(): Promise<void> {
    if (this.#closed && !this.#worker) return;
    this.#closed = true;
    this.#failAll('the classifier is closed');
    const worker = this.#worker;
    this.#worker = null;
    await worker?.terminate();
  }

  testCrash(): void {
    this.#testFrame([CLASSIFIER_FRAME.TEST_CRASH, 0]);
  }

  testStall(ms: number): void {
    this.#testFrame([CLASSIFIER_FRAME.TEST_STALL, 0, ms]);
  }

  #testFrame(frame: ToClassifierFrame): void {
    if (!this.#opts.testHooks) throw new Error('classifier test hooks are disabled');
    this.#out.push(frame);
  }

  #spawn(): void {
    const data: ClassifierWorkerData = { modelPath: this.#opts.modelPath, testHooks: this.#opts.testHooks };
    const worker = spawnWorker(WORKER_ENTRY, { workerData: data, name: 'classifier' });
    this.#worker = worker;
    this.#startedAt = Date.now();
    let lastError = 'exited';
    worker.on('message', (frames: FromClassifierFrame[]) => this.#receive(frames));
    worker.on('error', (err) => { lastError = err.message; });
    worker.on('exit', () => this.#onExit(worker, lastError));
    if (this.#parked.length > 0) {
      worker.postMessage(this.#parked);
      this.#parked = [];
    }
  }

  #receive(frames: FromClassifierFrame[]): void {
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      if (f[0] === CLASSIFIER_FRAME.READY) {
        this.#ready = true;
        this.#onFirstReady?.(null);
        continue;
      }
      if (f[0] === CLASSIFIER_FRAME.ERROR && f[1] === 0) {
        const err = classifierError(f[2].message);
        if (this.#onFirstReady) this.#onFirstReady(err);
        continue;
      }
      if (this.#unanswered > 0 && --this.#unanswered > 0) this.#owingSince = Date.now();
      const pending = this.#pending.get(f[1]);
      if (!pending) continue; // timed out meanwhile
      this.#pending.delete(f[1]);
      clearTimeout(pending.timer);
      if (f[0] === CLASSIFIER_FRAME.RESULT) {
        this.#stats.scored++;
        pending.resolve(f[2]);
      } else {
        this.#stats.errors++;
        const plain: PlainError = f[2];
        this.#opts.onEvent?.({ type: 'error', id: f[1], message: plain.message });
        pending.reject(classifierError(`the classifier failed: ${plain.message}`));
      }
    }
  }

  #timeout(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#stats.timeouts++;
    this.#opts.onEvent?.({ type: 'timeout', id });
    pending.reject(classifierError(`the classifier did not answer within ${this.#opts.timeoutMs} ms`));
    if (this.#worker && this.#unanswered > 0 && Date.now() - this.#owingSince >= this.#opts.stallRestartMs) {
      this.#opts.onEvent?.({ type: 'stalled', unanswered: this.#unanswered });
      void this.#worker.terminate(); // the exit handler restarts it
    }
  }

  #failAll(message: string): number {
    const failed = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of failed) {
      clearTimeout(p.timer);
      p.reject(classifierError(message));
    }
    return failed.length;
  }

  #onExit(worker: Worker, error: string): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#ready = false;
    this.#unanswered = 0;
    if (this.#closed) return;
    if (this.#onFirstReady) { // died while loading the first time: no restart loop on a bad model
      this.#onFirstReady(classifierError(`the classifier thread exited while loading the model: ${error}`));
      return;
    }
    this.#stats.crashes++;
    const failed = this.#failAll('the classifier thread crashed; it is being restarted');
    this.#opts.onEvent?.({ type: 'crash', failedRequests: failed, message: error });
    // A thread that dies right after starting would spin: back off exponentially in that case only.
    const quick = Date.now() - this.#startedAt < 1_000;
    this.#quickCrashes = quick ? this.#quickCrashes + 1 : 0;
    const delay = this.#quickCrashes === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 50 * 2 ** this.#quickCrashes);
    const restart = (): void => {
      if (this.#closed) return;
      this.#stats.restarts++;
      this.#spawn();
    };
    if (delay === 0) restart();
    else setTimeout(restart, delay).unref();
  }
}

/**
 * Starts the classifier actor and resolves once the model is loaded (rejects with
 * LR_ERR_CLASSIFIER when it cannot be: missing file, featurizer mismatch, bad graph).
 */
export async function startClassifier(opts: ClassifierOptions): Promise<Classifier> {
  if (!(opts.timeoutMs > 0)) throw new RangeError('timeoutMs must be > 0');
  const actor = new ClassifierActor(opts);
  await actor.start();
  return actor;
}
