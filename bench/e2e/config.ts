import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The things load is sent to, in the order they are interleaved: the gateway in each `server.execution` mode. */
export const TARGETS = ['direct', 'null', 'gateway-auto', 'gateway-workers', 'gateway-inline'] as const;
export type TargetName = (typeof TARGETS)[number];
export type GatewayTarget = 'gateway-auto' | 'gateway-workers' | 'gateway-inline';

/** The `server.execution` a gateway target runs with. */
export function executionOf(name: GatewayTarget): 'auto' | 'workers' | 'inline' {
  return name === 'gateway-auto' ? 'auto' : name === 'gateway-workers' ? 'workers' : 'inline';
}

export function isGateway(name: TargetName): name is GatewayTarget {
  return name === 'gateway-auto' || name === 'gateway-workers' || name === 'gateway-inline';
}

export const SCENARIOS = ['P1', 'P3', 'P4', 'P5', 'P6', 'P15', 'P9', 'M1', 'anthropic', 'P10', 'P11', 'P12', 'P8', 'P13'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
/** Opt-in: they start many processes or hold thousands of sockets for minutes. */
const OPT_IN: readonly ScenarioName[] = ['P8', 'P13'];
/** What runs when BENCH_SCENARIOS is unset; the rest are opt-in (see bench/README.md). */
export const DEFAULT_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => !OPT_IN.includes(s));

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
  /** M1: size cap (MB) of the twin whose request log starts full; 0 leaves that twin out. */
  m1FullStoreMb: number;
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
  /** P13 default-config start: seconds after the first `/health` 200 before RSS is read. */
  idleRssS: number;
  /** P15: request body sizes in KB, c=1 requests per size, kind, target and round, and the concurrent run's c. */
  p15SizesKB: number[];
  p15Requests: number;
  p15C: number;
  /** P15: requests per concurrent run (all counted, so CPU per request has no partial requests in it). */
  p15CRequests: number;
  /** P8: streams open at once, the mock's gap between deltas, deltas per stream, seconds over which the streams are opened. */
  p8Streams: number;
  p8DeltaMs: number;
  p8Deltas: number;
  p8RampS: number;
  /** Why `p8Streams` defaults below 10,000 on this machine (file descriptors), or null. */
  p8Capped: string | null;
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

/** The soft limit of open files of this process (children inherit it), from /proc/self/limits. */
export function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** File descriptors a target keeps besides its stream sockets (SQLite, epoll, pipes, threads' handles). */
const FD_RESERVE = 400;

/**
 * P8 holds one client socket and one upstream socket per stream in the target process, so the
 * target needs two descriptors per stream: the default is 10,000, or what the open-files limit allows.
 */
function p8Default(): { streams: number; capped: string | null } {
  const limit = openFilesLimit();
  if (limit === null) return { streams: 10_000, capped: null };
  const fit = Math.floor((limit - FD_RESERVE) / 2 / 100) * 100;
  if (fit >= 10_000) return { streams: 10_000, capped: null };
  return {
    streams: Math.max(100, fit),
    capped: `open-files limit ${limit}: a proxy holds 2 sockets per stream (client + upstream) plus ~${FD_RESERVE} other descriptors, so at most ${fit} streams fit; raise \`ulimit -n\` for 10,000`,
  };
}

/** Reads the run's settings from env; BENCH_QUICK=1 shrinks every default to a ~1 minute smoke run. */
export function loadConfig(): BenchConfig {
  const quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  const repoRoot = path.resolve(here, '..', '..');
  const p8 = p8Default();
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
    m1FullStoreMb: Math.max(0, Math.round(num('BENCH_M1_FULL_MB', quick ? 32 : 256))),
    anthropicRequests: Math.round(num('BENCH_ANTHROPIC_REQUESTS', quick ? 200 : 400)),
    anthropicStreams: Math.round(num('BENCH_ANTHROPIC_STREAMS', quick ? 60 : 120)),
    p10Requests: Math.round(num('BENCH_P10_REQUESTS', quick ? 100 : 300)),
    p11Limit: Math.max(1, Math.round(num('BENCH_P11_LIMIT', 100))),
    p11BurstC: Math.max(1, Math.round(num('BENCH_P11_BURST_C', 64))),
    p11Requests: Math.round(num('BENCH_P11_REQUESTS', quick ? 200 : 500)),
    p11SatS: num('BENCH_P11_SAT_S', quick ? 0.4 : 0.75),
    p12Requests: Math.max(1, Math.round(num('BENCH_P12_REQUESTS', quick ? 20 : 100))),
    p13Starts: Math.max(1, Math.round(num('BENCH_P13_STARTS', quick ? 2 : 5))),
    idleRssS: num('BENCH_IDLE_RSS_S', quick ? 1 : 2),
    p15SizesKB: numList('BENCH_P15_SIZES_KB', [20, 200, 1024]),
    p15Requests: Math.max(1, Math.round(num('BENCH_P15_REQUESTS', quick ? 40 : 100))),
    p15C: Math.max(1, Math.round(num('BENCH_P15_C', 16))),
    p15CRequests: Math.max(1, Math.round(num('BENCH_P15_C_REQUESTS', quick ? 32 : 64))),
    p8Streams: Math.max(1, Math.round(num('BENCH_P8_STREAMS', p8.streams))),
    p8DeltaMs: num('BENCH_P8_DELTA_MS', 1000),
    p8Deltas: Math.max(1, Math.round(num('BENCH_P8_DELTAS', 30))),
    p8RampS: num('BENCH_P8_RAMP_S', 10),
    p8Capped: process.env.BENCH_P8_STREAMS ? null : p8.capped,
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
