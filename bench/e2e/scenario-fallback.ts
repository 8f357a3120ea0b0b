import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { TargetName } from './config.js';
import { type ExtendedFixtures, MODELS } from './extended-gateway.js';
import type { HttpTarget } from './load-protocol.js';
import {
  type Check, type Ctx, type PerTarget, type Row, type ScenarioOutput, type SeqRound, derivedRow, medianRow, sequentialChecks, sequentialOn,
} from './scenario-common.js';
import type { TargetHandle } from './stack.js';
import { median } from './stats.js';

const FIG = 'P10';
const CASES = ['plain', 'after500', 'afterRefused'] as const;
type Case = (typeof CASES)[number];
type P10Round = Record<Case, SeqRound>;

function fixtures(ctx: Ctx): ExtendedFixtures {
  if (!ctx.extended) throw new Error('P10 needs the extended gateway phase');
  return ctx.extended;
}

/**
 * What each case sends. On a gateway: the plain request, then the same with `models: [failing,
 * mock/bench-model]` whose first candidate answers 500 (provider `bad`) or has nothing listening
 * (provider `dead`). On `direct`: the plain call, then the failed attempt alone, made directly (the
 * mock's 500 path, the closed port), so the report can take it out of the gateway's time.
 */
function caseTarget(ctx: Ctx, t: TargetHandle, c: Case): { target: HttpTarget; expect?: { status: number } | 'refused' } {
  const fx = fixtures(ctx);
  const direct = t.name === 'direct';
  if (c === 'plain') return { target: ctx.stack.chat(t, false) };
  const failing = c === 'after500' ? MODELS.failing500 : MODELS.refused;
  if (!direct) return { target: ctx.stack.chat(t, false, { model: failing, extra: { models: [failing, MODELS.passThrough] } }) };
  const plain = ctx.stack.chat(t, false);
  if (c === 'after500') return { target: { ...plain, path: '/fault/500/v1/chat/completions' }, expect: { status: 500 } };
  return { target: { ...plain, origin: `http://127.0.0.1:${fx.deadPort}` }, expect: 'refused' };
}

interface Probe {
  /** Answers whose headers say two attempts, the second by `mock`. */
  fellBack: number;
  sent: number;
  firstProblem: string | null;
  /** The failed attempt's duration as the gateway recorded it (`GET /v1/generation`). */
  recordedFailedMs: number[];
}

/** A few fallback requests outside the measured runs, to check they really fell back and read the gateway's own attempt timings. */
async function probe(t: TargetHandle, target: HttpTarget, failingProvider: string, n: number): Promise<Probe> {
  const out: Probe = { fellBack: 0, sent: n, firstProblem: null, recordedFailedMs: [] };
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await request(target.origin + target.path, { method: 'POST', headers: target.headers, body: target.body });
    const text = await res.body.text();
    const attempts = res.headers['x-localrouter-attempts'];
    const provider = res.headers['x-localrouter-provider'];
    if (res.statusCode === 200 && attempts === '2' && provider === 'mock') out.fellBack++;
    else out.firstProblem ??= `status ${res.statusCode}, attempts ${String(attempts)}, provider ${String(provider)}: ${text.slice(0, 200)}`;
    const id = res.headers['x-localrouter-generation-id'];
    if (typeof id === 'string') ids.push(id);
  }
  // The request log is written in batches (monitoring.flush_interval_ms, 1 s by default).
  const deadline = Date.now() + 5000;
  for (const id of ids) {
    for (;;) {
      const res = await request(`${t.origin}/v1/generation?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${t.key}` } });
      const body = (await res.body.json()) as { data?: { attempts?: { provider: string; duration_ms: number }[] } };
      const failed = body.data?.attempts?.find((a) => a.provider === failingProvider);
      if (res.statusCode === 200 && failed) {
        out.recordedFailedMs.push(failed.duration_ms);
        break;
      }
      if (Date.now() > deadline) break;
      await sleep(100);
    }
  }
  return out;
}

/**
 * P10 fallback cost: the first candidate fails (a 500, or a refused connection on a closed loopback
 * port), the second (`mock/bench-model`) answers; c=1, 0 ms mock. The breaker threshold is set out
 * of reach in this phase, so every request really tries the failing candidate first.
 */
export async function p10(ctx: Ctx): Promise<ScenarioOutput> {
  const targets = ctx.stack.targets.filter((t) => t.name !== 'null');
  const data: PerTarget<P10Round> = {};
  for (let r = 0; r < ctx.cfg.rounds; r++) {
    for (const t of targets) {
      ctx.stack.assertAlive();
      const round = {} as P10Round;
      for (const c of CASES) {
        const { target, expect } = caseTarget(ctx, t, c);
        round[c] = await sequentialOn(ctx, t, target, { stream: false, count: ctx.cfg.p10Requests, expect, warmup: Math.min(ctx.cfg.seqWarmup, 100) });
      }
      (data[t.name] ??= []).push(round);
    }
  }

  const checks: Check[] = [];
  const probes: Partial<Record<TargetName, Record<'after500' | 'afterRefused', Probe>>> = {};
  for (const t of targets.filter((x) => x.name !== 'direct')) {
    const p = {
      after500: await probe(t, caseTarget(ctx, t, 'after500').target, 'bad', 10),
      afterRefused: await probe(t, caseTarget(ctx, t, 'afterRefused').target, 'dead', 20),
    };
    probes[t.name] = p;
    for (const [c, v] of Object.entries(p)) {
      checks.push({
        figure: `${FIG} ${c}`, target: t.name, ok: v.fellBack === v.sent,
        detail: v.fellBack === v.sent ? `${v.sent}/${v.sent} answered by mock on the 2nd attempt` : `${v.fellBack}/${v.sent} fell back; first: ${v.firstProblem}`,
      });
    }
  }
  for (const c of CASES) {
    const seq: PerTarget<SeqRound> = {};
    for (const [name, list] of Object.entries(data) as [TargetName, P10Round[]][]) seq[name] = list.map((x) => x[c]);
    checks.push(...sequentialChecks(`${FIG} ${c}`, seq));
  }

  const p50 = (c: Case): Row => medianRow(FIG, c, 'latency', data, (x) => x[c].result.latencyMs.p50);
  const plain = p50('plain');
  const failed = { after500: p50('after500'), afterRefused: p50('afterRefused') };
  // On `direct`, a fallback row holds both attempts made directly: the plain call plus the failed one.
  const both = (c: 'after500' | 'afterRefused', metric: string): Row => {
    const values = { ...failed[c].values };
    if (plain.values.direct !== undefined && values.direct !== undefined) values.direct += plain.values.direct;
    return { figure: FIG, metric, kind: 'latency', values };
  };
  const after500 = both('after500', 'fallback after a 500, p50 (ms); direct = plain + the 500 call');
  const afterRefused = both('afterRefused', 'fallback after a refused connection, p50 (ms); direct = plain + the refused connect');
  const names = targets.map((t) => t.name);
  const gws = names.filter((n) => n !== 'direct');
  const minus = (row: Row) => (t: TargetName): number | null =>
    row.values[t] === undefined || row.values.direct === undefined ? null : row.values[t] - row.values.direct;
  const recorded = (t: TargetName): number | null => {
    const ms = probes[t]?.afterRefused.recordedFailedMs ?? [];
    return ms.length === 0 ? null : median(ms);
  };
  return {
    rows: [
      { ...plain, metric: 'plain request p50, c=1 (ms)' },
      after500,
      afterRefused,
      derivedRow(FIG, 'the failed attempt alone, made directly: 500 answer p50 (ms)', ['direct'], () => failed.after500.values.direct),
      derivedRow(FIG, 'the failed attempt alone, made directly: refused connect p50 (ms)', ['direct'], () => failed.afterRefused.values.direct),
      derivedRow(FIG, 'added beyond the failed attempt, after a 500 (ms; target ≤ 2)', gws, minus(after500)),
      derivedRow(FIG, 'added beyond the failed attempt, after a refused connection (ms; target ≤ 2)', gws, minus(afterRefused)),
      derivedRow(FIG, 'refused candidate costs: fallback − plain p50 (ms; target ≤ 10)', gws, (t) =>
        afterRefused.values[t] === undefined || plain.values[t] === undefined ? null : afterRefused.values[t] - plain.values[t]),
      derivedRow(FIG, 'refusal detected: failed attempt as the gateway records it, p50 (ms; target ≤ 10)', gws, recorded),
    ],
    checks,
    raw: { rounds: data, probes },
  };
}
