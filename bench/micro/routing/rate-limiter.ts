// Micro-benchmark: what the rate limiter costs one request (target: at most 20 µs), the
// part of P11's "limiter cost" that the e2e rig cannot resolve on 2 shared cores. Per request the
// ingress calls `admit` (check, charge the request and the projected input tokens, read the
// states for the x-ratelimit headers) and, when the answer ends, `charge` (the real tokens). Timed
// with the two limits the bench client gets (requests and total tokens per minute), and against a
// baseline run in the same process: the Map read and write any per-client state costs.
//
//   npx tsx bench/micro/routing/rate-limiter.ts            (env: REQUESTS, CLIENTS, ROUNDS)

import type { LimitConfig } from '../../../src/config/index.js';
import { RateLimiter } from '../../../src/routing/index.js';

const REQUESTS = Number(process.env.REQUESTS ?? 300_000);
const CLIENTS = Number(process.env.CLIENTS ?? 64);
const ROUNDS = Number(process.env.ROUNDS ?? 7);

const LIMITS: LimitConfig[] = [
  { kind: 'requests', window: 'minute', max: 1e9 },
  { kind: 'total_tokens', window: 'minute', max: 1e12 },
];
const keys = Array.from({ length: CLIENTS }, (_, i) => `c_bench${String(i).padStart(8, '0')}`);
let sink = 0;

function runLimiter(limiter: RateLimiter): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const key = keys[i % CLIENTS];
    const a = limiter.admit(key, LIMITS, { requests: 1, input_tokens: 70, total_tokens: 70 });
    if (!a.ok) throw new Error('a never-reached limit refused a request');
    sink += a.states.length;
    limiter.charge(key, LIMITS, { output_tokens: 148, total_tokens: 148 });
  }
  return Number(process.hrtime.bigint() - t0) / REQUESTS;
}

function runBaseline(state: Map<string, number>): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) {
    const key = keys[i % CLIENTS];
    state.set(key, (state.get(key) ?? 0) + 1);
    sink += 2;
  }
  return Number(process.hrtime.bigint() - t0) / REQUESTS;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const limiter = new RateLimiter();
const state = new Map<string, number>();
runLimiter(limiter); // warm-up: both paths reach optimized code before timing
runBaseline(state);

const lim: number[] = [];
const base: number[] = [];
for (let r = 0; r < ROUNDS; r++) { // interleaved, so drift (turbo, other load) hits both alike
  lim.push(runLimiter(limiter));
  base.push(runBaseline(state));
}

const l = median(lim);
const b = median(base);
console.log(`rate limiter, ${LIMITS.length} limits, ${CLIENTS} clients, ${REQUESTS} requests × ${ROUNDS} rounds (median)`);
console.log(`  admit + charge per request: ${l.toFixed(0)} ns`);
console.log(`  baseline (Map get + set):   ${b.toFixed(0)} ns`);
console.log(`  limiter − baseline:         ${((l - b) / 1000).toFixed(3)} µs per request (target ≤ 20 µs)`);
if (sink === -1) console.log(sink);
