// Micro-benchmark: what `localrouter mcp bridge` adds to one MCP call. The compiled gateway runs
// as a user starts it (`localrouter serve`, a temp LOCALROUTER_HOME, the file secret store,
// server-everything from node_modules as its one MCP server); two MCP SDK clients talk to it:
//   direct: the SDK client over Streamable HTTP to /mcp;
//   bridge: the SDK client over StdioClientTransport spawning `localrouter mcp bridge`;
//   floor (ping only): the SDK client over StdioClientTransport to a bare SDK server process
//   (stdio-ping-server.mjs) that answers itself: what one more Node process on a pipe costs.
// `bridge − direct − floor` is what the bridge adds beyond that pipe hop.
// Calls alternate direct, bridge, direct, bridge ... (which goes first rotates per call), one
// at a time, after a warm-up, so a busy moment of the machine falls on both alike. Prints p50/p90
// per case and path, `bridge − direct` and `bridge ÷ direct` (p50), and the bridge process's CPU
// time per call (user + system from /proc, 10 ms ticks over all calls of a case: less load-sensitive
// than the latencies). Linux only. Run `node scripts/build.mjs`
// first: `bin/localrouter` runs tsx (much slower to start, not slower per call) when src is newer.
//
//   npx tsx bench/micro/cli/mcp-bridge.ts      (env: CALLS per case and path, default 300; WARMUP, default 50; ROUNDS, default 1)

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { generateClientKey } from '../../../src/secrets/index.js';
import { closedPort } from '../../e2e/extended-gateway.js';

const CALLS = Number(process.env.CALLS ?? 300);
const WARMUP = Number(process.env.WARMUP ?? 50);
const ROUNDS = Number(process.env.ROUNDS ?? 1);
const ROOT = path.resolve(new URL('../../../', import.meta.url).pathname);
const BIN = path.join(ROOT, 'bin/localrouter');
const EVERYTHING = path.join(ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

interface Case { name: string; floor?: boolean; call(client: Client): Promise<unknown> }

const CASES: Case[] = [
  { name: 'ping', floor: true, call: (c) => c.ping() },
  { name: 'tools/list', call: (c) => c.listTools() },
  { name: 'echo', call: (c) => c.callTool({ name: 'every__echo', arguments: { message: 'hi' } }) },
  // server-everything sleeps duration/steps between its progress notifications: 3 × 1 ms.
  { name: 'long op, 3 progress', call: (c) => c.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.003, steps: 3 } }, undefined, { onprogress: () => undefined }) },
  { name: 'long op 20 ms, 5 progress', call: (c) => c.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.02, steps: 5 } }, undefined, { onprogress: () => undefined }) },
  { name: 'long op, no progress', call: (c) => c.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.003, steps: 3 } }) },
];

async function startGateway(home: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port)], {
    env: { ...process.env, LOCALROUTER_HOME: home, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200) return child;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill('SIGKILL');
  throw new Error(`the gateway did not answer /health within 30 s:\n${stderr}`);
}

function writeHome(): { home: string; key: string } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-bridge-'));
  const k = generateClientKey();
  const config = {
    monitoring: { enabled: false },
    mcp_servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    clients: [{ id: 'c_benchbridge01', name: 'bench', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  return { home, key: k.key };
}

/** Waits until the gateway lists server-everything's tools (it starts the server in the background). */
async function waitTools(client: Client): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await client.listTools()).tools.some((t) => t.name === 'every__echo')) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server-everything\'s tools never showed up behind /mcp');
}

/** User + system CPU time of a process so far, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
};

async function main(): Promise<void> {
  const { home, key } = writeHome();
  const port = await closedPort();
  const gateway = await startGateway(home, port);
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const direct = new Client({ name: 'bench-direct', version: '1' });
  const bridge = new Client({ name: 'bench-bridge', version: '1' });
  const floor = new Client({ name: 'bench-floor', version: '1' });
  try {
    await direct.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
    await waitTools(direct);
    const bridgeTransport = new StdioClientTransport({
      command: process.execPath, args: [BIN, '--home', home, 'mcp', 'bridge', '--url', url.href],
      env: { ...process.env, LOCALROUTER_API_KEY: key, LOCALROUTER_SECRETS_BACKEND: 'file' } as Record<string, string>, stderr: 'inherit',
    });
    await bridge.connect(bridgeTransport);
    const bridgePid = bridgeTransport.pid!;
    await floor.connect(new StdioClientTransport({ command: process.execPath, args: [path.join(ROOT, 'bench/micro/cli/stdio-ping-server.mjs')], cwd: ROOT, stderr: 'inherit' }));
    let floor50: number | undefined;
    const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
    process.stdout.write(`load average at start: ${load}; ${CALLS} calls per case and path, ${WARMUP} warm-up, ${ROUNDS} round(s)\n\n`);
    process.stdout.write('| case | direct p50 | direct p90 | bridge p50 | bridge p90 | floor p50 | bridge − direct (p50) | bridge − direct − floor (p50) | bridge ÷ direct (p50) | bridge CPU µs/call |\n|---|---|---|---|---|---|---|---|---|---|\n');
    for (const c of CASES) {
      const paths: [string, Client][] = [['direct', direct], ['bridge', bridge], ...(c.floor ? [['floor', floor] as [string, Client]] : [])];
      for (let i = 0; i < WARMUP; i++) for (const [, client] of paths) await c.call(client);
      const ms: Record<string, number[]> = { direct: [], bridge: [], floor: [] };
      const cpu0 = cpuMs(bridgePid);
      for (let r = 0; r < ROUNDS; r++) {
        for (let i = 0; i < CALLS; i++) {
          const order = [...paths.slice(i % paths.length), ...paths.slice(0, i % paths.length)];
          for (const [name, client] of order) {
            const t0 = performance.now();
            await c.call(client);
            ms[name]!.push(performance.now() - t0);
          }
        }
      }
      const cpuUs = ((cpuMs(bridgePid) - cpu0) * 1000) / ms.bridge!.length;
      const d50 = pct(ms.direct!, 0.5), b50 = pct(ms.bridge!, 0.5);
      if (c.floor) floor50 = pct(ms.floor!, 0.5);
      const f = (x: number | undefined): string => (x === undefined ? '' : x.toFixed(2));
      process.stdout.write(`| ${c.name} | ${f(d50)} | ${f(pct(ms.direct!, 0.9))} | ${f(b50)} | ${f(pct(ms.bridge!, 0.9))} | ${c.floor ? f(floor50) : ''} | ${f(b50 - d50)} | ${f(floor50 === undefined ? undefined : b50 - d50 - floor50)} | ${f(b50 / d50)} | ${cpuUs.toFixed(0)} |\n`);
    }
    process.stdout.write(`\nms, one call at a time; floor: the ping case's floor p50. load average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
  } finally {
    await floor.close().catch(() => undefined);
    await bridge.close().catch(() => undefined);
    await direct.close().catch(() => undefined);
    gateway.kill('SIGTERM');
    await new Promise((r) => gateway.once('exit', r));
    fs.rmSync(home, { recursive: true, force: true });
  }
}

await main();
