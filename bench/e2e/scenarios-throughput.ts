import type { TargetName } from './config.js';
import type { Measured } from './load-generator.js';
import type { AutocannonResult } from './load-protocol.js';
import {
  type Ctx, type PerTarget, type Row, type ScenarioOutput, cpuOf, failuresOf, interleave, medianRow, noFailureChecks, pidsOf,
} from './scenario-common.js';
import type { TargetHandle } from './stack.js';

type Run = Measured<AutocannonResult> & { cpuPerReqUs: number | null };

async function cannon(ctx: Ctx, t: TargetHandle, connections: number, durationS: number): Promise<Run> {
  const m = await ctx.load.run<AutocannonResult>(
    {
      kind: 'autocannon', target: ctx.stack.http(t, false), connections, durationS, warmupS: ctx.cfg.warmupS, timeoutS: 10,
    },
    { cpuPids: pidsOf(t) },
  );
  const cpu = cpuOf(t, m.cpuMicros);
  return { ...m, cpuPerReqUs: cpu === null || m.result.ok === 0 ? null : cpu / m.result.ok };
}

/**
 * P3 (throughput vs direct) and P2 (added p99) at each concurrency, mock answering after
 * `slowTtfbMs`. Rounds are the outer loop so every concurrency and target sees the same drift.
 */
export async function p3(ctx: Ctx): Promise<ScenarioOutput> {
  const byC = new Map<number, PerTarget<Run>>();
  for (let r = 0; r < ctx.cfg.rounds; r++) {
    for (const c of ctx.cfg.p3Concurrency) {
      const data = byC.get(c) ?? {};
      byC.set(c, data);
      for (const t of ctx.stack.targets) {
        ctx.stack.assertAlive();
        (data[t.name] ??= []).push(await cannon(ctx, t, c, ctx.cfg.durationS));
      }
    }
  }
  const ms = ctx.cfg.slowTtfbMs;
  const rows: Row[] = [];
  for (const [c, data] of byC) rows.push(medianRow('P3', `RPS, c=${c}, ${ms} ms mock`, 'rate', data, (m) => m.result.rps));
  for (const [c, data] of byC) rows.push(medianRow('P2', `latency p99, c=${c}, ${ms} ms mock (ms)`, 'latency', data, (m) => m.result.latencyMs.p99));
  for (const [c, data] of byC) rows.push(medianRow('P3', `CPU per request, c=${c} (µs)`, 'cost', data, (m) => m.cpuPerReqUs));
  return {
    rows,
    checks: [...byC].flatMap(([c, data]) => noFailureChecks(`P3 c=${c}`, data)),
    raw: Object.fromEntries(byC),
  };
}

/** P5: CPU per request when the target is saturated (0 ms mock, `saturationC` connections). */
export async function p5(ctx: Ctx): Promise<ScenarioOutput> {
  const c = ctx.cfg.saturationC;
  const data = await interleave(ctx, ctx.cfg.rounds, (t) => cannon(ctx, t, c, ctx.cfg.durationS));
  return {
    rows: [
      medianRow('P5', `CPU per request at saturation, c=${c} (µs)`, 'cost', data, (m) => m.cpuPerReqUs),
      medianRow('P5', `RPS, c=${c}, 0 ms mock`, 'rate', data, (m) => m.result.rps),
      medianRow('P5', `latency p99, c=${c}, 0 ms mock (ms)`, 'latency', data, (m) => m.result.latencyMs.p99),
    ],
    checks: noFailureChecks('P5', data),
    raw: data,
  };
}

interface FrontierPoint {
  c: number;
  rps: number;
  p99: number;
  failures: number;
  pass: boolean;
}

interface Frontier {
  points: FrontierPoint[];
  best: FrontierPoint | null;
}

/**
 * Doubles (or halves) concurrency from `startC` until the condition p99 <= limit with zero
 * errors flips; the frontier is the best passing RPS seen.
 */
async function searchFrontier(ctx: Ctx, t: TargetHandle, startC: number): Promise<Frontier> {
  const points: FrontierPoint[] = [];
  const at = async (c: number): Promise<FrontierPoint> => {
    const m = await cannon(ctx, t, c, ctx.cfg.stepS);
    const failures = failuresOf(m.result);
    const p99 = m.result.latencyMs.p99;
    const point = { c, rps: m.result.rps, p99, failures, pass: failures === 0 && p99 <= ctx.cfg.p4MaxP99Ms };
    points.push(point);
    return point;
  };
  let c = Math.min(startC, ctx.cfg.p4MaxC);
  if ((await at(c)).pass) {
    while (c * 2 <= ctx.cfg.p4MaxC && (await at((c *= 2))).pass);
  } else {
    while (c > 1 && !(await at((c = Math.max(1, c >> 1)))).pass);
  }
  const passing = points.filter((p) => p.pass);
  const best = passing.length === 0 ? null : passing.reduce((a, b) => (b.rps > a.rps ? b : a));
  return { points, best };
}

/** P4: the highest RPS each target sustains with p99 <= `p4MaxP99Ms` and no errors (0 ms mock). */
export async function p4(ctx: Ctx): Promise<ScenarioOutput> {
  // Later rounds start at the previous round's frontier: same answer, a third of the steps.
  const lastBest = new Map<TargetName, number>();
  const data = await interleave(ctx, ctx.cfg.rounds, async (t) => {
    const f = await searchFrontier(ctx, t, lastBest.get(t.name) ?? 4);
    if (f.best) lastBest.set(t.name, f.best.c);
    ctx.log(`    P4 ${t.name}: ${f.points.map((p) => `c=${p.c} ${Math.round(p.rps)}rps p99=${p.p99.toFixed(2)}ms${p.failures ? ` err=${p.failures}` : ''}${p.pass ? '' : ' ✗'}`).join(', ')}`);
    return f;
  });
  const limit = ctx.cfg.p4MaxP99Ms;
  return {
    rows: [
      medianRow('P4', `max RPS with p99 ≤ ${limit} ms and 0 errors, 0 ms mock`, 'rate', data, (f) => f.best?.rps ?? 0),
      medianRow('P4', 'concurrency at that point', 'info', data, (f) => f.best?.c ?? null),
    ],
    checks: [],
    raw: data,
  };
}
