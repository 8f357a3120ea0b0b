/**
 * MCP gateway benchmark (issue 7 targets), run with `node --import tsx bench/e2e/mcp-gateway.ts`:
 *  1. `tools/call` through the gateway vs the same Streamable HTTP upstream called directly, same
 *     SDK client, sequential calls: prints p50 of each, the added p50 (target ≤ 1 ms) and the ratio.
 *  2. `tools/list` over 10 STDIO upstreams × 50 tools, served from the gateway's caches: raw HTTP
 *     POSTs (no client-side schema parsing), p50 (target ≤ 2 ms) and its ratio to the target.
 * The upstreams and the gateway each run in their own process; env: BENCH_MCP_CALLS (default 500).
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

const here = path.dirname(fileURLToPath(import.meta.url));
const TOOLS_SERVER = path.join(here, 'mcp-tools-server.mjs');
const BIN = path.resolve(here, '../../bin/localrouter');
const CALLS = Number(process.env.BENCH_MCP_CALLS ?? 500);
const children: ChildProcess[] = [];

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

function p50(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timeCalls(client: Client, name: string): Promise<number[]> {
  for (let i = 0; i < 50; i++) await client.callTool({ name, arguments: { text: 'warm' } });
  const out: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    await client.callTool({ name, arguments: { text: `call ${i}` } });
    out.push(performance.now() - t0);
  }
  return out;
}

async function main(): Promise<void> {
  const upstream = spawn(process.execPath, [TOOLS_SERVER, '5', 'http', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(upstream);
  const upstreamUrl = `http://127.0.0.1:${(await waitFor(upstream, 'stderr', /listening (\d+)/))[1]}/mcp`;

  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-mcp-'));
  const key = generateClientKey();
  const servers = [{ name: 'direct', transport: 'streamable-http', url: upstreamUrl, connect: 'start' }];
  for (let i = 0; i < 10; i++) servers.push({ name: `s${i}`, transport: 'stdio', command: process.execPath, args: [TOOLS_SERVER, '50'], connect: 'start' } as never);
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify({
    monitoring: { enabled: false }, mcp_servers: servers, strategies: [{ name: 'one', mcp: { servers: ['direct'] } }, { name: 'ten', mcp: { servers: ['s*'] } }],
    clients: [
      { id: 'c_benchclient1', name: 'one', strategy: 'one', key_hash: key.hash, key_prefix: key.prefix, created_at: new Date().toISOString() },
      { id: 'c_benchclient2', name: 'ten', strategy: 'ten', key_hash: keyTen.hash, key_prefix: keyTen.prefix, created_at: new Date().toISOString() },
    ],
  }));
  const gw = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LOCALROUTER_LOG_LEVEL: 'silent', LOCALROUTER_SECRETS_BACKEND: 'file' } });
  children.push(gw);
  const gwOrigin = (await waitFor(gw, 'stdout', /listening on (http:\/\/\S+)/))[1]!;

  // 1. tools/call, direct vs through the gateway.
  const direct = new Client({ name: 'bench', version: '1' });
  await direct.connect(new StreamableHTTPClientTransport(new URL(upstreamUrl)));
  const viaGw = new Client({ name: 'bench', version: '1' });
  await viaGw.connect(new StreamableHTTPClientTransport(new URL(`${gwOrigin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key.key}` } } }));
  const d = await timeCalls(direct, 'tool_1');
  const g = await timeCalls(viaGw, 'direct__tool_1');
  const added = p50(g) - p50(d);
  const call = { direct_p50_ms: +p50(d).toFixed(3), gateway_p50_ms: +p50(g).toFixed(3), added_p50_ms: +added.toFixed(3), ratio: +(p50(g) / p50(d)).toFixed(3), target_added_ms: 1, pass: added <= 1 };
  await direct.close();
  await viaGw.close();

  // 2. tools/list over 10 × 50 tools, from cache.
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${keyTen.key}` };
  const init = await fetch(`${gwOrigin}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }) });
  const sid = init.headers.get('mcp-session-id')!;
  await init.text();
  const listHeaders = { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
  const lists: number[] = [];
  let tools = 0;
  for (let i = 0; i < 220; i++) {
    const t0 = performance.now();
    const res = await fetch(`${gwOrigin}/mcp`, { method: 'POST', headers: listHeaders, body: JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'tools/list', params: {} }) });
    const text = await res.text();
    if (i >= 20) lists.push(performance.now() - t0);
    if (i === 0) tools = (text.match(/"name":"s\d__tool_/g) ?? []).length;
  }
  const list = { tools, p50_ms: +p50(lists).toFixed(3), target_ms: 2, ratio_to_target: +(p50(lists) / 2).toFixed(3), pass: p50(lists) <= 2 };

  const report = { calls: CALLS, tools_call: call, tools_list_cached: list };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  const out = path.join(here, '../results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'mcp-gateway.json'), JSON.stringify({ at: new Date().toISOString(), ...report }, null, 2));
  fs.rmSync(home, { recursive: true, force: true });
}

const keyTen = generateClientKey();
main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
}).finally(() => {
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(), 500).unref();
});
