import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { TargetName } from './config.js';
import { BENCH_PRICE, MODELS } from './extended-gateway.js';
import type { UsageTotals } from './load-protocol.js';
import { type Check, type Ctx, type PerTarget, type Row, type ScenarioOutput, medianRow, sequentialOn } from './scenario-common.js';
import type { TargetHandle } from './stack.js';

const FIG = 'P12';
const CLIENT = 'accounting';
const ROUTES = [
  { name: 'pass-through', model: MODELS.passThrough, dialect: 'openai' },
  { name: 'Anthropic', model: MODELS.anthropic, dialect: 'anthropic' },
] as const;

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition (enough of it for counters with labels). */
export function parseProm(text: string): Map<string, Sample[]> {
  const out = new Map<string, Sample[]>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    const list = out.get(m[1]) ?? [];
    list.push({ labels, value: Number(m[3]) });
    out.set(m[1], list);
  }
  return out;
}

function sum(prom: Map<string, Sample[]>, name: string, match: Record<string, string>): number {
  let total = 0;
  for (const s of prom.get(name) ?? []) if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
  return total;
}

async function scrape(t: TargetHandle): Promise<Map<string, Sample[]>> {
  const res = await request(`${t.origin}/metrics`);
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${t.name}: GET /metrics answered ${res.statusCode}: ${text.slice(0, 200)}`);
  return parseProm(text);
}

type MockUsage = Record<'openai' | 'anthropic', { answers: number; prompt: number; completion: number }>;

async function mockUsage(ctx: Ctx): Promise<MockUsage> {
  const res = await request(`${ctx.stack.mockOrigin}/__mock/stats`);
  return ((await res.body.json()) as { usage: MockUsage }).usage;
}

/** One (route, plain or streamed) run of `count` answers, compared three ways. */
interface Tally {
  route: string;
  stream: boolean;
  upstream: { answers: number; prompt: number; completion: number };
  metrics: { requests: number; prompt: number; completion: number; cost: number };
  responses: UsageTotals;
  expectedCost: number;
}

async function tally(ctx: Ctx, t: TargetHandle, key: string, route: (typeof ROUTES)[number], stream: boolean): Promise<Tally> {
  const count = ctx.cfg.p12Requests;
  const read = async () => {
    const prom = await scrape(t);
    const by = { client: CLIENT, model: route.model };
    return {
      requests: sum(prom, 'localrouter_requests_total', { client: CLIENT }),
      prompt: sum(prom, 'localrouter_tokens_total', { ...by, kind: 'prompt' }),
      completion: sum(prom, 'localrouter_tokens_total', { ...by, kind: 'completion' }),
      cost: sum(prom, 'localrouter_cost_usd_total', by),
    };
  };
  const before = await read();
  const mockBefore = (await mockUsage(ctx))[route.dialect];
  const seq = await sequentialOn(ctx, t, ctx.stack.chat(t, stream, { key, model: route.model }), { stream, count, warmup: 0, collectUsage: true });
  // A request is counted once its answer has ended on the gateway's side, a moment after the client saw the end.
  let after = await read();
  for (const deadline = Date.now() + 3000; after.requests < before.requests + count && Date.now() < deadline; after = await read()) await sleep(20);
  const mockAfter = (await mockUsage(ctx))[route.dialect];
  const upstream = {
    answers: mockAfter.answers - mockBefore.answers, prompt: mockAfter.prompt - mockBefore.prompt, completion: mockAfter.completion - mockBefore.completion,
  };
  return {
    route: route.name,
    stream,
    upstream,
    metrics: {
      requests: after.requests - before.requests, prompt: after.prompt - before.prompt,
      completion: after.completion - before.completion, cost: after.cost - before.cost,
    },
    responses: seq.result.usage ?? { answers: 0, prompt: 0, completion: 0, cost: 0, costAnswers: 0 },
    expectedCost: (upstream.prompt * BENCH_PRICE.input_per_mtok + upstream.completion * BENCH_PRICE.output_per_mtok) / 1e6,
  };
}

const NANO = 1e9;

function problems(x: Tally, count: number): string[] {
  const out: string[] = [];
  // Each answer's cost is rounded once by the gateway (to 1e-12 USD) and once by /metrics (to 1e-9).
  const tolerance = count * 0.6e-9;
  if (x.upstream.answers !== count) out.push(`the mock reported usage in ${x.upstream.answers} answers, not ${count}`);
  if (x.metrics.requests !== count) out.push(`/metrics counted ${x.metrics.requests} requests, not ${count}`);
  if (x.metrics.prompt !== x.upstream.prompt) out.push(`/metrics prompt ${x.metrics.prompt} ≠ upstream ${x.upstream.prompt}`);
  if (x.metrics.completion !== x.upstream.completion) out.push(`/metrics completion ${x.metrics.completion} ≠ upstream ${x.upstream.completion}`);
  if (x.responses.answers !== count) out.push(`${count - x.responses.answers} answers without usage`);
  if (x.responses.prompt !== x.upstream.prompt) out.push(`responses' prompt tokens ${x.responses.prompt} ≠ upstream ${x.upstream.prompt}`);
  if (x.responses.completion !== x.upstream.completion) out.push(`responses' completion tokens ${x.responses.completion} ≠ upstream ${x.upstream.completion}`);
  if (Math.abs(x.metrics.cost - x.expectedCost) > tolerance) out.push(`/metrics cost ${x.metrics.cost} ≠ expected ${x.expectedCost}`);
  if (x.responses.costAnswers !== count) out.push(`${count - x.responses.costAnswers} answers without usage.cost`);
  else if (Math.abs(x.responses.cost - x.expectedCost) > tolerance) out.push(`responses' usage.cost sum ${x.responses.cost} ≠ expected ${x.expectedCost}`);
  return out;
}

/**
 * P12 token and cost accounting: per gateway, `p12Requests` answers on each route (OpenAI
 * pass-through, Anthropic) plain and streamed, by a client only this scenario uses. The gateway's
 * `/metrics` token and cost counters and the `usage` in its answers must equal what the mock put in
 * its own answers (its `/__mock/stats`), and the cost what the configured price makes of it.
 */
export async function p12(ctx: Ctx): Promise<ScenarioOutput> {
  const fx = ctx.extended;
  if (!fx) throw new Error('P12 needs the extended gateway phase');
  const count = ctx.cfg.p12Requests;
  const data: PerTarget<Tally[]> = {};
  const checks: Check[] = [];
  for (const t of ctx.stack.targets.filter((x) => x.name !== 'direct' && x.name !== 'null')) {
    const list: Tally[] = [];
    for (const route of ROUTES) {
      for (const stream of [false, true]) {
        ctx.stack.assertAlive();
        const x = await tally(ctx, t, fx.keys.accounting, route, stream);
        list.push(x);
        const bad = problems(x, count);
        checks.push({
          figure: `${FIG} ${route.name} ${stream ? 'streamed' : 'plain'}`, target: t.name, ok: bad.length === 0,
          detail: bad.length === 0 ? `${count} answers: tokens ${x.upstream.prompt}+${x.upstream.completion} and cost $${x.expectedCost.toFixed(6)} agree` : bad.join('; '),
        });
      }
    }
    data[t.name] = [list];
  }
  const total = (pick: (x: Tally) => number) => (list: Tally[]): number => list.reduce((n, x) => n + pick(x), 0);
  const row = (metric: string, pick: (x: Tally) => number): Row => medianRow(FIG, metric, 'info', data, total(pick));
  return {
    rows: [
      row(`answers checked (2 routes × plain/streamed × ${count})`, (x) => x.metrics.requests),
      row('tokens the upstream reported (prompt + completion)', (x) => x.upstream.prompt + x.upstream.completion),
      row('/metrics tokens − upstream, summed absolute difference (0 = exact)', (x) => Math.abs(x.metrics.prompt - x.upstream.prompt) + Math.abs(x.metrics.completion - x.upstream.completion)),
      row('response usage − upstream, summed absolute difference in tokens (0 = exact)', (x) => Math.abs(x.responses.prompt - x.upstream.prompt) + Math.abs(x.responses.completion - x.upstream.completion)),
      row('/metrics cost − expected, summed absolute difference (nano-USD)', (x) => Math.abs(x.metrics.cost - x.expectedCost) * NANO),
      row('answers without usage.cost', (x) => count - x.responses.costAnswers),
      // Over the runs where every answer carried a cost; a missing one is counted in the row above.
      row('response usage.cost − expected, summed absolute difference (nano-USD)', (x) =>
        x.responses.costAnswers === count ? Math.abs(x.responses.cost - x.expectedCost) * NANO : 0),
    ],
    checks,
    raw: data as Partial<Record<TargetName, Tally[][]>>,
  };
}
