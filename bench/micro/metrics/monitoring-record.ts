// Micro-benchmark: what monitoring costs per finished request, on vs off, in one process.
// "hot path" is GatewayMetrics.record (the ring writes and the request-log push the request handler
// pays); "background" is the aggregator drain, time series, Prometheus counters, the batched SQLite
// insert and the rollup merge that the timers run (same thread, so it is CPU the gateway spends).
// Off = `monitoring.enabled: false` (record returns at once). Outcome objects are built in both runs.
//
//   npx tsx bench/micro/metrics/monitoring-record.ts      (env: REQUESTS, BATCH, ROUNDS, IDS=random|time)
//
// IDS=time uses time-first generation ids (UUIDv7 style), which the request log's index takes cheaper.

import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GatewayMetrics } from '../../../src/ingress/gateway-metrics.js';
import type { RequestOutcome } from '../../../src/ingress/gateway-state.js';

const REQUESTS = Number(process.env.REQUESTS ?? 100_000);
/** Requests between two timer ticks: ~1 s of traffic at 5-10k requests/s is the realistic batch. */
const BATCH = Number(process.env.BATCH ?? 5000);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const TIME_IDS = process.env.IDS === 'time';

const CONFIG = { enabled: true, log_retention_days: 30, log_bodies: false, log_body_max_bytes: 16384, flush_interval_ms: 3_600_000 };

let seq = 0;
function outcome(): RequestOutcome {
  seq++;
  const t = performance.now();
  return {
    id: TIME_IDS ? `gen-${Date.now().toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}` : `gen-${randomUUID().replaceAll('-', '')}`, op: 'chat',
    attempts: [{ provider: 'mock', model: 'bench-model', status: 200, code: null, durationMs: 0.8 + (seq % 7) / 10 }],
    status: 200, startMs: t - 1.2, durationMs: 1.2 + (seq % 13) / 10, ttftMs: seq % 2 ? 0.9 : 0, streamed: seq % 2 === 1,
    usage: [38, 64, 0, 0], costUsd: 0.000166, errorCode: null, client: 'bench', provider: 'mock', model: 'mock/bench-model', strategy: 'default',
  };
}

interface Timing { hotNs: number; bgNs: number }

function run(enabled: boolean): Timing {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-mon-'));
  const metrics = new GatewayMetrics({ home, config: { ...CONFIG, enabled } });
  let hot = 0n;
  let bg = 0n;
  try {
    for (let done = 0; done < REQUESTS; done += BATCH) {
      const batch: RequestOutcome[] = [];
      for (let i = 0; i < BATCH; i++) batch.push(outcome());
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < BATCH; i++) metrics.record(batch[i]);
      const t1 = process.hrtime.bigint();
      metrics.monitoring?.tick();
      const t2 = process.hrtime.bigint();
      hot += t1 - t0;
      bg += t2 - t1;
    }
  } finally {
    metrics.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
  return { hotNs: Number(hot) / REQUESTS, bgNs: Number(bg) / REQUESTS };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

run(true); // warm up the JIT and SQLite
run(false);
const on: Timing[] = [];
const off: Timing[] = [];
for (let r = 0; r < ROUNDS; r++) {
  on.push(run(true));
  off.push(run(false));
}
const onHot = median(on.map((t) => t.hotNs));
const onBg = median(on.map((t) => t.bgNs));
const offHot = median(off.map((t) => t.hotNs));
process.stdout.write([
  `monitoring per request (${REQUESTS} requests, tick every ${BATCH}, ${TIME_IDS ? 'time-first' : 'random'} generation ids, median of ${ROUNDS} rounds)`,
  `  off: hot path ${offHot.toFixed(0)} ns`,
  `  on:  hot path ${onHot.toFixed(0)} ns, background ${onBg.toFixed(0)} ns (drain + series + Prometheus + SQLite), total ${(onHot + onBg).toFixed(0)} ns`,
  `  added per request: ${((onHot + onBg - offHot) / 1000).toFixed(2)} µs of CPU, of which ${((onHot - offHot) / 1000).toFixed(3)} µs on the request path`,
  '',
].join('\n'));
