import type { Measured } from './load-generator.js';
import type { AutocannonResult } from './load-protocol.js';
import {
  type Ctx, type ScenarioOutput, cpuOf, interleave, interleavedRounds, medianRow, noFailureChecks, pidsOf, sequentialChecks,
} from './scenario-common.js';

/** P1: added latency of one non-streamed request at a time, 0 ms mock, the targets taken in turn request by request. */
export async function p1(ctx: Ctx): Promise<ScenarioOutput> {
  const data = await interleavedRounds(ctx, ctx.cfg.rounds, (t) => ctx.stack.http(t, false), { stream: false, count: ctx.cfg.seqRequests });
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
 * P6: added time to first token, one stream at a time (0 ms mock, the targets in turn stream by stream), and the CPU one 64-delta
 * stream costs when streams run `streamC` at a time.
 */
export async function p6(ctx: Ctx): Promise<ScenarioOutput> {
  const seq = await interleavedRounds(ctx, ctx.cfg.rounds, (t) => ctx.stack.http(t, true), { stream: true, count: ctx.cfg.seqStreams });
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
