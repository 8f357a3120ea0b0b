import type { BenchConfig, TargetName } from './config.js';
import type { ExtendedFixtures } from './extended-gateway.js';
import type { LoadGenerator } from './load-generator.js';
import type { AutocannonResult, Dialect, HttpTarget, InterleavedResult, SequentialResult } from './load-protocol.js';
import type { ChildSet } from './processes.js';
import type { Stack, TargetHandle } from './stack.js';
import { median } from './stats.js';

/**
 * How a row is compared across targets: latency rows also get "minus direct" columns; every row
 * except `info` and `value` gets ratio columns. `value` is a figure derived per target (a
 * difference or a ratio of two other rows), printed like a latency with 3 decimals.
 */
export type RowKind = 'latency' | 'rate' | 'cost' | 'memory' | 'info' | 'value';

/** A target a row's gateway values are held to; the report prints met / missed for each gateway. */
export interface RowTarget {
  op: '≤' | '≥';
  value: number;
}

/** One line of the report: a metric with one value per target (median of round values). */
export interface Row {
  figure: string;
  metric: string;
  kind: RowKind;
  values: Partial<Record<TargetName, number>>;
  target?: RowTarget;
}

/** A correctness or validity condition; any failed check makes the run exit non-zero. */
export interface Check {
  figure: string;
  target: TargetName;
  ok: boolean;
  detail: string;
}

export interface ScenarioOutput {
  rows: Row[];
  checks: Check[];
  /** Per-round raw results, kept in the JSON file. */
  raw: unknown;
}

export interface Ctx {
  cfg: BenchConfig;
  stack: Stack;
  load: LoadGenerator;
  log: (line: string) => void;
  /** For scenarios that start processes of their own (P13). */
  children: ChildSet;
  /** Keys and ports of the extended phase's gateway; null in the other phases. */
  extended: ExtendedFixtures | null;
}

export type PerTarget<T> = Partial<Record<TargetName, T[]>>;

/** Runs `fn` for targets A B C D A B C D ... so drift hits every target alike. */
export async function interleave<T>(ctx: Ctx, rounds: number, fn: (t: TargetHandle, round: number) => Promise<T>): Promise<PerTarget<T>> {
  const out: PerTarget<T> = {};
  for (let r = 0; r < rounds; r++) {
    for (const t of ctx.stack.targets) {
      ctx.stack.assertAlive();
      const value = await fn(t, r);
      (out[t.name] ??= []).push(value);
    }
  }
  return out;
}

/** A row whose per-target value is the median over rounds of `pick(round result)`. */
export function medianRow<T>(figure: string, metric: string, kind: RowKind, data: PerTarget<T>, pick: (v: T) => number | null): Row {
  const values: Partial<Record<TargetName, number>> = {};
  for (const [name, list] of Object.entries(data) as [TargetName, T[]][]) {
    const picked = list.map(pick).filter((x): x is number => x !== null && Number.isFinite(x));
    if (picked.length > 0) values[name] = median(picked);
  }
  return { figure, metric, kind, values };
}

/** Errors of any kind in an autocannon run. */
export function failuresOf(r: AutocannonResult): number {
  return r.non2xx + r.errors + r.timeouts;
}

/** A check per target that no autocannon run of the scenario had failures. */
export function noFailureChecks(figure: string, data: PerTarget<{ result: AutocannonResult }>): Check[] {
  return (Object.entries(data) as [TargetName, { result: AutocannonResult }[]][]).map(([target, list]) => {
    const bad = list.map((m) => m.result).filter((r) => failuresOf(r) > 0);
    const detail = bad.length === 0 ? 'no errors'
      : `${bad.length} run(s) with errors: ${bad.map((r) => `non2xx=${r.non2xx} errors=${r.errors} timeouts=${r.timeouts}`).join('; ')}`;
    return { figure, target, ok: bad.length === 0, detail };
  });
}

export const cpuOf = (t: TargetHandle, cpu: Record<number, number>): number | null => (t.pid === null ? null : (cpu[t.pid] ?? null));
export const pidsOf = (t: TargetHandle): number[] => (t.pid === null ? [] : [t.pid]);

/** One sequential (c=1) run against a target, and the target's CPU per answer during it. */
export interface SeqRound {
  result: SequentialResult;
  cpuPerReqUs: number | null;
}

export interface SeqOptions {
  stream: boolean;
  count: number;
  /** Default `cfg.seqWarmup`. */
  warmup?: number;
  dialect?: Dialect;
  expect?: { status: number } | 'refused';
  collectUsage?: boolean;
}

/** Sends `target` one request at a time (see the `sequential` load job), sampling `t`'s CPU around it. */
export async function sequentialOn(ctx: Ctx, t: TargetHandle, target: HttpTarget, o: SeqOptions): Promise<SeqRound> {
  const m = await ctx.load.run<SequentialResult>(
    {
      kind: 'sequential', target, count: o.count, warmup: o.warmup ?? ctx.cfg.seqWarmup, stream: o.stream,
      deltas: ctx.cfg.deltas, expectUsage: o.stream, dialect: o.dialect, expect: o.expect, collectUsage: o.collectUsage,
    },
    { cpuPids: pidsOf(t) },
  );
  const cpu = cpuOf(t, m.cpuMicros);
  return { result: m.result, cpuPerReqUs: cpu === null || m.result.ok === 0 ? null : cpu / m.result.ok };
}

/**
 * One round of sequential requests against every target, interleaved request by request (see the
 * `interleaved` load job), with each target's CPU per answer. A target's CPU is sampled over the
 * whole run, so it includes what the target does while the others answer (timers, flushes): a
 * little more per answer than a run of its own would show.
 */
export async function interleavedOn(ctx: Ctx, targets: readonly [TargetHandle, HttpTarget][], o: Pick<SeqOptions, 'stream' | 'count' | 'warmup'>): Promise<Map<TargetName, SeqRound>> {
  ctx.stack.assertAlive();
  const m = await ctx.load.run<InterleavedResult>(
    {
      kind: 'interleaved', targets: targets.map(([, target]) => target), count: o.count, warmup: o.warmup ?? ctx.cfg.seqWarmup,
      stream: o.stream, deltas: ctx.cfg.deltas, expectUsage: o.stream,
    },
    { cpuPids: targets.flatMap(([t]) => pidsOf(t)) },
  );
  const out = new Map<TargetName, SeqRound>();
  targets.forEach(([t], i) => {
    const result = m.result.perTarget[i]!;
    const cpu = cpuOf(t, m.cpuMicros);
    out.set(t.name, { result, cpuPerReqUs: cpu === null || result.ok === 0 ? null : cpu / result.ok });
  });
  return out;
}

/** `rounds` rounds of `interleavedOn` over every target of the stack, `request(t)` the request for target `t`. */
export async function interleavedRounds(ctx: Ctx, rounds: number, request: (t: TargetHandle) => HttpTarget, o: Pick<SeqOptions, 'stream' | 'count' | 'warmup'>): Promise<PerTarget<SeqRound>> {
  const out: PerTarget<SeqRound> = {};
  for (let r = 0; r < rounds; r++) {
    const round = await interleavedOn(ctx, ctx.stack.targets.map((t) => [t, request(t)] as const), o);
    for (const [name, value] of round) (out[name] ??= []).push(value);
  }
  return out;
}

/** A check per target that no sequential run of the scenario had a failed request. */
export function sequentialChecks(figure: string, data: PerTarget<SeqRound>): Check[] {
  return (Object.entries(data) as [TargetName, SeqRound[]][]).map(([target, list]) => {
    const failures = list.reduce((n, r) => n + r.result.failures, 0);
    const first = list.find((r) => r.result.firstProblem)?.result.firstProblem;
    return { figure, target, ok: failures === 0, detail: failures === 0 ? 'all requests ok' : `${failures} failed; first: ${first}` };
  });
}

/** A `value` row computed per target from other rows' values (skipped where an input is missing). */
export function derivedRow(figure: string, metric: string, targets: readonly TargetName[], f: (t: TargetName) => number | null | undefined): Row {
  const values: Partial<Record<TargetName, number>> = {};
  for (const t of targets) {
    const v = f(t);
    if (v !== null && v !== undefined && Number.isFinite(v)) values[t] = v;
  }
  return { figure, metric, kind: 'value', values };
}
