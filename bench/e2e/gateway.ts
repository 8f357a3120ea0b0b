import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseDocument } from 'yaml';
import type { Child, ChildSet } from './processes.js';

const run = promisify(execFile);

export type Execution = 'workers' | 'inline';

/** A running gateway, set up the way a user would set it up. */
export interface Gateway {
  child: Child;
  origin: string;
  key: string;
  home: string;
  dispose: () => void;
}

async function cli(repoRoot: string, home: string, args: string[]): Promise<string> {
  const bin = path.join(repoRoot, 'bin', 'localrouter');
  try {
    const { stdout } = await run(process.execPath, [bin, ...args, '--home', home], {
      cwd: repoRoot,
      // LOCALROUTER_HOME too, so a CLI that ignored --home still never touches ~/.localrouter.
      env: { ...process.env, LOCALROUTER_HOME: home },
      timeout: 30_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { message: string; stdout?: string; stderr?: string };
    const tail = (s: string | undefined): string => (s ?? '').trim().split('\n').slice(-30).join('\n');
    throw new Error(
      `gateway CLI failed: localrouter ${args.join(' ')} --home ${home}\n${e.message.split('\n')[0]}\n` +
        `--- stdout ---\n${tail(e.stdout)}\n--- stderr ---\n${tail(e.stderr)}`,
    );
  }
}

/**
 * Creates a fresh LOCALROUTER_HOME with one provider `mock` pointing at the mock upstream and one
 * client key, switches `server.execution`, then starts `localrouter serve --port 0`. Throws (never
 * falls back to anything) if any step fails, so a broken gateway cannot pass as a fast one.
 */
export async function startGateway(opts: {
  children: ChildSet;
  repoRoot: string;
  mockOrigin: string;
  execution: Execution;
  /** Give the bench client generous rate limits (BENCH_GATEWAY_LIMITS, default on). */
  limits: boolean;
  /** Further config settings as [YAML path, value] (M1 turns monitoring off with it). */
  settings?: [path: (string | number)[], value: unknown][];
}): Promise<Gateway> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'lr-bench-'));
  const dispose = (): void => rmSync(home, { recursive: true, force: true });
  try {
    await cli(opts.repoRoot, home, ['providers', 'add', 'mock', '--type', 'openai-compatible', '--base-url', `${opts.mockOrigin}/v1`]);
    const out = await cli(opts.repoRoot, home, ['clients', 'create', 'bench', '--json']);
    let created: { key?: unknown } = {};
    try {
      // `--json` output, pretty-printed or not; anything printed before it is skipped.
      created = JSON.parse(out.slice(Math.max(0, out.indexOf('{')))) as { key?: unknown };
    } catch {
      // reported below with the raw output
    }
    if (typeof created.key !== 'string' || !created.key.startsWith('lr-')) {
      throw new Error(`gateway CLI: "clients create bench --json" printed no key:\n${out}`);
    }
    const configPath = path.join(home, 'config.yaml');
    const doc = parseDocument(readFileSync(configPath, 'utf8'));
    doc.setIn(['server', 'execution'], opts.execution);
    if (opts.limits) {
      // Limits that never bite, so the limiter and token accounting run on every request as they
      // would for a user who set any limit (an empty list may skip them).
      const clients = (doc.toJS() as { clients?: { name?: string }[] }).clients ?? [];
      const at = clients.findIndex((c) => c.name === 'bench');
      doc.setIn(['clients', at, 'limits'], [
        { kind: 'requests', window: 'minute', max: 1e9 },
        { kind: 'total_tokens', window: 'minute', max: 1e12 },
      ]);
    }
    for (const [at, value] of opts.settings ?? []) doc.setIn(at, value);
    writeFileSync(configPath, doc.toString());

    const { child, match } = await opts.children.spawnReady({
      name: `gateway-${opts.execution}`,
      args: [path.join(opts.repoRoot, 'bin', 'localrouter'), 'serve', '--port', '0', '--home', home],
      env: { LOCALROUTER_HOME: home },
      cwd: opts.repoRoot,
      ready: /localrouter listening on http:\/\/127\.0\.0\.1:(\d+)/,
      timeoutMs: 30_000,
    });
    return { child, origin: `http://127.0.0.1:${match}`, key: created.key, home, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}
