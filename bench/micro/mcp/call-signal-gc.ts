/**
 * Garbage-collector work of one Node `AbortController` per tool call versus one `CallSignal`
 * (src/mcp/call-signal.ts). Each call parses a JSON-RPC request, makes its cancel signal, adds an
 * abort listener as the SDK client does, waits a turn of the event loop and answers; CALLS calls
 * are in flight for DUR_MS. Each variant runs in its own process, alternated ROUNDS times. Prints
 * per 1,000 calls: young-generation collection time, full collections, CPU time, and the ratios.
 * `npx tsx bench/micro/mcp/call-signal-gc.ts` (CALLS, DUR_MS, ROUNDS to change).
 */
import { spawn } from 'node:child_process';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { CallSignal } from '../../../src/mcp/call-signal.js';

const CALLS = Number(process.env.CALLS ?? 16);
const DUR_MS = Number(process.env.DUR_MS ?? 3000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);

type Kind = 'abort-controller' | 'call-signal';
interface Result { calls: number; minorMs: number; majors: number; cpuMs: number }

async function child(kind: Kind): Promise<Result> {
  let minorMs = 0, majors = 0, calls = 0;
  let measuring = false;
  const obs = new PerformanceObserver((list) => {
    if (!measuring) return;
    for (const e of list.getEntries()) {
      const k = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (k === constants.NODE_PERFORMANCE_GC_MINOR) minorMs += e.duration; else if (k === constants.NODE_PERFORMANCE_GC_MAJOR) majors++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  let stopAt = Date.now() + 1000 + DUR_MS;
  let id = 0;
  let sink: unknown = null;
  const one = (): void => {
    if (Date.now() > stopAt) return;
    const n = id++;
    const request = JSON.parse(`{"jsonrpc":"2.0","id":${n},"method":"tools/call","params":{"name":"s1__tool_${n % 50}","arguments":{"text":"call ${n}"}}}`) as { id: number; params: { arguments: { text: string } } };
    const signal = kind === 'abort-controller' ? new AbortController().signal : new CallSignal();
    let cancelled = false;
    signal.addEventListener('abort', () => { cancelled = true; });
    setImmediate(() => {
      const answer = { jsonrpc: '2.0', id: request.id, result: { content: [{ type: 'text', text: request.params.arguments.text }], isError: cancelled } };
      sink = JSON.stringify(answer);
      if (measuring) calls++;
      setImmediate(one);
    });
  };
  for (let i = 0; i < CALLS; i++) one();
  await new Promise((r) => setTimeout(r, 1000));
  measuring = true;
  const cpu0 = process.cpuUsage();
  stopAt = Date.now() + DUR_MS;
  await new Promise((r) => setTimeout(r, DUR_MS + 50));
  const cpu = process.cpuUsage(cpu0);
  measuring = false;
  obs.disconnect();
  void sink;
  return { calls, minorMs, majors, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function run(kind: Kind): Promise<Result> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname], { env: { ...process.env, CALL_SIGNAL_GC_CHILD: kind }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as Result) : reject(new Error(`${kind} run exited ${code}`))));
  });
}

async function main(): Promise<void> {
  const rows: Record<Kind, Result[]> = { 'abort-controller': [], 'call-signal': [] };
  for (let r = 0; r < ROUNDS; r++) for (const kind of Object.keys(rows) as Kind[]) rows[kind].push(await run(kind));
  const per1k = (r: Result, v: number): string => (v * 1000 / r.calls).toFixed(2);
  console.log(`${CALLS} calls in flight, ${DUR_MS} ms per run`);
  console.log('signal            round  calls/s  minor GC ms/1k calls  full GCs  CPU ms/1k calls');
  for (const kind of Object.keys(rows) as Kind[]) {
    rows[kind].forEach((r, i) => console.log(`${kind.padEnd(16)}  ${String(i + 1).padStart(5)}  ${String(Math.round(r.calls / DUR_MS * 1000)).padStart(7)}  ${per1k(r, r.minorMs).padStart(20)}  ${String(r.majors).padStart(8)}  ${per1k(r, r.cpuMs).padStart(15)}`));
  }
  const median = (a: number[]): number => a.sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const ratio = (f: (r: Result) => number): string => (median(rows['call-signal'].map(f)) / median(rows['abort-controller'].map(f))).toFixed(2);
  console.log(`CallSignal ÷ AbortController (medians): minor GC time per call ${ratio((r) => r.minorMs / r.calls)}, CPU per call ${ratio((r) => r.cpuMs / r.calls)}, full GCs ${ratio((r) => r.majors + 0.5)} (+0.5 each side: no zero division)`);
}

const role = process.env.CALL_SIGNAL_GC_CHILD;
if (role === 'abort-controller' || role === 'call-signal') {
  process.stdout.write(JSON.stringify(await child(role)));
  process.exit(0);
} else {
  await main();
}
