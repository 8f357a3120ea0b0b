/**
 * MCP gateway benchmark, run with `node --import tsx bench/e2e/mcp-gateway.ts`.
 *
 *  1. `tools/call`: the same Streamable HTTP upstream called directly and through the gateway, in
 *     interleaved rounds (each target takes a block of calls in turn, the order flipping every
 *     round) so drift on a shared machine hits every target alike. Twice: with the SDK's own client,
 *     and with a bare client (one keep-alive connection, no schema parsing) whose small cost makes
 *     the gateway's share stand out. Prints each p50, the added p50 over direct (target ≤ 1 ms) and
 *     the ratio gateway / direct.
 *  2. `tools/list` over 10 STDIO upstreams × 50 tools, served from the gateway's caches (bare
 *     client), interleaved with `ping` through the same gateway (the /mcp round-trip floor). Prints
 *     p50 (target ≤ 2 ms), its ratio to the target and its ratio to ping.
 *  3. `load`: BENCH_MCP_LOAD_C bare clients (default 16, each its own connection and session) call
 *     tools for BENCH_MCP_LOAD_S seconds (default 4) at once: direct to the Streamable HTTP
 *     upstream, through the gateway to it, and through the gateway to the ten STDIO upstreams
 *     (calls spread over them; BENCH_MCP_LOAD_UPSTREAMS picks http, stdio or both). Prints calls per
 *     second, the ratio to direct, and the gateway process's CPU per call (its own threads only:
 *     STDIO upstreams are child processes).
 *
 * The upstreams and the gateway each run in their own process. Env: BENCH_MCP_CALLS (samples per
 * target, default 500), BENCH_MCP_ROUNDS (default 10), BENCH_MCP_PHASES (subset of sdk,bare,list),
 * BENCH_MCP_PROFILE=<dir> (runs the gateway with `--cpu-prof`: one profile per thread, in <dir>),
 * BENCH_MCP_COMPARE_BIN=<other checkout>/bin/localrouter (runs that build too, as target
 * `gateway_compare`, in the same rounds: a before/after under the same conditions).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { benchConfig, startGateway, startToolsServer, stopAll, type BenchConfig, type Gateway } from './mcp-bench-setup.js';
import { RawMcp } from './mcp-raw-client.js';
import { processCpuMicros } from './processes.js';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 500);
const ROUNDS = Number(process.env.BENCH_MCP_ROUNDS ?? 10);
const PROFILE_DIR = process.env.BENCH_MCP_PROFILE;
const COMPARE_BIN = process.env.BENCH_MCP_COMPARE_BIN;
const PHASES = new Set((process.env.BENCH_MCP_PHASES ?? 'sdk,bare,list,load').split(','));
const LOAD_C = Number(process.env.BENCH_MCP_LOAD_C ?? 16);
const LOAD_S = Number(process.env.BENCH_MCP_LOAD_S ?? 4);
const LOAD_UPSTREAMS = new Set((process.env.BENCH_MCP_LOAD_UPSTREAMS ?? 'http,stdio').split(','));
const WARMUP = 100;

type Op = () => Promise<unknown>;
interface Summary { p50_ms: number; p90_ms: number; p99_ms: number }

function summary(xs: number[]): Summary {
  const s = Float64Array.from(xs).sort();
  const r = (p: number): number => +percentile(s, p).toFixed(3);
  return { p50_ms: r(50), p90_ms: r(90), p99_ms: r(99) };
}

/**
 * Runs each target's op `CALLS` times, in `ROUNDS` rounds; within a round the targets take turns
 * in blocks, and the order flips every round. Returns the samples per target.
 */
async function interleaved(targets: Record<string, Op>): Promise<Record<string, number[]>> {
  const names = Object.keys(targets);
  const out: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < WARMUP; i++) await targets[n]!();
  const perRound = Math.max(1, Math.ceil(CALLS / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      const op = targets[n]!;
      const samples = out[n]!;
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        await op();
        samples.push(performance.now() - t0);
      }
    }
  }
  return out;
}

/** Each gateway target against `direct`: p50s, the added p50 and the ratio. */
function compare(samples: Record<string, number[]>, targetAddedMs: number): Record<string, unknown> {
  const direct = summary(samples.direct!);
  const out: Record<string, unknown> = { direct };
  for (const [name, xs] of Object.entries(samples)) {
    if (name === 'direct') continue;
    const s = summary(xs);
    const added = +(s.p50_ms - direct.p50_ms).toFixed(3);
    out[name] = { ...s, added_p50_ms: added, ratio_p50: +(s.p50_ms / direct.p50_ms).toFixed(3), target_added_ms: targetAddedMs, pass: added <= targetAddedMs };
  }
  return out;
}

/**
 * `LOAD_C` clients each calling in a loop for `LOAD_S` seconds (after a second unmeasured); returns
 * calls per second and, when `pid` is given, that process's CPU per call.
 */
async function saturate(url: string, headers: Record<string, string>, tool: (i: number) => string, pid?: number): Promise<{ calls_per_s: number; cpu_us_per_call: number | null }> {
  const clients = Array.from({ length: LOAD_C }, () => new RawMcp(url, headers));
  await Promise.all(clients.map((c) => c.initialize()));
  let calls = 0;
  let measuring = false;
  let stop = false;
  const loops = clients.map(async (c, k) => {
    for (let i = k; !stop; i += LOAD_C) {
      await c.request('tools/call', { name: tool(i), arguments: { text: `call ${i}` } });
      if (measuring) calls++;
    }
  });
  await new Promise((r) => setTimeout(r, 1_000));
  const cpu0 = pid === undefined ? 0 : processCpuMicros(pid);
  const t0 = performance.now();
  measuring = true;
  await new Promise((r) => setTimeout(r, LOAD_S * 1_000));
  measuring = false;
  const seconds = (performance.now() - t0) / 1_000;
  const cpu = pid === undefined ? null : processCpuMicros(pid) - cpu0;
  stop = true;
  await Promise.all(loops);
  await Promise.all(clients.map((c) => c.close()));
  return { calls_per_s: Math.round(calls / seconds), cpu_us_per_call: cpu === null ? null : +(cpu / calls).toFixed(1) };
}

async function loadPhase(upstreamUrl: string, gateways: Gateway[], cfg: BenchConfig): Promise<Record<string, unknown>> {
  const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
  const direct = await saturate(upstreamUrl, {}, () => 'tool_1');
  const out: Record<string, unknown> = { concurrency: LOAD_C, seconds: LOAD_S, direct_http: direct };
  for (const g of gateways) {
    const row: Record<string, unknown> = {};
    if (LOAD_UPSTREAMS.has('http')) {
      const http = await saturate(g.mcpUrl, auth(cfg.keyOne), () => 'direct__tool_1', g.proc.pid);
      row.http = { ...http, ratio_to_direct: +(http.calls_per_s / direct.calls_per_s).toFixed(3) };
    }
    if (LOAD_UPSTREAMS.has('stdio')) row.stdio = await saturate(g.mcpUrl, auth(cfg.keyTen), (i) => `s${i % 10}__tool_${i % 50}`, g.proc.pid);
    out[g.name] = row;
  }
  return out;
}

async function main(): Promise<void> {
  const load0 = os.loadavg()[0]!;
  const upstreamUrl = await startToolsServer(5);
  const cfg = benchConfig(upstreamUrl);
  const gateways: Gateway[] = [await startGateway('gateway', cfg, { profileDir: PROFILE_DIR })];
  if (COMPARE_BIN !== undefined) gateways.push(await startGateway('gateway_compare', cfg, { bin: COMPARE_BIN }));
  const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
  const report: Record<string, unknown> = {
    conditions: {
      cpus: os.cpus().length, loadavg_start: +load0.toFixed(2), loadavg_end: 0, samples: CALLS, rounds: ROUNDS,
      profiled: PROFILE_DIR !== undefined, compare_bin: COMPARE_BIN ?? null,
    },
  };
  let n = 0;
  if (PHASES.has('sdk')) {
    const clients: Record<string, Client> = {};
    const ops: Record<string, Op> = {};
    clients.direct = new Client({ name: 'bench', version: '1' });
    await clients.direct.connect(new StreamableHTTPClientTransport(new URL(upstreamUrl)));
    ops.direct = () => clients.direct!.callTool({ name: 'tool_1', arguments: { text: `call ${n++}` } });
    for (const g of gateways) {
      const c = (clients[g.name] = new Client({ name: 'bench', version: '1' }));
      await c.connect(new StreamableHTTPClientTransport(new URL(g.mcpUrl), { requestInit: { headers: auth(cfg.keyOne) } }));
      ops[g.name] = () => c.callTool({ name: 'direct__tool_1', arguments: { text: `call ${n++}` } });
    }
    report.tools_call_sdk_client = compare(await interleaved(ops), 1);
    await Promise.all(Object.values(clients).map((c) => c.close()));
  }
  if (PHASES.has('bare')) {
    const clients: Record<string, RawMcp> = { direct: new RawMcp(upstreamUrl) };
    for (const g of gateways) clients[g.name] = new RawMcp(g.mcpUrl, auth(cfg.keyOne));
    const ops: Record<string, Op> = {};
    for (const [name, c] of Object.entries(clients)) {
      await c.initialize();
      const tool = name === 'direct' ? 'tool_1' : 'direct__tool_1';
      ops[name] = () => c.request('tools/call', { name: tool, arguments: { text: `call ${n++}` } });
    }
    report.tools_call_bare_client = compare(await interleaved(ops), 1);
    await Promise.all(Object.values(clients).map((c) => c.close()));
  }
  if (PHASES.has('list')) {
    const lists: Record<string, unknown> = {};
    for (const g of gateways) {
      const ten = new RawMcp(g.mcpUrl, auth(cfg.keyTen));
      await ten.initialize();
      const first = await ten.request('tools/list');
      const tools = (first.match(/"name":"s\d__tool_/g) ?? []).length;
      const got = await interleaved({ ping: () => ten.request('ping'), list: () => ten.request('tools/list') });
      const list = summary(got.list!);
      const ping = summary(got.ping!);
      await ten.close();
      lists[g.name] = {
        tools, bytes: first.length, list, ping_via_gateway: ping, p50_ms: list.p50_ms, target_ms: 2,
        ratio_to_target: +(list.p50_ms / 2).toFixed(3), ratio_to_ping: +(list.p50_ms / ping.p50_ms).toFixed(3), pass: list.p50_ms <= 2,
      };
    }
    report.tools_list_cached = gateways.length === 1 ? lists.gateway : lists;
  }
  if (PHASES.has('load')) report.tools_call_load = await loadPhase(upstreamUrl, gateways, cfg);
  (report.conditions as Record<string, unknown>).loadavg_end = +os.loadavg()[0]!.toFixed(2);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const out = path.join(here, '../results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'mcp-gateway.json'), JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2));
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
}).finally(() => {
  void stopAll().then(() => process.exit());
});
