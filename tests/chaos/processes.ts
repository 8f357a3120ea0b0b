/**
 * The processes of a chaos or soak run: the chaos mock and a real gateway (`node bin/localrouter
 * serve`, the launcher `npm start` uses) on a temp LOCALROUTER_HOME set up with the CLI. Every child
 * is tracked and killed by pid when the run ends; nothing else is touched.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import { CHAOS_HEARTBEAT_MS, FAULT_FIRST_BYTE_MS, FAULT_IDLE_MS } from './shared.js';

const run = promisify(execFile);
const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The repository this suite lives in (the default gateway source). */
export const REPO_ROOT = path.resolve(HERE, '..', '..');

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

interface Spawned {
  proc: ChildProcess;
  /** Every stdout/stderr line so far (capped at 50,000 lines). */
  lines: string[];
  /** Group 1 of the ready pattern. */
  match: string;
}

/** Spawns `node <args>` and resolves when a line matches `ready`; rejects on exit or after `timeoutMs`. */
function spawnReady(name: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; ready: RegExp; timeoutMs: number }): Promise<Spawned> {
  const proc = spawn(process.execPath, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      proc.kill('SIGKILL');
      reject(new Error(`${name} did not start: ${why}\n--- last output ---\n${lines.slice(-30).join('\n')}`));
    };
    const timer = setTimeout(() => fail(`no line matching ${opts.ready} within ${opts.timeoutMs} ms`), opts.timeoutMs);
    for (const stream of [proc.stdout!, proc.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (lines.length < 50_000) lines.push(line);
        const m = settled ? null : opts.ready.exec(line);
        if (m) {
          settled = true;
          clearTimeout(timer);
          resolve({ proc, lines, match: m[1] ?? '' });
        }
      });
    }
    proc.once('error', (err) => fail(err.message));
    proc.once('exit', (code, signal) => fail(`exited with ${signal ?? `code ${code}`}`));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`. */
export async function stopChild(proc: ChildProcess, graceMs = 3000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface Mock {
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the chaos mock upstream in its own process. */
export async function startMock(): Promise<Mock> {
  const s = await spawnReady('chaos mock', ['--import', 'tsx', path.join(HERE, 'mock-upstream.ts')], {
    cwd: REPO_ROOT, env: {}, ready: /chaos-mock listening on (\d+)/, timeoutMs: 30_000,
  });
  return { port: Number(s.match), proc: s.proc, stop: () => stopChild(s.proc) };
}

async function cli(repo: string, home: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const pending = run(process.execPath, [path.join(repo, 'bin', 'localrouter'), ...args, '--home', home], {
      cwd: repo, env: { ...process.env, ...env, LOCALROUTER_HOME: home }, timeout: 60_000,
    });
    pending.child.stdin?.end();
    return (await pending).stdout;
  } catch (err) {
    const e = err as { message: string; stdout?: string; stderr?: string };
    throw new Error(`localrouter ${args.join(' ')} failed: ${e.message.split('\n')[0]}\n${(e.stderr ?? '').slice(-2000)}`);
  }
}

export interface GatewayOptions {
  /** Repository whose `bin/localrouter` runs (default: this one). */
  repo?: string;
  mockPort: number;
  /** Providers besides `canary`, all pointing at the mock, with short upstream timeouts. */
  faultProviders?: string[];
  /** Extra `server:` settings. */
  server?: Record<string, unknown>;
}

/** A running gateway and what a client needs to talk to it. */
export class Gateway {
  readonly repo: string;
  readonly home: string;
  readonly clientKey: string;
  readonly providerKey: string;
  adminToken = '';
  port = 0;
  proc!: ChildProcess;
  #logs: string[][] = [];
  /** Times the gateway was found dead and started again. */
  restarts = 0;
  #env: NodeJS.ProcessEnv;

  constructor(repo: string, home: string, clientKey: string, providerKey: string, env: NodeJS.ProcessEnv) {
    this.repo = repo;
    this.home = home;
    this.clientKey = clientKey;
    this.providerKey = providerKey;
    this.#env = env;
  }

  /** Every line the gateway processes printed (all incarnations). */
  get lines(): string[] {
    return this.#logs.flat();
  }

  get pid(): number {
    return this.proc.pid ?? -1;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  alive(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** How the current process ended, if it did. */
  exitInfo(): string {
    return this.alive() ? 'running' : `exited with ${this.proc.signalCode ?? `code ${this.proc.exitCode}`}`;
  }

  async start(): Promise<void> {
    const s = await spawnReady('gateway', [path.join(this.repo, 'bin', 'localrouter'), 'serve', '--port', '0', '--home', this.home], {
      cwd: this.repo, env: this.#env, ready: /localrouter listening on http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs: 60_000,
    });
    this.proc = s.proc;
    this.port = Number(s.match);
    // The array keeps growing with this incarnation's output.
    this.#logs.push(s.lines);
    this.adminToken = readFileSync(path.join(this.home, 'admin-token'), 'utf8').trim();
  }

  /** A gateway that died is started again on the same home (counted in `restarts`). */
  async restart(): Promise<void> {
    this.restarts++;
    if (this.alive()) await stopChild(this.proc);
    await this.start();
  }

  async stop(): Promise<void> {
    if (this.proc) await stopChild(this.proc, 5000);
  }

  dispose(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}

/**
 * A fresh LOCALROUTER_HOME set up as a user would: `providers add canary` and `clients create chaos`
 * through the CLI, then the fault providers and server settings written into config.yaml. The
 * provider key is a random `sk-chaos-...` in an environment variable (`api_key_env`), so the suite
 * knows exactly which secret must never come back.
 */
export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const repo = opts.repo ?? REPO_ROOT;
  const home = mkdtempSync(path.join(os.tmpdir(), 'lr-chaos-'));
  const providerKey = `sk-chaos-${randomBytes(24).toString('hex')}`;
  const env: NodeJS.ProcessEnv = {
    LOCALROUTER_HOME: home, CHAOS_UPSTREAM_KEY: providerKey, LOCALROUTER_SECRETS_BACKEND: 'file',
    LOCALROUTER_LOG_LEVEL: process.env.LOCALROUTER_LOG_LEVEL ?? 'info',
  };
  try {
    const base = `http://127.0.0.1:${opts.mockPort}/v1`;
    await cli(repo, home, ['providers', 'add', 'canary', '--type', 'openai-compatible', '--base-url', base, '--api-key-env', 'CHAOS_UPSTREAM_KEY'], env);
    const out = await cli(repo, home, ['clients', 'create', 'chaos', '--json'], env);
    let key: unknown;
    try {
      key = (JSON.parse(out.slice(Math.max(0, out.indexOf('{')))) as { key?: unknown }).key;
    } catch {
      // reported below
    }
    if (typeof key !== 'string' || !key.startsWith('lr-')) throw new Error(`"clients create chaos --json" printed no key:\n${out}`);
    const file = path.join(home, 'config.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    for (const name of opts.faultProviders ?? []) {
      doc.addIn(['providers'], doc.createNode({
        name, type: 'openai-compatible', base_url: base, api_key_env: 'CHAOS_UPSTREAM_KEY',
        timeouts: { first_byte_ms: FAULT_FIRST_BYTE_MS, idle_ms: FAULT_IDLE_MS },
      }));
    }
    doc.setIn(['server', 'sse_heartbeat_ms'], CHAOS_HEARTBEAT_MS);
    doc.setIn(['server', 'shutdown_grace_ms'], 1000);
    for (const [k, v] of Object.entries(opts.server ?? {})) doc.setIn(['server', k], v);
    writeFileSync(file, doc.toString());
    const gw = new Gateway(repo, home, key, providerKey, env);
    await gw.start();
    return gw;
  } catch (err) {
    rmSync(home, { recursive: true, force: true });
    throw err;
  }
}

/** Resident set size of a process in MB (VmRSS; threads included). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}
