import type { TargetName } from './config.js';
import type { Measured } from './load-generator.js';
import type { AutocannonResult, SequentialResult } from './load-protocol.js';
import {
  type Check, type Ctx, type PerTarget, type ScenarioOutput, cpuOf, interleave, medianRow, noFailureChecks, pidsOf,
} from './scenario-common.js';
import type { TargetHandle } from './stack.js';

interface SeqRound {
  result: SequentialResult;
  cpuPerReqUs: number | null;
}

function sequentialChecks(figure: string, data: PerTarget<SeqRound>): Check[] {
  return (Object.entries(data) as [TargetName, SeqRound[]][]).map(([target, list]) => {
    const failures = list.reduce((n, r) => n + r.result.failures, 0);
    const first = list.find((r) => r.result.firstProblem)?.result.firstProblem;
    return { figure, target, ok: failures === 0, detail: failures === 0 ? 'all requests ok' : `${failures} failed; first: ${first}` };
  });
}

async function sequential(ctx: Ctx, t: TargetHandle, stream: boolean, count: number): Promise<SeqRound> {
  const m = await ctx.load.run<SequentialResult>(
    {
      kind: 'sequential', target: ctx.stack.http(t, stream), count, warmup: ctx.cfg.seqWarmup, stream,
      deltas: ctx.cfg.deltas, expectUsage: stream,
    },
    { cpuPids: pidsOf(t) },
  );
  const cpu = cpuOf(t, m.cpuMicros);
  return { result: m.result, cpuPerReqUs: cpu === null || m.result.ok === 0 ? null : cpu / m.result.ok };
}

/** P1: added latency of one non-streamed request at a time, 0 ms mock. */
export async function p1(ctx: Ctx): Promise<ScenarioOutput> {
  const data = await interleave(ctx, ctx.cfg.rounds, (t) => sequential(ctx, t, false, ctx.cfg.seqRequests));
  return {
    rows: [
      medianRow('P1', 'latency p50, c=1 (ms)', 'latency', data, (r) => r.result.latencyMs.p50),
      medianRow('P1', 'latency p99, c=1 (ms)', 'latency', data, (r) => r.result.latencyMs.p99),
      medianRow('P1', 'CPU per request, c=1 (µs)', 'cost', data, (r) => r.cpuPerReqUs),
    ],
    checks: sequentialChecks('P1', data),
    raw: data,
  };
}

/**
 * P6: added time to first token, one stream at a time (0 ms mock), and the CPU one 64-delta
 * stream costs when streams run `streamC` at a time.
 */
export async function p6(ctx: Ctx): Promise<ScenarioOutput> {
  const seq = await interleave(ctx, ctx.cfg.rounds, (t) => sequential(ctx, t, true, ctx.cfg.seqStreams));
  const sat = await interleave(ctx, ctx.cfg.rounds, (t) =>
    ctx.load.run<AutocannonResult>(
      {
        kind: 'autocannon', target: ctx.stack.http(t, true), connections: ctx.cfg.streamC, durationS: ctx.cfg.durationS,
        warmupS: ctx.cfg.warmupS, timeoutS: 10,
      },
      { cpuPids: pidsOf(t) },
    ).then((m: Measured<AutocannonResult>) => {
      const cpu = cpuOf(t, m.cpuMicros);
      return { ...m, cpuPerStreamUs: cpu === null || m.result.ok === 0 ? null : cpu / m.result.ok };
    }));
  const c = ctx.cfg.streamC;
  return {
    rows: [
      medianRow('P6', 'TTFT p50, c=1 (ms)', 'latency', seq, (r) => r.result.ttftMs?.p50 ?? null),
      medianRow('P6', 'TTFT p99, c=1 (ms)', 'latency', seq, (r) => r.result.ttftMs?.p99 ?? null),
      medianRow('P6', `whole ${ctx.cfg.deltas}-delta stream p50, c=1 (ms)`, 'latency', seq, (r) => r.result.latencyMs.p50),
      medianRow('P6', `streams/s, c=${c}`, 'rate', sat, (m) => m.result.rps),
      medianRow('P6', `CPU per ${ctx.cfg.deltas}-delta stream, c=${c} (µs)`, 'cost', sat, (m) => m.cpuPerStreamUs),
    ],
    checks: [...sequentialChecks('P6', seq), ...noFailureChecks('P6', sat)],
    raw: { sequential: seq, saturated: sat },
  };
}
