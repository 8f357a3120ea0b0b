import type { TargetName } from './config.js';
import { agentBody } from './agent-body.js';
import type { BurstResult, HttpTarget } from './load-protocol.js';
import {
  type Check, type Ctx, type PerTarget, type Row, type ScenarioOutput, type SeqRound, cpuOf, derivedRow, interleavedOn, medianRow, pidsOf,
  sequentialChecks,
} from './scenario-common.js';
import type { TargetHandle } from './stack.js';

const FIG = 'P15';
const KINDS = ['plain', 'stream'] as const;
type Kind = (typeof KINDS)[number];

/** Gateway added ÷ null added, c=1 non-streaming p50, per body size in KB (the issue's targets). */
/** Below this, the null proxy's added latency is noise and the ratios against it are left blank. */
const MIN_NULL_ADDED_MS = 0.02;

const ADDED_RATIO_TARGET: Record<number, number> = { 200: 1.3, 1024: 1.5 };

interface ConcurrentRun {
  result: BurstResult;
  ok: number;
  rps: number;
  cpuPerReqUs: number | null;
}

interface SizeRound {
  seq: Record<Kind, SeqRound>;
  conc: Record<Kind, ConcurrentRun>;
}

function label(kb: number): string {
  return kb >= 1024 && kb % 1024 === 0 ? `${kb / 1024} MB` : `${kb} KB`;
}

/** The agent request for `t`: the target's URL and key, the generated body. */
function agentTarget(ctx: Ctx, t: TargetHandle, body: string): HttpTarget {
  return { ...ctx.stack.chat(t, false), body };
}

/**
 * `p15CRequests` requests, `p15C` in flight at once. A fixed count rather than a duration: a 1 MB
 * request can take longer than a short run, and requests cut off at the end would count as CPU
 * without counting as requests.
 */
async function concurrent(ctx: Ctx, t: TargetHandle, target: HttpTarget): Promise<ConcurrentRun> {
  const c = ctx.cfg.p15C;
  const m = await ctx.load.run<BurstResult>(
    { kind: 'burst', target, total: ctx.cfg.p15CRequests, concurrency: c, timeoutS: 60, warmup: c },
    { cpuPids: pidsOf(t) },
  );
  const ok = m.result.statuses['200'] ?? 0;
  const cpu = cpuOf(t, m.cpuMicros);
  return { result: m.result, ok, rps: (ok * 1000) / m.result.wallMs, cpuPerReqUs: cpu === null || ok === 0 ? null : cpu / ok };
}

/** A check per target that every request of the concurrent runs came back 200. */
function concurrentChecks(figure: string, data: PerTarget<ConcurrentRun>): Check[] {
  return (Object.entries(data) as [TargetName, ConcurrentRun[]][]).map(([target, list]) => {
    const bad = list.filter((x) => x.ok !== x.result.latencyMs.count || x.result.firstProblem !== null || x.ok === 0);
    const first = bad[0]?.result;
    return {
      figure, target, ok: bad.length === 0,
      detail: bad.length === 0 ? 'all requests 200' : `${bad.length} run(s) with failures: ${JSON.stringify(first?.statuses)} ${first?.firstProblem ?? ''}`,
    };
  });
}

/**
 * P15 agent body: agent-sized requests (generated history, tool calls, 20 tools; 20 KB, 200 KB and
 * 1 MB by default), non-streamed and streamed, one at a time (the targets taken in turn request by
 * request) and `p15C` at a time (a run per target, targets in turn). `X − direct` is what a hop adds for a body that size; the `gw added ÷ null
 * added` rows compare that with the null proxy, which streams the body through without parsing it.
 */
export async function p15(ctx: Ctx): Promise<ScenarioOutput> {
  const sizes = ctx.cfg.p15SizesKB;
  const bodies = new Map(sizes.map((kb) => [kb, { plain: agentBody(kb * 1024, false), stream: agentBody(kb * 1024, true) }]));
  const data = new Map<number, PerTarget<SizeRound>>(sizes.map((kb) => [kb, {}]));
  const count = ctx.cfg.p15Requests;
  const warmup = Math.min(ctx.cfg.seqWarmup, Math.max(5, Math.round(count / 4)));
  for (let r = 0; r < ctx.cfg.rounds; r++) {
    for (const kb of sizes) {
      const body = bodies.get(kb)!;
      const seq = {} as Record<Kind, Map<TargetName, SeqRound>>;
      for (const kind of KINDS) {
        seq[kind] = await interleavedOn(ctx, ctx.stack.targets.map((t) => [t, agentTarget(ctx, t, body[kind])] as const), { stream: kind === 'stream', count, warmup });
      }
      for (const t of ctx.stack.targets) {
        ctx.stack.assertAlive();
        const conc = {} as Record<Kind, ConcurrentRun>;
        for (const kind of KINDS) conc[kind] = await concurrent(ctx, t, agentTarget(ctx, t, body[kind]));
        (data.get(kb)![t.name] ??= []).push({ seq: { plain: seq.plain.get(t.name)!, stream: seq.stream.get(t.name)! }, conc });
      }
      ctx.log(`    P15 ${label(kb)} round ${r + 1}: ${ctx.stack.targets.map((t) => {
        const last = data.get(kb)![t.name]!.at(-1)!;
        return `${t.name} ${last.seq.plain.result.latencyMs.p50.toFixed(2)} ms`;
      }).join(', ')} (c=1 plain p50)`);
    }
  }

  const rows: Row[] = [];
  const checks: Check[] = [];
  const hops = ctx.stack.targets.map((t) => t.name).filter((n) => n !== 'direct');
  const addedRatio = (row: Row) => (t: TargetName): number | null => {
    const v = row.values;
    if (v[t] === undefined || v.null === undefined || v.direct === undefined) return null;
    // When the null proxy adds nothing measurable in this run, the ratio means nothing.
    const nullAdded = v.null - v.direct;
    return nullAdded <= MIN_NULL_ADDED_MS ? null : (v[t] - v.direct) / nullAdded;
  };
  for (const kb of sizes) {
    const d = data.get(kb)!;
    for (const kind of KINDS) {
      const what = `${label(kb)} ${kind === 'plain' ? 'non-streamed' : 'streamed'}`;
      const unit = kind === 'plain' ? 'latency' : `whole ${ctx.cfg.deltas}-delta stream`;
      const p50 = medianRow(FIG, `${what}: ${unit} p50, c=1 (ms)`, 'latency', d, (x) => x.seq[kind].result.latencyMs.p50);
      rows.push(p50, medianRow(FIG, `${what}: ${unit} p99, c=1 (ms)`, 'latency', d, (x) => x.seq[kind].result.latencyMs.p99));
      if (kind === 'stream') rows.push(medianRow(FIG, `${what}: TTFT p50, c=1 (ms)`, 'latency', d, (x) => x.seq[kind].result.ttftMs?.p50 ?? null));
      rows.push(medianRow(FIG, `${what}: CPU per request, c=1 (µs)`, 'cost', d, (x) => x.seq[kind].cpuPerReqUs));
      const c = ctx.cfg.p15C;
      const cp50 = medianRow(FIG, `${what}: ${unit} p50, c=${c} (ms)`, 'latency', d, (x) => x.conc[kind].result.latencyMs.p50);
      rows.push(
        cp50,
        medianRow(FIG, `${what}: ${unit} p99, c=${c} (ms)`, 'latency', d, (x) => x.conc[kind].result.latencyMs.p99),
        medianRow(FIG, `${what}: CPU per request, c=${c} (µs)`, 'cost', d, (x) => x.conc[kind].cpuPerReqUs),
        medianRow(FIG, `${what}: requests/s, c=${c}`, 'rate', d, (x) => x.conc[kind].rps),
      );
      const limit = kind === 'plain' ? ADDED_RATIO_TARGET[kb] : undefined;
      const ratioRow = derivedRow(FIG, `${what}: added p50 ÷ null's added p50, c=1${limit ? ` (target ≤ ${limit})` : ''}`, hops, addedRatio(p50));
      if (limit) ratioRow.target = { op: '≤', value: limit };
      rows.push(ratioRow, derivedRow(FIG, `${what}: added p50 ÷ null's added p50, c=${c}`, hops, addedRatio(cp50)));
      const seqOf: PerTarget<SeqRound> = {};
      const concOf: PerTarget<ConcurrentRun> = {};
      for (const [name, list] of Object.entries(d) as [TargetName, SizeRound[]][]) {
        seqOf[name] = list.map((x) => x.seq[kind]);
        concOf[name] = list.map((x) => x.conc[kind]);
      }
      checks.push(...sequentialChecks(`${FIG} ${what} c=1`, seqOf), ...concurrentChecks(`${FIG} ${what} c=${c}`, concOf));
    }
  }
  const bytes = Object.fromEntries(sizes.map((kb) => [kb, { plain: Buffer.byteLength(bodies.get(kb)!.plain), stream: Buffer.byteLength(bodies.get(kb)!.stream) }]));
  return { rows, checks, raw: { bodyBytes: bytes, rounds: Object.fromEntries(data) } };
}
