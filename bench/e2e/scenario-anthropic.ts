import type { TargetName } from './config.js';
import { MODELS } from './extended-gateway.js';
import type { Dialect, HttpTarget } from './load-protocol.js';
import {
  type Ctx, type PerTarget, type Row, type ScenarioOutput, type SeqRound, derivedRow, medianRow, sequentialChecks, sequentialOn,
} from './scenario-common.js';
import type { TargetHandle } from './stack.js';

const FIG = 'anthropic';
const ROUTES = ['passThrough', 'anthropic'] as const;
type Route = (typeof ROUTES)[number];
const LABEL: Record<Route, string> = { passThrough: 'OpenAI pass-through', anthropic: 'Anthropic upstream' };

interface RouteRound {
  plain: SeqRound;
  stream: SeqRound;
}

/**
 * The request each target gets on each route. Pass-through: the usual chat request (`mock/...` on a
 * gateway). Anthropic: a gateway gets the same chat request for `claude/bench-model` and translates
 * it; `direct` and `null` send what a client talking to Anthropic itself sends (`POST /v1/messages`
 * in the Messages dialect), so `gw − direct` is what the translating hop adds over no hop at all.
 */
function requestFor(ctx: Ctx, t: TargetHandle, route: Route, stream: boolean): { target: HttpTarget; dialect: Dialect } {
  if (route === 'passThrough') return { target: ctx.stack.chat(t, stream), dialect: 'openai' };
  if (t.name === 'direct' || t.name === 'null') return { target: ctx.stack.messages(t, stream), dialect: 'anthropic' };
  return { target: ctx.stack.chat(t, stream, { model: MODELS.anthropic }), dialect: 'openai' };
}

async function runRoute(ctx: Ctx, t: TargetHandle, route: Route, counts: { plain: number; stream: number; warmup?: number }): Promise<RouteRound> {
  const on = (stream: boolean, count: number): Promise<SeqRound> => {
    const { target, dialect } = requestFor(ctx, t, route, stream);
    return sequentialOn(ctx, t, target, { stream, count, dialect, warmup: counts.warmup ?? Math.min(ctx.cfg.seqWarmup, 100) });
  };
  return { plain: await on(false, counts.plain), stream: await on(true, counts.stream) };
}

/** One request and one stream per target and route must come back right before anything is measured. */
async function preflight(ctx: Ctx): Promise<void> {
  for (const t of ctx.stack.targets) {
    for (const route of ROUTES) {
      const r = await runRoute(ctx, t, route, { plain: 1, stream: 1, warmup: 0 });
      const problem = r.plain.result.firstProblem ?? r.stream.result.firstProblem;
      if (problem !== null) {
        const child = ctx.stack.childOf(t);
        throw new Error(`${t.name} failed the ${LABEL[route]} route's smoke test: ${problem}` +
          (child ? `\n--- last output of ${child.name} ---\n${child.tail()}` : ''));
      }
    }
  }
}

/**
 * Anthropic-upstream translation (target): the same c=1 latency, TTFT and CPU figures as
 * P1 and P6, on the OpenAI pass-through route and on the route that translates to the Anthropic
 * Messages API and back, interleaved on the same processes. The `Anthropic added ÷ pass-through
 * added` rows are the target's ratio (≤ 1.5).
 */
export async function anthropic(ctx: Ctx): Promise<ScenarioOutput> {
  await preflight(ctx);
  const counts = { plain: ctx.cfg.anthropicRequests, stream: ctx.cfg.anthropicStreams };
  const data: Record<Route, PerTarget<RouteRound>> = { passThrough: {}, anthropic: {} };
  for (let r = 0; r < ctx.cfg.rounds; r++) {
    for (const t of ctx.stack.targets) {
      // Alternate which route goes first, so neither always runs on a warmer process.
      for (const route of r % 2 === 0 ? ROUTES : [...ROUTES].reverse()) {
        ctx.stack.assertAlive();
        (data[route][t.name] ??= []).push(await runRoute(ctx, t, route, counts));
      }
    }
  }

  const rows: Row[] = [];
  const byRoute = (metric: string, kind: Row['kind'], pick: (r: RouteRound) => number | null): Record<Route, Row> => {
    const out = {} as Record<Route, Row>;
    for (const route of ROUTES) rows.push((out[route] = medianRow(FIG, `${metric}, ${LABEL[route]} (${kind === 'cost' ? 'µs' : 'ms'})`, kind, data[route], pick)));
    return out;
  };
  const p50 = byRoute('latency p50, c=1', 'latency', (r) => r.plain.result.latencyMs.p50);
  byRoute('latency p99, c=1', 'latency', (r) => r.plain.result.latencyMs.p99);
  const ttft = byRoute('TTFT p50, c=1', 'latency', (r) => r.stream.result.ttftMs?.p50 ?? null);
  const cpuReq = byRoute('CPU per request, c=1', 'cost', (r) => r.plain.cpuPerReqUs);
  const cpuStream = byRoute(`CPU per ${ctx.cfg.deltas}-delta stream, c=1`, 'cost', (r) => r.stream.cpuPerReqUs);

  const hops = ctx.stack.targets.map((t) => t.name).filter((n) => n !== 'direct');
  const addedRatio = (pair: Record<Route, Row>) => (t: TargetName): number | null => {
    const a = pair.anthropic.values;
    const o = pair.passThrough.values;
    if (a[t] === undefined || o[t] === undefined || a.direct === undefined || o.direct === undefined) return null;
    return (a[t] - a.direct) / (o[t] - o.direct);
  };
  const ratio = (pair: Record<Route, Row>) => (t: TargetName): number | null =>
    pair.anthropic.values[t] === undefined || pair.passThrough.values[t] === undefined ? null : pair.anthropic.values[t] / pair.passThrough.values[t];
  rows.push(
    derivedRow(FIG, 'Anthropic added ÷ pass-through added, latency p50 (target ≤ 1.5)', hops, addedRatio(p50)),
    derivedRow(FIG, 'Anthropic added ÷ pass-through added, TTFT p50', hops, addedRatio(ttft)),
    derivedRow(FIG, 'Anthropic ÷ pass-through, CPU per request', hops, ratio(cpuReq)),
    derivedRow(FIG, 'Anthropic ÷ pass-through, CPU per stream', hops, ratio(cpuStream)),
  );
  const checks = ROUTES.flatMap((route) => {
    const seq: PerTarget<SeqRound> = {};
    for (const [name, list] of Object.entries(data[route]) as [TargetName, RouteRound[]][]) seq[name] = list.flatMap((x) => [x.plain, x.stream]);
    return sequentialChecks(`${FIG} ${LABEL[route]}`, seq);
  });
  return { rows, checks, raw: data };
}
