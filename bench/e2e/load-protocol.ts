import type { LatencySummary } from './stats.js';

/** One kind of request, sent identically to every target. */
export interface HttpTarget {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

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
    }
  | { kind: 'streams'; target: HttpTarget; count: number; deltas: number; expectUsage: boolean; timeoutS: number };

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

export interface SequentialResult {
  ok: number;
  failures: number;
  firstProblem: string | null;
  /** Whole exchange: request sent until the body ended. */
  latencyMs: LatencySummary;
  /** Streams only: until the first content delta. */
  ttftMs: LatencySummary | null;
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

export type LoadResult = AutocannonResult | SequentialResult | StreamsResult;

export type ToChild = { type: 'job'; id: number; job: LoadJob } | { type: 'go'; id: number };

export type FromChild =
  | { type: 'ready' }
  /** Warmup is over; the child waits for `go` so the parent can take its "before" CPU sample. */
  | { type: 'mark'; id: number }
  | { type: 'progress'; id: number; open: number }
  | { type: 'result'; id: number; result: LoadResult }
  | { type: 'error'; id: number; message: string };
