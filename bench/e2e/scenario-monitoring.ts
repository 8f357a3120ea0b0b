import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { executionOf, isGateway, type GatewayTarget, type TargetName } from './config.js';
import { type Gateway, prepareHome, serveHome, startGateway } from './gateway.js';
import { fillStore } from './store-fill.js';
import type { AutocannonResult, SequentialResult } from './load-protocol.js';
import { type Check, type Ctx, type Row, type ScenarioOutput, cpuOf, failuresOf, pidsOf } from './scenario-common.js';
import { median } from './stats.js';
import type { TargetHandle } from './stack.js';

interface Round {
  rps: number;
  cpuPerReqUs: number | null;
  p50Ms: number;
  failures: number;
}

interface Pair {
  on: Round[];
  off: Round[];
  /** Monitoring on, the request log at its size cap from the start (every batch written makes room first). */
  full: Round[];
}

type Side = keyof Pair;

async function measure(ctx: Ctx, t: TargetHandle): Promise<Round> {
  const c = ctx.cfg.saturationC;
  const load = await ctx.load.run<AutocannonResult>(
    { kind: 'autocannon', target: ctx.stack.http(t, false), connections: c, durationS: ctx.cfg.durationS, warmupS: ctx.cfg.warmupS, timeoutS: 10 },
    { cpuPids: pidsOf(t) },
  );
  const seq = await ctx.load.run<SequentialResult>(
    { kind: 'sequential', target: ctx.stack.http(t, false), count: ctx.cfg.seqRequests, warmup: ctx.cfg.seqWarmup, stream: false, deltas: ctx.cfg.deltas, expectUsage: false },
    { cpuPids: pidsOf(t) },
  );
  const cpu = cpuOf(t, load.cpuMicros);
  return {
    rps: load.result.rps,
    cpuPerReqUs: cpu === null || load.result.ok === 0 ? null : cpu / load.result.ok,
    p50Ms: seq.result.latencyMs.p50,
    failures: failuresOf(load.result) + seq.result.failures,
  };
}

/**
 * A twin of each gateway whose store starts at its size cap (`monitoring.log_max_mb` = `mb`): one
 * store is filled with bench-shaped rows and copied into each twin's home before it starts.
 */
async function startFullTwins(ctx: Ctx, gateways: TargetHandle[], mb: number, twins: Gateway[]): Promise<TargetHandle[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lr-bench-store-'));
  try {
    const file = path.join(dir, 'localrouter.db');
    const t0 = performance.now();
    // Just under the cap: the first batches under load already have to make room.
    const rows = fillStore(file, mb * 1024 * 1024 * 0.98);
    ctx.log(`    M1: store filled to ${mb} MB (${rows} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return await Promise.all(gateways.map(async (t): Promise<TargetHandle> => {
      const prepared = await prepareHome({
        repoRoot: ctx.cfg.repoRoot, mockOrigin: ctx.stack.mockOrigin, execution: executionOf(t.name as GatewayTarget),
        limits: ctx.cfg.gatewayLimits, settings: [[['monitoring', 'log_max_mb'], mb]],
      });
      try {
        copyFileSync(file, path.join(prepared.home, 'localrouter.db'));
        const { child, origin } = await serveHome(ctx.children, ctx.cfg.repoRoot, prepared, `gateway-${executionOf(t.name as GatewayTarget)}-full-store`);
        twins.push({ child, origin, key: prepared.key, home: prepared.home, dispose: prepared.dispose });
        return { name: t.name, origin, key: prepared.key, pid: child.pid };
      } catch (err) {
        prepared.dispose();
        throw err;
      }
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * M1: what monitoring costs (targets: at most 5% of throughput at c=64 and at most 0.05 ms
 * added p50). The stack's gateways run with the default config, monitoring on (rings, time series,
 * Prometheus, the SQLite request log and rollups); for each one a twin with `monitoring.enabled:
 * false` starts in front of the same mock, and (unless BENCH_M1_FULL_MB=0) a twin whose request log
 * is at its size cap from the start, as a gateway's is after it has run for a while: each batch it
 * writes first deletes the oldest rows. Rounds interleave the sides, each round in another order:
 * autocannon at c=`saturationC` (RPS, CPU per request), then one request at a time (p50). Ratios
 * and differences are taken per round, then the median over rounds.
 */
export async function m1(ctx: Ctx): Promise<ScenarioOutput> {
  const gateways = ctx.stack.targets.filter((t) => isGateway(t.name));
  if (gateways.length === 0) return { rows: [], checks: [], raw: null };
  const children = ctx.children; // the run's set: SIGINT and the end of the run kill the twins too
  const twins: Gateway[] = [];
  const data = new Map<TargetName, Pair>();
  try {
    const offTargets = await Promise.all(gateways.map(async (t): Promise<TargetHandle> => {
      const gw = await startGateway({
        children, repoRoot: ctx.cfg.repoRoot, mockOrigin: ctx.stack.mockOrigin, execution: executionOf(t.name as GatewayTarget),
        limits: ctx.cfg.gatewayLimits, settings: [[['monitoring', 'enabled'], false]],
      });
      twins.push(gw);
      return { name: t.name, origin: gw.origin, key: gw.key, pid: gw.child.pid };
    }));
    const mb = ctx.cfg.m1FullStoreMb;
    const fullTargets = mb > 0 ? await startFullTwins(ctx, gateways, mb, twins) : null;
    const sides: Side[] = fullTargets === null ? ['on', 'off'] : ['on', 'off', 'full'];
    for (let r = 0; r < ctx.cfg.rounds; r++) {
      for (let i = 0; i < gateways.length; i++) {
        const pair = data.get(gateways[i].name) ?? { on: [], off: [], full: [] };
        data.set(gateways[i].name, pair);
        // Rotate which goes first, so warm-up and drift do not always favour the same side.
        for (let k = 0; k < sides.length; k++) {
          const side = sides[(r + k) % sides.length];
          ctx.stack.assertAlive();
          const target = side === 'on' ? gateways[i] : side === 'off' ? offTargets[i] : fullTargets![i];
          pair[side].push(await measure(ctx, target));
        }
      }
    }
  } finally {
    await Promise.all(twins.map((g) => children.kill(g.child)));
    for (const g of twins) g.dispose();
  }

  const c = ctx.cfg.saturationC;
  const row = (metric: string, kind: Row['kind'], pick: (p: Pair) => number | null): Row => {
    const values: Row['values'] = {};
    for (const [name, pair] of data) {
      const v = pick(pair);
      if (v !== null && Number.isFinite(v)) values[name] = v;
    }
    return { figure: 'M1', metric, kind, values };
  };
  const med = (xs: (number | null)[]): number | null => {
    const ok = xs.filter((x): x is number => x !== null && Number.isFinite(x));
    return ok.length === 0 ? null : median(ok);
  };
  const rows: Row[] = [
    row(`RPS, c=${c}, monitoring on`, 'rate', (p) => med(p.on.map((x) => x.rps))),
    row(`RPS, c=${c}, monitoring off`, 'rate', (p) => med(p.off.map((x) => x.rps))),
    // 'latency' kind only for its 3-decimal formatting: these are a ratio and a difference.
    row(`RPS on / off, c=${c} (target ≥ 0.95)`, 'latency', (p) => med(p.on.map((x, i) => x.rps / p.off[i].rps))),
    row(`CPU per request, c=${c}, monitoring on (µs)`, 'cost', (p) => med(p.on.map((x) => x.cpuPerReqUs))),
    row(`CPU per request, c=${c}, monitoring off (µs)`, 'cost', (p) => med(p.off.map((x) => x.cpuPerReqUs))),
    row('latency p50, c=1, monitoring on (ms)', 'latency', (p) => med(p.on.map((x) => x.p50Ms))),
    row('latency p50, c=1, monitoring off (ms)', 'latency', (p) => med(p.off.map((x) => x.p50Ms))),
    row('p50 added by monitoring, c=1 (ms, target ≤ 0.05)', 'latency', (p) => med(p.on.map((x, i) => x.p50Ms - p.off[i].p50Ms))),
  ];
  if (ctx.cfg.m1FullStoreMb > 0) {
    const full = `request log at its ${ctx.cfg.m1FullStoreMb} MB cap`;
    rows.push(
      row(`RPS, c=${c}, monitoring on, ${full}`, 'rate', (p) => med(p.full.map((x) => x.rps))),
      row(`RPS on with the ${full} / off, c=${c}`, 'latency', (p) => med(p.full.map((x, i) => x.rps / p.off[i].rps))),
      row(`CPU per request, c=${c}, monitoring on, ${full} (µs)`, 'cost', (p) => med(p.full.map((x) => x.cpuPerReqUs))),
    );
  }
  for (const [name, pair] of data) {
    const ratio = med(pair.on.map((x, i) => x.rps / pair.off[i].rps));
    const added = med(pair.on.map((x, i) => x.p50Ms - pair.off[i].p50Ms));
    const fullRatio = med(pair.full.map((x, i) => x.rps / pair.off[i].rps));
    ctx.log(`    M1 ${name}: RPS on/off ${ratio?.toFixed(3)}${pair.full.length > 0 ? `, full store/off ${fullRatio?.toFixed(3)}` : ''}, p50 added ${added?.toFixed(3)} ms`);
  }
  const checks: Check[] = [...data].map(([target, pair]) => {
    const failures = [...pair.on, ...pair.off, ...pair.full].reduce((n, x) => n + x.failures, 0);
    return { figure: 'M1', target, ok: failures === 0, detail: failures === 0 ? 'no errors with monitoring on or off' : `${failures} failed requests` };
  });
  return { rows, checks, raw: Object.fromEntries(data) };
}
