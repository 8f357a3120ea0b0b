// Micro-benchmark: what monitoring costs per finished request, on vs off, in one process.
// The request path pays GatewayMetrics.record (the ring writes and the request-log push); the
// timers pay the drain, time series, Prometheus counters and handing batches to the writer thread,
// which runs the SQLite inserts and rollup merges (CPU the process spends, off the event loop).
// Off = `monitoring.enabled: false` (record returns at once). Outcome objects are built in both runs.
//
//   npx tsx bench/micro/metrics/monitoring-record.ts      (env: REQUESTS, BATCH, ROUNDS, IDS=random|time)
//
// IDS=time uses time-first generation ids (UUIDv7 style), which the request log's index takes cheaper.

import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatewayMetrics } from '../../../src/admin-api/gateway-metrics.js';
import type { RequestOutcome } from '../../../src/ingress/index.js';

const REQUESTS = Number(process.env.REQUESTS ?? 100_000);
/** Requests between two timer ticks: the default 250 ms flush at ~6k requests/s. */
const BATCH = Number(process.env.BATCH ?? 1500);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TIME_IDS = process.env.IDS === 'time';

const CONFIG = { enabled: true, log_retention_days: 30, log_bodies: false, log_body_max_bytes: 16384, flush_interval_ms: 3_600_000, log_max_mb: 256 };

let seq = 0;
function outcome(): RequestOutcome {
  seq++;
  const t = performance.now();
  return {
    id: TIME_IDS ? `gen-${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}` : `gen-${randomUUID().replaceAll('-', '')}`, op: 'chat',
    attempts: [{ provider: 'mock', model: 'bench-model', status: 200, code: null, durationMs: 0.8 + (seq % 7) / 10 }],
    status: 200, startMs: t - 1.2, durationMs: 1.2 + (seq % 13) / 10, ttftMs: seq % 2 ? 0.9 : 0, streamed: seq % 2 === 1,
    usage: { input: 38, output: 64, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, costUsd: 0.000166, errorCode: null, client: 'bench', clientId: 'c_bench000001', provider: 'mock', model: 'mock/bench-model', strategy: 'default',
  };
}

interface Timing { hotNs: number; mainNs: number; cpuNs: number }

/**
 * hot: GatewayMetrics.record per request; main: hot plus the timer work on this thread (drain,
 * series, Prometheus, handing batches to the writer); cpu: process CPU per request, every thread
 * (so it includes the writer thread's SQLite work), measured until the writer has committed.
 */
async function run(enabled: boolean): Promise<Timing> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-mon-'));
  const metrics = new GatewayMetrics({ home, config: { ...CONFIG, enabled } });
  let hot = 0n;
  let main = 0n;
  let cpu = 0;
  try {
    await metrics.monitoring?.sync();
    const cpu0 = process.cpuUsage();
    for (let done = 0; done < REQUESTS; done += BATCH) {
      const batch: RequestOutcome[] = [];
      for (let i = 0; i < BATCH; i++) batch.push(outcome());
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) metrics.record(batch[i]);
      const t1 = process.hrtime.bigint();
      metrics.monitoring?.tick();
      const t2 = process.hrtime.bigint();
      hot += t1 - t0;
      main += t2 - t0;
      // Let the writer thread work between ticks, as it would between timer firings.
      await new Promise((r) => setImmediate(r));
    }
    await metrics.monitoring?.sync();
    const c = process.cpuUsage(cpu0);
    cpu = (c.user + c.system) * 1000;
  } finally {
    await metrics.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return { hotNs: Number(hot) / REQUESTS, mainNs: Number(main) / REQUESTS, cpuNs: cpu / REQUESTS };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

await run(true); // warm up the JIT and SQLite
await run(false);
const on: Timing[] = [];
const off: Timing[] = [];
for (let r = 0; r < ROUNDS; r++) {
  on.push(await run(true));
  off.push(await run(false));
}
const m = (xs: Timing[], k: keyof Timing): number => median(xs.map((t) => t[k]));
const us = (ns: number): string => (ns / 1000).toFixed(2);
process.stdout.write([
  `monitoring per request (${REQUESTS} requests, tick every ${BATCH}, ${TIME_IDS ? 'time-first' : 'random'} generation ids, median of ${ROUNDS} rounds)`,
  `  off: hot path ${us(m(off, 'hotNs'))} µs, main thread ${us(m(off, 'mainNs'))} µs, process CPU ${us(m(off, 'cpuNs'))} µs (building the outcome objects)`,
  `  on:  hot path ${us(m(on, 'hotNs'))} µs, main thread ${us(m(on, 'mainNs'))} µs, process CPU ${us(m(on, 'cpuNs'))} µs (all threads, incl. the SQLite writer)`,
  `  added: ${us(m(on, 'hotNs') - m(off, 'hotNs'))} µs on the request path, ${us(m(on, 'mainNs') - m(off, 'mainNs'))} µs of event-loop time, ${us(m(on, 'cpuNs') - m(off, 'cpuNs'))} µs of CPU`,
  '',
].join('\n'));
