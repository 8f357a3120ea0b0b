/**
 * Garbage-collector work of keeping calls in flight in a `Set` versus a `LiveSet` (src/model): the
 * provider engine calls the mock upstream with CALLS in flight for DUR_MS, and the harness also
 * tracks each call's controller in one of the two (added at the call, deleted at its end), as the
 * gateway does with its open requests. Each variant runs in its own process, alternated ROUNDS
 * times. Prints per 1,000 calls: young-generation collection time, full collections, CPU time.
 * `npx tsx bench/micro/providers/inflight-gc.ts` (CALLS, DUR_MS, ROUNDS, WORK_US to change).
 */
import { spawn } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { LiveSet } from '../../../src/model/index.js';
import type { CallHandler, CallRequest, ProviderRuntime } from '../../../src/model/index.js';
import { loadProviderEngine } from '../../../src/providers/index.js';
import { ChildSet } from '../../e2e/processes.js';

const CALLS = Number(process.env.CALLS ?? 8);
const DUR_MS = Number(process.env.DUR_MS ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
/** CPU time each finished call costs the harness (stands in for the ingress's work per request). */
const WORK_US = Number(process.env.WORK_US ?? 60);

interface Result { calls: number; minorMs: number; minors: number; majors: number; cpuMs: number }

async function child(tracker: 'set' | 'live', port: number): Promise<Result> {
  const ProviderEngine = await loadProviderEngine();
  const runtime: ProviderRuntime = {
    name: 'mock', type: 'openai-compatible', protocol: 'openai', prices: {}, baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'x', headers: {},
    connectTimeoutMs: 10_000, maxConnections: 256, firstByteTimeoutMs: 60_000, idleTimeoutMs: 60_000, totalTimeoutMs: 600_000,
  };
  const engine = new ProviderEngine([runtime], null);
  const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in one short sentence.' }] }));
  const set = new Set<object>();
  const live = new LiveSet<object>();
  let minorMs = 0, minors = 0, majors = 0, calls = 0;
  let measuring = false;
  const obs = new PerformanceObserver((list) => {
    if (!measuring) return;
    for (const e of list.getEntries()) {
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) { minors++; minorMs += e.duration; } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  let stopAt = Date.now() + 1000 + DUR_MS;
  const one = (): void => {
    if (Date.now() > stopAt) return;
    let slot = -1;
    let controller: object | null = null;
    const done = (): void => {
      if (tracker === 'set') set.delete(controller!); else live.delete(slot, controller!);
      if (measuring) calls++;
      const until = performance.now() + WORK_US / 1000;
      while (performance.now() < until);
      setImmediate(one);
    };
    const handler: CallHandler = { onAttempt() {}, onStart() {}, onChunk() {}, onEnd: done, onResponse: done, onError: done };
    const request: CallRequest = {
      candidates: [{ provider: 'mock', model: 'gpt-4o-mini' }], op: 'chat', body: new Uint8Array(body), stream: false, clientWantsUsage: false, dialect: 'chat', meta: null,
    };
    controller = engine.call(request, handler) as object;
    if (tracker === 'set') set.add(controller); else slot = live.add(controller);
  };
  for (let i = 0; i < CALLS; i++) one();
  // One second of warm-up, then the measured window.
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const cpu0 = process.cpuUsage();
  stopAt = Date.now() + DUR_MS;
  await new Promise((r) => setTimeout(r, DUR_MS + 100));
  const cpu = process.cpuUsage(cpu0);
  measuring = false;
  obs.disconnect();
  await engine.close();
  return { calls, minorMs, minors, majors, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function run(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const children = new ChildSet();
  const repoRoot = new URL('../../../', import.meta.url).pathname;
  const { match } = await children.spawnReady({
    name: 'mock', args: ['--import', 'tsx', new URL('../../e2e/mock-upstream.ts', import.meta.url).pathname], cwd: repoRoot,
    env: { MOCK_PORT: '0', MOCK_TTFB_MS: '0' }, ready: /^mock listening on (\d+)/,
  });
  const port = Number(match);
  try {
    const rows: Record<'set' | 'live', Result[]> = { set: [], live: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const tracker of ['set', 'live'] as const) {
        const out = await run([new URL(import.meta.url).pathname], { INFLIGHT_GC_CHILD: tracker, INFLIGHT_GC_PORT: String(port) });
        rows[tracker].push(JSON.parse(out) as Result);
      }
    }
    const per1k = (r: Result, v: number): string => (v * 1000 / r.calls).toFixed(2);
    console.log(`${CALLS} calls in flight, ${DUR_MS} ms per run, ${WORK_US} µs of harness CPU per call`);
    console.log('tracker  round  calls/s  minor GC ms/1k calls  minor GCs/1k  full GCs  CPU ms/1k calls');
    for (const tracker of ['set', 'live'] as const) {
      rows[tracker].forEach((r, i) => console.log(`${tracker.padEnd(7)}  ${String(i + 1).padStart(5)}  ${String(Math.round(r.calls / DUR_MS * 1000)).padStart(7)}  ${per1k(r, r.minorMs).padStart(20)}  ${per1k(r, r.minors).padStart(12)}  ${String(r.majors).padStart(8)}  ${per1k(r, r.cpuMs).padStart(15)}`));
    }
    const median = (a: number[]): number => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
    const ratio = (f: (r: Result) => number): string => (median(rows.live.map(f)) / median(rows.set.map(f))).toFixed(2);
    console.log(`LiveSet ÷ Set (medians): minor GC time per call ${ratio((r) => r.minorMs / r.calls)}, CPU per call ${ratio((r) => r.cpuMs / r.calls)}, full GCs ${ratio((r) => r.majors)}`);
  } finally {
    await children.killAll();
  }
}

const role = process.env.INFLIGHT_GC_CHILD;
if (role === 'set' || role === 'live') {
  const result = await child(role, Number(process.env.INFLIGHT_GC_PORT));
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
} else {
  await main();
}
