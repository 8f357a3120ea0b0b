import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The four things load is sent to, in the order they are interleaved. */
export const TARGETS = ['direct', 'null', 'gateway-workers', 'gateway-inline'] as const;
export type TargetName = (typeof TARGETS)[number];

export const SCENARIOS = ['P1', 'P3', 'P4', 'P5', 'P6', 'P9', 'M1', 'anthropic', 'P10', 'P11', 'P12', 'P13'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** What runs when BENCH_SCENARIOS is unset; the rest are opt-in (see bench/README.md). */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => s !== 'P13');

/** Every knob of a run; all come from env so a run can be reproduced from its JSON header. */
export interface BenchConfig {
  quick: boolean;
  rounds: number;
  /** Seconds per measured autocannon run (P3, P5, P6 CPU). */
  durationS: number;
  /** Seconds per step of the P4 concurrency search. */
  stepS: number;
  /** Seconds of unmeasured load before each autocannon run. */
  warmupS: number;
  /** P1: sequential requests per target per round (after `seqWarmup`). */
  seqRequests: number;
  /** P6: sequential streams per target per round. */
  seqStreams: number;
  seqWarmup: number;
  /** P3 concurrencies (20 ms mock). */
  p3Concurrency: number[];
  /** P5 concurrency (saturation, 0 ms mock). */
  saturationC: number;
  /** P6 CPU: concurrency of the streaming load. */
  streamC: number;
  /** P4: p99 ceiling in ms and the largest concurrency tried. */
  p4MaxP99Ms: number;
  p4MaxC: number;
  /** P9: streams held open at once, and the mock's gap between deltas. */
  p9Streams: number;
  p9DeltaMs: number;
  /** P3's mock delay before the first byte. */
  slowTtfbMs: number;
  deltas: number;
  targets: TargetName[];
  scenarios: ScenarioName[];
  /** Give the gateway's bench client never-reached rate limits, so the limiter is on the hot path. */
  gatewayLimits: boolean;
  /** Anthropic-upstream scenario: sequential requests and streams per route, target and round. */
  anthropicRequests: number;
  anthropicStreams: number;
  /** P10: sequential requests per case (plain, after 500, after refused, direct failing call) and round. */
  p10Requests: number;
  /** P11: the requests-per-minute limit N (the burst is 3N), the burst's concurrency, and the limiter-cost run's requests. */
  p11Limit: number;
  p11BurstC: number;
  p11Requests: number;
  /** P11: seconds per saturation run (CPU per request with and without limits). */
  p11SatS: number;
  /** P12: requests per route (OpenAI pass-through, Anthropic) and kind (plain, streamed). */
  p12Requests: number;
  /** P13: cold starts per target. */
  p13Starts: number;
  resultsDir: string;
  repoRoot: string;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return n;
}

function list<T extends string>(name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const items = raw.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new Error(`${name}: unknown "${item}" (allowed: ${allowed.join(', ')})`);
  }
  // Keep the canonical order so interleaving and table columns never depend on how env was typed.
  return allowed.filter((a) => items.includes(a));
}

function numList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  return raw.split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: "${s}" is not a positive integer`);
    return n;
  });
}

/** Reads the run's settings from env; BENCH_QUICK=1 shrinks every default to a ~1 minute smoke run. */
export function loadConfig(): BenchConfig {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  const repoRoot = path.resolve(here, '..', '..');
  return {
    quick,
    rounds: Math.max(1, Math.round(num('BENCH_ROUNDS', quick ? 1 : 5))),
    durationS: num('BENCH_DURATION_S', quick ? 0.5 : 1.5),
    stepS: num('BENCH_STEP_S', quick ? 0.4 : 1),
    warmupS: num('BENCH_WARMUP_S', quick ? 0.1 : 0.3),
    seqRequests: Math.round(num('BENCH_SEQ_REQUESTS', quick ? 300 : 1500)),
    seqStreams: Math.round(num('BENCH_SEQ_STREAMS', quick ? 100 : 300)),
    seqWarmup: Math.round(num('BENCH_SEQ_WARMUP', quick ? 50 : 200)),
    p3Concurrency: numList('BENCH_P3_C', [16, 64, 256]),
    saturationC: Math.round(num('BENCH_SAT_C', 64)),
    streamC: Math.round(num('BENCH_STREAM_C', 16)),
    p4MaxP99Ms: num('BENCH_P4_P99_MS', 10),
    p4MaxC: Math.round(num('BENCH_P4_MAX_C', 256)),
    p9Streams: Math.round(num('BENCH_STREAMS', 1000)),
    p9DeltaMs: num('BENCH_P9_DELTA_MS', 50),
    slowTtfbMs: num('BENCH_SLOW_TTFB_MS', 20),
    deltas: Math.round(num('BENCH_DELTAS', 64)),
    targets: list('BENCH_TARGETS', TARGETS, TARGETS),
    scenarios: list('BENCH_SCENARIOS', SCENARIOS, DEFAULT_SCENARIOS),
    gatewayLimits: process.env.BENCH_GATEWAY_LIMITS !== '0',
    anthropicRequests: Math.round(num('BENCH_ANTHROPIC_REQUESTS', quick ? 200 : 400)),
    anthropicStreams: Math.round(num('BENCH_ANTHROPIC_STREAMS', quick ? 60 : 120)),
    p10Requests: Math.round(num('BENCH_P10_REQUESTS', quick ? 100 : 300)),
    p11Limit: Math.max(1, Math.round(num('BENCH_P11_LIMIT', 100))),
    p11BurstC: Math.max(1, Math.round(num('BENCH_P11_BURST_C', 64))),
    p11Requests: Math.round(num('BENCH_P11_REQUESTS', quick ? 200 : 500)),
    p11SatS: num('BENCH_P11_SAT_S', quick ? 0.4 : 0.75),
    p12Requests: Math.max(1, Math.round(num('BENCH_P12_REQUESTS', quick ? 20 : 100))),
    p13Starts: Math.max(1, Math.round(num('BENCH_P13_STARTS', quick ? 2 : 5))),
    resultsDir: process.env.BENCH_RESULTS_DIR ?? path.join(repoRoot, 'bench', 'results'),
    repoRoot,
  };
}

/** Facts about the machine that every report starts with. */
export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    // Other processes competing for these cores make every figure noisier; the report says so.
    loadAvg1m: Math.round(os.loadavg()[0] * 100) / 100,
    date: new Date().toISOString(),
  };
}
