import { setTimeout as sleep } from 'node:timers/promises';
import type { TargetName } from './config.js';
import type { StreamsResult } from './load-protocol.js';
import { processRssBytes } from './processes.js';
import type { Check, Ctx, Row, ScenarioOutput } from './scenario-common.js';
import { cpuOf, pidsOf } from './scenario-common.js';

const MB = 1024 * 1024;

interface P9Target {
  idleRssBytes: number | null;
  peakRssBytes: number | null;
  allOpenRssBytes: number | null;
  cpuPerStreamUs: number | null;
  result: StreamsResult;
}

/**
 * P9: idle RSS, then RSS while `p9Streams` streams are open at once on a slow mock (deltas every
 * `p9DeltaMs`). Every stream must deliver all deltas in order, the usage chunk and [DONE]. One
 * pass per target on a fresh stack: memory numbers from a process that already ran other load
 * would measure history, not this load.
 */
export async function p9(ctx: Ctx): Promise<ScenarioOutput> {
  const n = ctx.cfg.p9Streams;
  // Let start-up work (worker threads, lazy init, the smoke requests) settle first.
  await sleep(1000);
  const idle = new Map<TargetName, number>();
  for (const t of ctx.stack.targets) if (t.pid !== null) idle.set(t.name, processRssBytes(t.pid));

  const out: Partial<Record<TargetName, P9Target>> = {};
  const checks: Check[] = [];
  for (const t of ctx.stack.targets) {
    ctx.stack.assertAlive();
    const m = await ctx.load.run<StreamsResult>(
      { kind: 'streams', target: ctx.stack.http(t, true), count: n, deltas: ctx.cfg.deltas, expectUsage: true, timeoutS: 60 },
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
      figure: 'P9 frames', target: t.name, ok: r.failed === 0,
      detail: r.failed === 0 ? `${r.ok}/${n} streams complete (${ctx.cfg.deltas} deltas in order, usage, [DONE])` : `${r.failed}/${n} streams bad: ${problems}`,
    });
    checks.push({
      figure: 'P9 overlap', target: t.name, ok: r.peakOpen === n,
      detail: r.peakOpen === n ? `all ${n} streams open at once`
        : `only ${r.peakOpen}/${n} open at once, so the RSS is not at ${n} streams: the target caps concurrent ` +
          `streams, or cannot open them within one stream's life (${ctx.cfg.deltas} × ${ctx.cfg.p9DeltaMs} ms; see BENCH_P9_DELTA_MS)`,
    });
    ctx.log(`    P9 ${t.name}: ${r.ok}/${n} ok, peak open ${r.peakOpen}, ${Math.round(r.wallMs)} ms`);
  }

  const row = (metric: string, kind: Row['kind'], pick: (v: P9Target) => number | null): Row => {
    const values: Row['values'] = {};
    for (const [name, v] of Object.entries(out) as [TargetName, P9Target][]) {
      const x = pick(v);
      if (x !== null) values[name] = x;
    }
    return { figure: 'P9', metric, kind, values };
  };
  const mb = (b: number | null): number | null => (b === null ? null : b / MB);
  return {
    rows: [
      row('RSS idle after start (MB)', 'memory', (v) => mb(v.idleRssBytes)),
      row(`RSS peak with ${n} open streams (MB)`, 'memory', (v) => mb(v.peakRssBytes)),
      row(`RSS growth for ${n} streams (MB)`, 'memory', (v) =>
        v.peakRssBytes === null || v.idleRssBytes === null ? null : mb(v.peakRssBytes - v.idleRssBytes)),
      row(`streams complete and in order (of ${n})`, 'info', (v) => v.result.ok),
      row('streams open at once (peak)', 'info', (v) => v.result.peakOpen),
      row(`CPU per stream, ${n} at once, ${ctx.cfg.p9DeltaMs} ms deltas (µs)`, 'cost', (v) => v.cpuPerStreamUs),
    ],
    checks,
    raw: out,
  };
}
