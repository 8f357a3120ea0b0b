import type { BenchConfig, TargetName } from './config.js';
import type { LoadGenerator } from './load-generator.js';
import type { AutocannonResult } from './load-protocol.js';
import type { Stack, TargetHandle } from './stack.js';
import { median } from './stats.js';

/**
 * How a row is compared across targets: latency rows also get "minus direct" columns; every row
 * except `info` gets ratio columns.
 */
export type RowKind = 'latency' | 'rate' | 'cost' | 'memory' | 'info';

/** One line of the report: a metric with one value per target (median of round values). */
export interface Row {
  figure: string;
  metric: string;
  kind: RowKind;
  values: Partial<Record<TargetName, number>>;
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
