import type { LatencySummary } from './stats.js';

/** One kind of request, sent identically to every target. */
export interface HttpTarget {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Wire format of the answers: the gateway always answers in OpenAI's; the mock also in Anthropic's. */
export type Dialect = 'openai' | 'anthropic';

export type LoadJob =
  | { kind: 'autocannon'; target: HttpTarget; connections: number; durationS: number; warmupS: number; timeoutS: number }
  | {
      kind: 'sequential';
      target: HttpTarget;
      count: number;
      warmup: number;
      stream: boolean;
      deltas: number;
      expectUsage: boolean;
      /** Default `openai`. */
      dialect?: Dialect;
      /**
       * What every answer must be: by default a 200 with a complete body; `{ status }` another
       * status (a failing endpoint, timed directly); `refused` a refused connection.
       */
      expect?: { status: number } | 'refused';
      /** Add up the usage every answer reported (`SequentialResult.usage`). */
      collectUsage?: boolean;
    }
  /**
   * The `sequential` job against several targets at once, one request at a time, taking the targets
   * in turn (request i goes to each target, starting with target i mod n): whatever the machine does
   * meanwhile falls on every target alike, which a run per target in a row cannot promise.
   */
  | {
      kind: 'interleaved';
      targets: HttpTarget[];
      count: number;
      warmup: number;
      stream: boolean;
      deltas: number;
      expectUsage: boolean;
    }
  | {
      kind: 'streams'; target: HttpTarget; count: number; deltas: number; expectUsage: boolean; timeoutS: number;
      /** Spread the stream starts evenly over this many ms (default 0: all at once). */
      rampMs?: number;
    }
  /** `total` requests, `concurrency` in flight at once, as fast as they go; answers are counted by status. */
  | {
      kind: 'burst'; target: HttpTarget; total: number; concurrency: number; timeoutS: number;
      /** Unmeasured requests sent the same way before `mark` (default 0). */
      warmup?: number;
    };

export interface AutocannonResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
  rps: number;
  /** From every 2xx response's own timing (sub-millisecond), not autocannon's integer histogram. */
  latencyMs: LatencySummary;
}

/** Usage summed over the measured answers (warmup excluded). */
export interface UsageTotals {
  /** Answers that reported usage. */
  answers: number;
  prompt: number;
  completion: number;
  /** Sum of `usage.cost` (USD), over the answers that carried one. */
  cost: number;
  costAnswers: number;
}

export interface SequentialResult {
  ok: number;
  failures: number;
  firstProblem: string | null;
  /** Whole exchange: request sent until the body ended (or the connection was refused). */
  latencyMs: LatencySummary;
  /** Streams only: until the first content delta. */
  ttftMs: LatencySummary | null;
  /** With `collectUsage`. */
  usage: UsageTotals | null;
}

/** One `SequentialResult` per target of an `interleaved` job, in the job's order. */
export interface InterleavedResult {
  perTarget: SequentialResult[];
}

export interface BurstResult {
  /** HTTP status → answers; `error` for requests that got no answer. */
  statuses: Record<string, number>;
  /** 429 answers without a `retry-after` header. */
  missingRetryAfter: number;
  firstProblem: string | null;
  /** First request sent until the last answer ended. */
  wallMs: number;
  /** Each answered request's own time, sent until its body ended. */
  latencyMs: LatencySummary;
}

export interface StreamsResult {
  count: number;
  ok: number;
  failed: number;
  /** Problem text → how many streams had it. */
  problems: Record<string, number>;
  /** Most streams open at once (headers received, body not yet ended). */
  peakOpen: number;
  wallMs: number;
}

export type LoadResult = AutocannonResult | SequentialResult | InterleavedResult | StreamsResult | BurstResult;

export type ToChild = { type: 'job'; id: number; job: LoadJob } | { type: 'go'; id: number };

export type FromChild =
  | { type: 'ready' }
  /** Warmup is over; the child waits for `go` so the parent can take its "before" CPU sample. */
  | { type: 'mark'; id: number }
  | { type: 'progress'; id: number; open: number }
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'error'; id: number; message: string };
