/**
 * The ingress side of the classifier actor: one long-lived worker thread holding the router's
 * weights. Requests carry integer ids; the timeout is enforced here, on the caller's
 * side, so a slow or hung thread can never hold a request: every failure (timeout, scoring error,
 * crash, closed) is a rejection with code LR_ERR_CLASSIFIER, which `auto` routing answers by using
 * the strong models. A crashed thread is restarted; one that stops answering altogether is
 * terminated and restarted too.
 */
import path from 'node:path';
import { LocalRouterError } from '../errors/index.js';
import { IdTable } from '../model/index.js';
import {
  ActorHost, FrameBatcher, decodeFromClassifier, encodeClassifierScore, encodeClassifierTestCrash, encodeClassifierTestStall, moduleBeside,
  type ActorCrash, type ClassifierWorkerData, type FromClassifierFrame, type FromClassifierHandler, type RestartPolicy, type ToClassifierFrame,
} from '../workers/index.js';

const WORKER_ENTRY = moduleBeside(import.meta.url, 'classifier-worker');
/** A thread that dies within a second of its start would spin: those deaths back off (0.1 s, doubled up to 5 s) after the first. */
const RESTART: RestartPolicy = { quickMs: 1_000, freeRestarts: 1, firstDelayMs: 100, maxDelayMs: 5_000 };

export interface ClassifierOptions {
  /** Path of the `.bin` router; its card (`.json`) must sit next to it. */
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
  /** The router score of a prompt (the last user message), in 0..1: higher = more gain from the strong model. */
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
  readonly #host: ActorHost<ToClassifierFrame[], FromClassifierFrame[]>;
  readonly #out: FrameBatcher<ToClassifierFrame>;
  /** Requests waiting for their score, by id (an `IdTable`: one set and one delete per request). */
  #pending = new IdTable<Pending>();
  #seq = 0;
  #closed = false;
  /** Requests sent whose answer (even a late one) has not come back, and since when the thread owes one. */
  #unanswered = 0;
  #owingSince = 0;
  #stats = { scored: 0, timeouts: 0, errors: 0, crashes: 0 };
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
    this.#out = new FrameBatcher<ToClassifierFrame>((frames) => this.#host.post(frames));
    this.#host = new ActorHost<ToClassifierFrame[], FromClassifierFrame[]>({
      entry: WORKER_ENTRY,
      name: 'classifier',
      workerData: (): ClassifierWorkerData => ({ modelPath: this.#opts.modelPath, testHooks: this.#opts.testHooks }),
      onMessage: (frames) => decodeFromClassifier(frames, this.#inbox),
      onCrash: (crash) => this.#onCrash(crash),
      restart: RESTART,
      // A model that cannot load would only crash-loop: `start` fails instead.
      restartIfNeverReady: false,
      outbox: this.#out,
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
          void this.#host.close();
          reject(err);
        } else resolve();
      };
      this.#onFirstReady = done;
      this.#host.start();
    });
  }

  score(prompt: string): Promise<number> {
    if (this.#closed) return Promise.reject(classifierError('the classifier is closed'));
    const id = ++this.#seq;
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => this.#timeout(id), this.#opts.timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      if (this.#unanswered++ === 0) this.#owingSince = Date.now();
      this.#out.push(encodeClassifierScore(id, prompt));
    });
  }

  stats(): ClassifierStats {
    return { ready: this.#host.ready, inflight: this.#pending.size, ...this.#stats, restarts: this.#host.restarts };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#failAll('the classifier is closed');
    await this.#host.close();
  }

  testCrash(): void {
    this.#testFrame(encodeClassifierTestCrash());
  }

  testStall(ms: number): void {
    this.#testFrame(encodeClassifierTestStall(ms));
  }

  #testFrame(frame: ToClassifierFrame): void {
    if (!this.#opts.testHooks) throw new Error('classifier test hooks are disabled');
    this.#out.push(frame);
  }

  /** The frames from the thread. */
  readonly #inbox: FromClassifierHandler = {
    onReady: () => {
      this.#host.markReady();
      this.#onFirstReady?.(null);
    },
    onLoadFailed: (error) => this.#onFirstReady?.(classifierError(error.message)),
    onResult: (id, score) => {
      const pending = this.#answered(id);
      if (pending === undefined) return;
      this.#stats.scored++;
      pending.resolve(score);
    },
    onError: (id, error) => {
      const pending = this.#answered(id);
      if (pending === undefined) return;
      this.#stats.errors++;
      this.#opts.onEvent?.({ type: 'error', id, message: error.message });
      pending.reject(classifierError(`the classifier failed: ${error.message}`));
    },
  };

  /** The thread answered request `id`: what still waits for it (nothing if it timed out meanwhile). */
  #answered(id: number): Pending | undefined {
    if (this.#unanswered > 0 && --this.#unanswered > 0) this.#owingSince = Date.now();
    const pending = this.#pending.get(id);
    if (pending === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    return pending;
  }

  #timeout(id: number): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#stats.timeouts++;
    this.#opts.onEvent?.({ type: 'timeout', id });
    pending.reject(classifierError(`the classifier did not answer within ${this.#opts.timeoutMs} ms`));
    if (this.#host.running && this.#unanswered > 0 && Date.now() - this.#owingSince >= this.#opts.stallRestartMs) {
      this.#opts.onEvent?.({ type: 'stalled', unanswered: this.#unanswered });
      this.#host.kill(); // counted as a crash: its requests fail and the thread is restarted
    }
  }

  #failAll(message: string): number {
    const failed = this.#pending.entries().map(([, p]) => p);
    this.#pending.clear();
    for (const p of failed) {
      clearTimeout(p.timer);
      p.reject(classifierError(message));
    }
    return failed.length;
  }

  #onCrash(crash: ActorCrash): void {
    this.#unanswered = 0;
    const message = crash.error?.message ?? 'exited';
    if (crash.restartInMs === null) { // died while loading the first time
      this.#onFirstReady?.(classifierError(`the classifier thread exited while loading the model: ${message}`));
      return;
    }
    this.#stats.crashes++;
    const failed = this.#failAll('the classifier thread crashed; it is being restarted');
    this.#opts.onEvent?.({ type: 'crash', failedRequests: failed, message });
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
