/**
 * Processes of the MCP benchmark (mcp-gateway.ts): the tools server upstreams and the gateways,
 * each in its own process, and their teardown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { generateClientKey } from '../../src/secrets/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TOOLS_SERVER = path.join(here, 'mcp-tools-server.mjs');
const BIN = path.resolve(here, '../../bin/localrouter');
const children: ChildProcess[] = [];
const homes: string[] = [];

export interface Gateway {
  name: string;
  mcpUrl: string;
  proc: ChildProcess;
}

/** The gateway config of the benchmark and the raw keys of its two clients. */
export interface BenchConfig {
  yaml: string;
  /** Client `one`: sees the Streamable HTTP upstream `direct` only. */
  keyOne: string;
  /** Client `ten`: sees the ten STDIO upstreams `s0`..`s9` (50 tools each). */
  keyTen: string;
}

function waitFor(proc: ChildProcess, stream: 'stdout' | 'stderr', re: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}`)), 60_000);
    proc[stream]!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) { clearTimeout(timer); resolve(m); }
    });
  });
}

/** Starts a Streamable HTTP tools server with `tools` tools; returns its /mcp URL. */
export async function startToolsServer(tools: number): Promise<string> {
  const proc = spawn(process.execPath, [TOOLS_SERVER, String(tools), 'http', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(proc);
  return `http://127.0.0.1:${(await waitFor(proc, 'stderr', /listening (\d+)/))[1]}/mcp`;
}

export function benchConfig(upstreamUrl: string): BenchConfig {
  const one = generateClientKey();
  const ten = generateClientKey();
  const servers: Record<string, unknown>[] = [{ name: 'direct', transport: 'streamable-http', url: upstreamUrl, connect: 'start' }];
  for (let i = 0; i < 10; i++) servers.push({ name: `s${i}`, transport: 'stdio', command: process.execPath, args: [TOOLS_SERVER, '50'], connect: 'start' });
  const created_at = new Date().toISOString();
  const yaml = stringify({
    monitoring: { enabled: false }, mcp_servers: servers, strategies: [{ name: 'one', mcp: { servers: ['direct'] } }, { name: 'ten', mcp: { servers: ['s*'] } }],
    clients: [
      { id: 'c_benchclient1', name: 'one', strategy: 'one', key_hash: one.hash, key_prefix: one.prefix, created_at },
      { id: 'c_benchclient2', name: 'ten', strategy: 'ten', key_hash: ten.hash, key_prefix: ten.prefix, created_at },
    ],
  });
  return { yaml, keyOne: one.key, keyTen: ten.key };
}

/** Starts a gateway (this checkout's, or the `bin` of another) on a free port with a fresh home. */
export async function startGateway(name: string, cfg: BenchConfig, opts: { bin?: string; profileDir?: string }): Promise<Gateway> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bench-mcp-'));
  homes.push(home);
  fs.writeFileSync(path.join(home, 'config.yaml'), cfg.yaml);
  const nodeArgs = opts.profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', path.resolve(opts.profileDir)];
  const proc = spawn(process.execPath, [...nodeArgs, opts.bin ?? BIN, '--home', home, 'serve', '--port', '0'], {
    stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LOCALROUTER_LOG_LEVEL: 'silent', LOCALROUTER_SECRETS_BACKEND: 'file' },
  });
  children.push(proc);
  const origin = (await waitFor(proc, 'stdout', /listening on (http:\/\/\S+)/))[1]!;
  return { name, mcpUrl: `${origin}/mcp`, proc };
}

/** SIGTERM to every process, waiting for each (a gateway shuts down cleanly and writes its CPU profiles). */
export async function stopAll(): Promise<void> {
  await Promise.all(children.map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const timer = setTimeout(resolve, 10_000);
    c.once('exit', () => { clearTimeout(timer); resolve(); });
    c.kill('SIGTERM');
  })));
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
}
