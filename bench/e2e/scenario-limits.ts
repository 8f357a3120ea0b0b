import type { TargetName } from './config.js';
import type { Measured } from './load-generator.js';
import type { AutocannonResult, BurstResult } from './load-protocol.js';
import {
  type Check, type Ctx, type PerTarget, type Row, type ScenarioOutput, type SeqRound, cpuOf, derivedRow, medianRow, noFailureChecks,
  pidsOf, sequentialChecks, sequentialOn,
} from './scenario-common.js';
import type { TargetHandle } from './stack.js';

const FIG = 'P11';
const MINUTE_MS = 60_000;

interface BurstRound {
  result: BurstResult;
  admitted: number;
  /** What GCRA may admit: the full budget, plus what refills while the burst runs. */
  allowance: number;
}

interface CostRound {
  off: SeqRound;
  on: SeqRound;
  /** Saturation runs (gateways only): CPU per request with no limit and with limits. */
  satOff: number | null;
  satOn: number | null;
  sat: Measured<AutocannonResult>[];
}

async function burst(ctx: Ctx, t: TargetHandle, key: string): Promise<BurstRound> {
  const n = ctx.cfg.p11Limit;
  const m = await ctx.load.run<BurstResult>({
    kind: 'burst', target: ctx.stack.chat(t, false, { key }), total: 3 * n, concurrency: ctx.cfg.p11BurstC, timeoutS: 30,
  });
  const admitted = m.result.statuses['200'] ?? 0;
  return { result: m.result, admitted, allowance: n + Math.floor((m.result.wallMs * n) / MINUTE_MS) };
}

async function saturated(ctx: Ctx, t: TargetHandle, key: string): Promise<Measured<AutocannonResult> & { cpuPerReqUs: number | null }> {
  const m = await ctx.load.run<AutocannonResult>(
    {
      kind: 'autocannon', target: ctx.stack.chat(t, false, { key }), connections: ctx.cfg.saturationC, durationS: ctx.cfg.p11SatS,
      warmupS: ctx.cfg.warmupS, timeoutS: 10,
    },
    { cpuPids: pidsOf(t) },
  );
  const cpu = cpuOf(t, m.cpuMicros);
  return { ...m, cpuPerReqUs: cpu === null || m.result.ok === 0 ? null : cpu / m.result.ok };
}

async function cost(ctx: Ctx, t: TargetHandle, keys: { off: string; on: string }, flip: boolean): Promise<CostRound> {
  const seq = (key: string): Promise<SeqRound> =>
    sequentialOn(ctx, t, ctx.stack.chat(t, false, { key }), { stream: false, count: ctx.cfg.p11Requests, warmup: Math.min(ctx.cfg.seqWarmup, 100) });
  const order: ('off' | 'on')[] = flip ? ['on', 'off'] : ['off', 'on'];
  const out = { satOff: null, satOn: null, sat: [] } as unknown as CostRound;
  for (const which of order) out[which] = await seq(keys[which]);
  if (t.name === 'direct') return out;
  for (const which of order) {
    const s = await saturated(ctx, t, keys[which]);
    out.sat.push(s);
    if (which === 'off') out.satOff = s.cpuPerReqUs;
    else out.satOn = s.cpuPerReqUs;
  }
  return out;
}

/**
 * P11 rate limits. Accuracy: per round, a fresh client of strategy `burst` (N requests a minute)
 * sends 3N requests `p11BurstC` at a time; the 200s are what the limiter admitted. Cost: the same
 * gateway with a client that has no limit and one with a request and a token limit it never
 * reaches, c=1 (latency, CPU) and at saturation (CPU), interleaved.
 */
export async function p11(ctx: Ctx): Promise<ScenarioOutput> {
  const fx = ctx.extended;
  if (!fx) throw new Error('P11 needs the extended gateway phase');
  const gateways = ctx.stack.targets.filter((t) => t.name !== 'direct' && t.name !== 'null');
  const costTargets = ctx.stack.targets.filter((t) => t.name !== 'null');
  const bursts: PerTarget<BurstRound> = {};
  const costs: PerTarget<CostRound> = {};
  for (let r = 0; r < ctx.cfg.rounds; r++) {
    for (const t of gateways) {
      ctx.stack.assertAlive();
      const b = await burst(ctx, t, fx.keys.burst[r]);
      (bursts[t.name] ??= []).push(b);
      ctx.log(`    P11 ${t.name}: burst ${JSON.stringify(b.result.statuses)} in ${b.result.wallMs.toFixed(0)} ms, allowance ${b.allowance}`);
    }
    for (const t of costTargets) {
      ctx.stack.assertAlive();
      (costs[t.name] ??= []).push(await cost(ctx, t, { off: fx.keys.limitsOff, on: fx.keys.limitsOn }, r % 2 === 1));
    }
  }

  const n = ctx.cfg.p11Limit;
  const checks: Check[] = [];
  for (const [name, list] of Object.entries(bursts) as [TargetName, BurstRound[]][]) {
    for (const [i, b] of list.entries()) {
      const other = Object.entries(b.result.statuses).filter(([s]) => s !== '200' && s !== '429');
      const over = b.admitted > Math.floor(b.allowance * 1.01);
      const ok = other.length === 0 && b.result.missingRetryAfter === 0 && !over;
      checks.push({
        figure: `${FIG} burst round ${i + 1}`, target: name, ok,
        detail: `admitted ${b.admitted} of ${3 * n} (limit ${n}, allowance ${b.allowance} after ${b.result.wallMs.toFixed(0)} ms)` +
          (other.length > 0 ? `; other answers ${JSON.stringify(Object.fromEntries(other))}, first: ${b.result.firstProblem}` : '') +
          (b.result.missingRetryAfter > 0 ? `; ${b.result.missingRetryAfter} 429s without Retry-After` : '') +
          (over ? '; over-admission above 1%' : ''),
      });
    }
  }
  const seqOf = (which: 'off' | 'on'): PerTarget<SeqRound> => {
    const out: PerTarget<SeqRound> = {};
    for (const [name, list] of Object.entries(costs) as [TargetName, CostRound[]][]) out[name] = list.map((c) => c[which]);
    return out;
  };
  checks.push(...sequentialChecks(`${FIG} no limits`, seqOf('off')), ...sequentialChecks(`${FIG} with limits`, seqOf('on')));
  const satRuns: PerTarget<{ result: AutocannonResult }> = {};
  for (const [name, list] of Object.entries(costs) as [TargetName, CostRound[]][]) if (name !== 'direct') satRuns[name] = list.flatMap((c) => c.sat);
  checks.push(...noFailureChecks(`${FIG} saturation`, satRuns));

  const gwNames = gateways.map((t) => t.name);
  const rows: Row[] = [
    medianRow(FIG, `burst of ${3 * n} at c=${ctx.cfg.p11BurstC}, limit ${n}/min: admitted (200)`, 'info', bursts, (b) => b.admitted),
    medianRow(FIG, 'the same burst: refused (429)', 'info', bursts, (b) => b.result.statuses['429'] ?? 0),
    medianRow(FIG, 'admitted ÷ limit, median round', 'value', bursts, (b) => b.admitted / n),
    derivedRow(FIG, 'admitted ÷ allowance (limit + refill during the burst), worst round (target ≤ 1.01)', gwNames, (t) =>
      Math.max(...(bursts[t] ?? []).map((b) => b.admitted / b.allowance))),
  ];
  const p50Off = medianRow(FIG, 'latency p50, c=1, client without limits (ms)', 'latency', costs, (c) => c.off.result.latencyMs.p50);
  const p50On = medianRow(FIG, 'latency p50, c=1, client with a request + token limit (ms)', 'latency', costs, (c) => c.on.result.latencyMs.p50);
  const cpuOff = medianRow(FIG, 'CPU per request, c=1, without limits (µs)', 'cost', costs, (c) => c.off.cpuPerReqUs);
  const cpuOn = medianRow(FIG, 'CPU per request, c=1, with limits (µs)', 'cost', costs, (c) => c.on.cpuPerReqUs);
  const satOff = medianRow(FIG, `CPU per request, c=${ctx.cfg.saturationC}, without limits (µs)`, 'cost', costs, (c) => c.satOff);
  const satOn = medianRow(FIG, `CPU per request, c=${ctx.cfg.saturationC}, with limits (µs)`, 'cost', costs, (c) => c.satOn);
  const diffUs = (on: Row, off: Row, scale: number) => (t: TargetName): number | null =>
    on.values[t] === undefined || off.values[t] === undefined ? null : (on.values[t] - off.values[t]) * scale;
  rows.push(
    p50Off, p50On, cpuOff, cpuOn, satOff, satOn,
    derivedRow(FIG, 'limiter cost: latency p50 with − without, c=1 (µs; target ≤ 20)', gwNames, diffUs(p50On, p50Off, 1000)),
    derivedRow(FIG, 'limiter cost: CPU per request with − without, c=1 (µs; target ≤ 20)', gwNames, diffUs(cpuOn, cpuOff, 1)),
    derivedRow(FIG, `limiter cost: CPU per request with − without, c=${ctx.cfg.saturationC} (µs; target ≤ 20)`, gwNames, diffUs(satOn, satOff, 1)),
  );
  return { rows, checks, raw: { bursts, costs } };
}
