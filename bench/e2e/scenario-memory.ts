import { setTimeout as sleep } from 'node:timers/promises';
import type { TargetName } from './config.js';
import type { StreamsResult } from './load-protocol.js';
import { processRssBytes } from './processes.js';
import type { Check, Ctx, Row, ScenarioOutput } from './scenario-common.js';
import { cpuOf, pidsOf } from './scenario-common.js';

const MB = 1024 * 1024;
const KB = 1024;

/** P8's target: RSS growth per open stream, KB. */
const P8_KB_PER_STREAM = 60;

interface OpenStreamsTarget {
  idleRssBytes: number | null;
  peakRssBytes: number | null;
  allOpenRssBytes: number | null;
  cpuPerStreamUs: number | null;
  result: StreamsResult;
}

interface OpenStreamsSpec {
  figure: string;
  streams: number;
  deltaMs: number;
  deltas: number;
  /** Stream starts spread over this many ms. */
  rampMs: number;
  /** The setting that makes streams live longer, for the overlap check's message. */
  deltaSetting: string;
}

/**
 * Idle RSS of each target, then RSS while `streams` streams are open at once on a slow mock.
 * Every stream must deliver all deltas in order, the usage chunk and [DONE]. One pass per target
 * on a fresh stack: memory numbers from a process that already ran other load would measure
 * history, not this load.
 */
async function openStreams(ctx: Ctx, spec: OpenStreamsSpec): Promise<{ out: Partial<Record<TargetName, OpenStreamsTarget>>; checks: Check[] }> {
  const n = spec.streams;
  // Let start-up work (worker threads, lazy init, the smoke requests) settle first.
  await sleep(1000);
  const idle = new Map<TargetName, number>();
  for (const t of ctx.stack.targets) if (t.pid !== null) idle.set(t.name, processRssBytes(t.pid));

  const out: Partial<Record<TargetName, OpenStreamsTarget>> = {};
  const checks: Check[] = [];
  const lifeS = (spec.deltas * spec.deltaMs) / 1000;
  for (const t of ctx.stack.targets) {
    ctx.stack.assertAlive();
    const m = await ctx.load.run<StreamsResult>(
      {
        kind: 'streams', target: ctx.stack.http(t, true), count: n, deltas: spec.deltas, expectUsage: true,
        timeoutS: Math.max(60, lifeS + spec.rampMs / 1000 + 60), rampMs: spec.rampMs,
      },
      { cpuPids: pidsOf(t), rssPids: pidsOf(t), rssEveryMs: 20 },
    );
    const r = m.result;
    const cpu = cpuOf(t, m.cpuMicros);
    out[t.name] = {
      idleRssBytes: idle.get(t.name) ?? null,
      peakRssBytes: t.pid === null ? null : (m.rssPeakBytes[t.pid] ?? null),
      allOpenRssBytes: t.pid === null ? null : (m.rssAllOpenBytes[t.pid] ?? null),
      cpuPerStreamUs: cpu === null || r.ok === 0 ? null : cpu / r.ok,
      result: r,
    };
    const problems = Object.entries(r.problems).map(([p, k]) => `${k}× ${p}`).join('; ');
    checks.push({
      figure: `${spec.figure} frames`, target: t.name, ok: r.failed === 0,
      detail: r.failed === 0 ? `${r.ok}/${n} streams complete (${spec.deltas} deltas in order, usage, [DONE])` : `${r.failed}/${n} streams bad: ${problems}`,
    });
    checks.push({
      figure: `${spec.figure} overlap`, target: t.name, ok: r.peakOpen === n,
      detail: r.peakOpen === n ? `all ${n} streams open at once`
        : `only ${r.peakOpen}/${n} open at once, so the RSS is not at ${n} streams: the target caps concurrent ` +
          `streams, or cannot open them within one stream's life (${spec.deltas} × ${spec.deltaMs} ms; see ${spec.deltaSetting})`,
    });
    ctx.log(`    ${spec.figure} ${t.name}: ${r.ok}/${n} ok, peak open ${r.peakOpen}, ${Math.round(r.wallMs)} ms` +
      (t.pid === null ? '' : `, RSS idle ${((idle.get(t.name) ?? 0) / MB).toFixed(1)} MB, peak ${((m.rssPeakBytes[t.pid] ?? 0) / MB).toFixed(1)} MB`));
  }
  return { out, checks };
}

function rowOf(figure: string, out: Partial<Record<TargetName, OpenStreamsTarget>>) {
  return (metric: string, kind: Row['kind'], pick: (v: OpenStreamsTarget) => number | null): Row => {
    const values: Row['values'] = {};
    for (const [name, v] of Object.entries(out) as [TargetName, OpenStreamsTarget][]) {
      const x = pick(v);
      if (x !== null) values[name] = x;
    }
    return { figure, metric, kind, values };
  };
}

const mb = (b: number | null): number | null => (b === null ? null : b / MB);
const growth = (v: OpenStreamsTarget): number | null => (v.peakRssBytes === null || v.idleRssBytes === null ? null : v.peakRssBytes - v.idleRssBytes);

/**
 * P9: idle RSS, then RSS while `p9Streams` streams are open at once on a slow mock (deltas every
 * `p9DeltaMs`).
 */
export async function p9(ctx: Ctx): Promise<ScenarioOutput> {
  const n = ctx.cfg.p9Streams;
  const { out, checks } = await openStreams(ctx, {
    figure: 'P9', streams: n, deltaMs: ctx.cfg.p9DeltaMs, deltas: ctx.cfg.deltas, rampMs: 0, deltaSetting: 'BENCH_P9_DELTA_MS',
  });
  const row = rowOf('P9', out);
  return {
    rows: [
      row('RSS idle after start (MB)', 'memory', (v) => mb(v.idleRssBytes)),
      row(`RSS peak with ${n} open streams (MB)`, 'memory', (v) => mb(v.peakRssBytes)),
      row(`RSS growth for ${n} streams (MB)`, 'memory', (v) => mb(growth(v))),
      row(`streams complete and in order (of ${n})`, 'info', (v) => v.result.ok),
      row('streams open at once (peak)', 'info', (v) => v.result.peakOpen),
      row(`CPU per stream, ${n} at once, ${ctx.cfg.p9DeltaMs} ms deltas (µs)`, 'cost', (v) => v.cpuPerStreamUs),
    ],
    checks,
    raw: out,
  };
}

/**
 * P8: `p8Streams` (10,000 where the open-files limit allows) slow streams open at once through each
 * target, started over `p8RampS` seconds; every one must complete with every frame in order.
 * The figure is RSS per open stream: (peak − idle) ÷ streams.
 */
export async function p8(ctx: Ctx): Promise<ScenarioOutput> {
  const n = ctx.cfg.p8Streams;
  if (ctx.cfg.p8Capped) ctx.log(`    P8: ${n} streams, not 10,000: ${ctx.cfg.p8Capped}`);
  const { out, checks } = await openStreams(ctx, {
    figure: 'P8', streams: n, deltaMs: ctx.cfg.p8DeltaMs, deltas: ctx.cfg.p8Deltas, rampMs: ctx.cfg.p8RampS * 1000, deltaSetting: 'BENCH_P8_DELTA_MS',
  });
  const row = rowOf('P8', out);
  const perStream = row(`RSS per open stream: (peak − idle) ÷ ${n} (KB; target ≤ ${P8_KB_PER_STREAM})`, 'value', (v) => {
    const g = growth(v);
    return g === null ? null : g / n / KB;
  });
  perStream.target = { op: '≤', value: P8_KB_PER_STREAM };
  return {
    rows: [
      row('RSS idle after start (MB)', 'memory', (v) => mb(v.idleRssBytes)),
      row(`RSS peak with ${n} open streams (MB)`, 'memory', (v) => mb(v.peakRssBytes)),
      row(`RSS when all ${n} were open (MB)`, 'memory', (v) => mb(v.allOpenRssBytes)),
      perStream,
      row(`streams complete and in order (of ${n})`, 'info', (v) => v.result.ok),
      row('streams open at once (peak)', 'info', (v) => v.result.peakOpen),
      row(`CPU per stream, ${n} at once, ${ctx.cfg.p8Deltas} deltas ${ctx.cfg.p8DeltaMs} ms apart (µs)`, 'cost', (v) => v.cpuPerStreamUs),
      row('wall time of the run (s)', 'info', (v) => v.result.wallMs / 1000),
    ],
    checks,
    raw: { streams: n, capped: ctx.cfg.p8Capped, targets: out },
  };
}
