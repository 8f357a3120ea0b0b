/**
 * MCP gateway benchmark (issue 7 targets), run with `node --import tsx bench/e2e/mcp-gateway.ts`.
 *
 *  1. `tools/call`: the same Streamable HTTP upstream called directly and through the gateway, in
 *     interleaved rounds (direct, gateway, gateway, direct, ...) so drift on a shared machine hits
 *     both alike. Twice: with the SDK's own client, and with a bare client (one keep-alive
 *     connection, no schema parsing) whose small cost makes the gateway's share stand out. Prints
 *     each p50, the added p50 (target ≤ 1 ms) and the ratio gateway / direct.
 *  2. `tools/list` over 10 STDIO upstreams × 50 tools, served from the gateway's caches (bare
 *     client), against `ping` through the same gateway in the same rounds (the /mcp floor). Prints
 *     p50 (target ≤ 2 ms), the ratio to the target and the ratio to ping.
 *
 * The upstreams and the gateway each run in their own process. Env: BENCH_MCP_CALLS (samples per
 * target, default 500), BENCH_MCP_ROUNDS (default 10), BENCH_MCP_PROFILE=<dir> (runs the gateway
 * with `--cpu-prof`, one profile per thread, into <dir>), BENCH_MCP_PHASES (subset of sdk,bare,list).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateClientKey } from '../../src/secrets/index.js';
import { RawMcp } from './mcp-raw-client.js';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TOOLS_SERVER = path.join(here, 'mcp-tools-server.mjs');
const BIN = path.resolve(here, '../../bin/localrouter');
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 500);
const ROUNDS = Number(process.env.BENCH_MCP_ROUNDS ?? 10);
const PROFILE_DIR = process.env.BENCH_MCP_PROFILE;
const PHASES = new Set((process.env.BENCH_MCP_PHASES ?? 'sdk,bare,list').split(','));
const WARMUP = 100;
const children: ChildProcess[] = [];

type Op = () => Promise<unknown>;
interface Summary { p50_ms: number; p90_ms: number; p99_ms: number }

function waitFor(proc: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}`)), 30_000);
    proc[stream]!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) { clearTimeout(timer); resolve(m); }
    });
  });
}

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

/** The added p50 of `via` over `base`, and their ratio. */
function compare(base: number[], via: number[], targetAddedMs: number): Record<string, unknown> {
  const b = summary(base);
  const g = summary(via);
  const added = +(g.p50_ms - b.p50_ms).toFixed(3);
  return { direct: b, gateway: g, added_p50_ms: added, ratio_p50: +(g.p50_ms / b.p50_ms).toFixed(3), target_added_ms: targetAddedMs, pass: added <= targetAddedMs };
}

async function main(): Promise<void> {
  const load0 = os.loadavg()[0]!;
  const upstream = spawn(process.execPath, [TOOLS_SERVER, '5', 'http', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(upstream);
  const upstreamUrl = `http://127.0.0.1:${(await waitFor(upstream, 'stderr', /listening (\d+)/))[1]}/mcp`;

  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-mcp-'));
  const keyOne = generateClientKey();
  const keyTen = generateClientKey();
  const servers: Record<string, unknown>[] = [{ name: 'direct', transport: 'streamable-http', url: upstreamUrl, connect: 'start' }];
  for (let i = 0; i < 10; i++) servers.push({ name: `s${i}`, transport: 'stdio', command: process.execPath, args: [TOOLS_SERVER, '50'], connect: 'start' });
  const created_at = new Date().toISOString();
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify({
    monitoring: { enabled: false }, mcp_servers: servers, strategies: [{ name: 'one', mcp: { servers: ['direct'] } }, { name: 'ten', mcp: { servers: ['s*'] } }],
    clients: [
      { id: 'c_benchclient1', name: 'one', strategy: 'one', key_hash: keyOne.hash, key_prefix: keyOne.prefix, created_at },
      { id: 'c_benchclient2', name: 'ten', strategy: 'ten', key_hash: keyTen.hash, key_prefix: keyTen.prefix, created_at },
    ],
  }));
  const nodeArgs = PROFILE_DIR === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(PROFILE_DIR)];
  const gw = spawn(process.execPath, [...nodeArgs, BIN, '--home', home, 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LOCALROUTER_LOG_LEVEL: 'silent', LOCALROUTER_SECRETS_BACKEND: 'file' },
  });
  children.push(gw);
  const gwMcp = `${(await waitFor(gw, 'stdout', /listening on (http:\/\/\S+)/))[1]!}/mcp`;
  const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

  const report: Record<string, unknown> = {
    conditions: { cpus: os.cpus().length, loadavg_start: +load0.toFixed(2), loadavg_end: 0, samples: CALLS, rounds: ROUNDS, profiled: PROFILE_DIR !== undefined },
  };
  let n = 0;
  if (PHASES.has('sdk')) {
    // 1a. tools/call with the SDK client.
    const direct = new Client({ name: 'bench', version: '1' });
    await direct.connect(new StreamableHTTPClientTransport(new URL(upstreamUrl)));
    const viaGw = new Client({ name: 'bench', version: '1' });
    await viaGw.connect(new StreamableHTTPClientTransport(new URL(gwMcp), { requestInit: { headers: auth(keyOne.key) } }));
    const sdk = await interleaved({
      direct: () => direct.callTool({ name: 'tool_1', arguments: { text: `call ${n++}` } }),
      gateway: () => viaGw.callTool({ name: 'direct__tool_1', arguments: { text: `call ${n++}` } }),
    });
    await direct.close();
    await viaGw.close();
    report.tools_call_sdk_client = compare(sdk.direct!, sdk.gateway!, 1);
  }
  if (PHASES.has('bare')) {
    // 1b. tools/call with the bare client.
    const direct = new RawMcp(upstreamUrl);
    const viaGw = new RawMcp(gwMcp, auth(keyOne.key));
    await direct.initialize();
    await viaGw.initialize();
    const raw = await interleaved({
      direct: () => direct.request('tools/call', { name: 'tool_1', arguments: { text: `call ${n++}` } }),
      gateway: () => viaGw.request('tools/call', { name: 'direct__tool_1', arguments: { text: `call ${n++}` } }),
    });
    await Promise.all([direct.close(), viaGw.close()]);
    report.tools_call_bare_client = compare(raw.direct!, raw.gateway!, 1);
  }
  if (PHASES.has('list')) {
    // 2. tools/list over 10 × 50 tools from cache, and ping through the same gateway.
    const ten = new RawMcp(gwMcp, auth(keyTen.key));
    await ten.initialize();
    const first = await ten.request('tools/list');
    const tools = (first.match(/"name":"s\d__tool_/g) ?? []).length;
    const lists = await interleaved({ ping: () => ten.request('ping'), list: () => ten.request('tools/list') });
    const list = summary(lists.list!);
    const ping = summary(lists.ping!);
    await ten.close();
    report.tools_list_cached = {
      tools, bytes: first.length, list, ping_via_gateway: ping, p50_ms: list.p50_ms, target_ms: 2,
      ratio_to_target: +(list.p50_ms / 2).toFixed(3), ratio_to_ping: +(list.p50_ms / ping.p50_ms).toFixed(3), pass: list.p50_ms <= 2,
    };
  }
  (report.conditions as Record<string, unknown>).loadavg_end = +os.loadavg()[0]!.toFixed(2);
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const out = path.join(here, '../results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'mcp-gateway.json'), JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2));
  await stopGateway(gw);
  fs.rmSync(home, { recursive: true, force: true });
}

/** SIGTERM, then wait: the gateway shuts down cleanly (and writes its CPU profiles when asked to). */
function stopGateway(gw: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (gw.exitCode !== null) return resolve();
    const timer = setTimeout(resolve, 10_000);
    gw.once('exit', () => { clearTimeout(timer); resolve(); });
    gw.kill('SIGTERM');
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
}).finally(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  setTimeout(() => process.exit(), 500).unref();
});
