import { existsSync } from 'node:fs';
import net from 'node:net';
import type { Command } from 'commander';
import { configPath, defaultConfig, loadConfig, runningInstance, type Config } from '../config/index.js';
import { isLocalRouterError } from '../errors/index.js';
import { CommandExit, homeOf, printJson, secretStoreOf, type CliIo } from './cli-io.js';
import { keyInfo, resolveKey } from './provider-key.js';

/** One line of the report: what was checked, how it went, and what to do when it did not go well. */
export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}

/** The Node versions this build runs on: uWebSockets.js ships native binaries for Node 20 only. */
const NODE_MAJOR = 20;
const NODE_MIN_MINOR = 19;
const PROBE_TIMEOUT_MS = 10_000;

/**
 * `localrouter doctor [--json] [--offline]`: checks what a working gateway needs, one line each, with
 * the fix for anything wrong. Exit code 1 when a check failed (warnings alone exit 0).
 */
export function registerDoctorCommand(program: Command, io: CliIo): void {
  program.command('doctor').description('check Node, native modules, secret store, config, port, upstreams, classifier and MCP servers')
    .option('--offline', 'skip the checks that contact upstream providers and start MCP servers')
    .option('--json', 'print JSON')
    .action(async (opts: { offline?: boolean; json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      const checks = await runChecks(io, home, opts.offline === true);
      if (opts.json) printJson(io, checks);
      else io.stdout.write(formatChecks(checks));
      if (checks.some((c) => c.status === 'fail')) throw new CommandExit(1);
    });
}

/** The report as aligned lines, each problem followed by its fix. */
export function formatChecks(checks: readonly Check[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  return checks.map((c) => `${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}\n${c.fix === undefined ? '' : `${' '.repeat(width + 8)}fix: ${c.fix}\n`}`).join('');
}

async function runChecks(io: CliIo, home: string, offline: boolean): Promise<Check[]> {
  const checks: Check[] = [checkNode(), await checkUws(), checkSecretStore(io, home)];
  const { check: configCheck, config } = checkConfig(home);
  checks.push(configCheck);
  if (config === null) return checks;
  checks.push(await checkPort(home, config, io.env));
  if (offline) {
    checks.push({ name: 'upstreams', status: 'skip', detail: '--offline' }, { name: 'MCP servers', status: 'skip', detail: '--offline' });
  } else {
    checks.push(...await checkProviders(io, home, config));
  }
  checks.push(...await checkClassifiers(config));
  if (!offline) checks.push(...await checkMcpServers(io, home, config));
  return checks;
}

function checkNode(): Check {
  const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
  if (major === NODE_MAJOR && minor >= NODE_MIN_MINOR) return { name: 'Node.js', status: 'ok', detail: process.version };
  return {
    name: 'Node.js', status: 'fail', detail: `${process.version}; LocalRouter needs Node ${NODE_MAJOR}.${NODE_MIN_MINOR} or a later 20.x`,
    fix: `install Node 20 (e.g. nvm install ${NODE_MAJOR} && nvm use ${NODE_MAJOR}); uWebSockets.js has no native binary for other versions`,
  };
}

async function checkUws(): Promise<Check> {
  try {
    const uws = (await import('uWebSockets.js')).default as unknown as { getParts?: unknown };
    if (typeof uws.getParts === 'function') return { name: 'uWebSockets.js', status: 'ok', detail: 'native binary loaded' };
    return { name: 'uWebSockets.js', status: 'fail', detail: 'only the slow JavaScript fallback loads', fix: 'run on Node 20 (the native binaries cover it), and unset UWS_USE_FALLBACK' };
  } catch (err) {
    return { name: 'uWebSockets.js', status: 'fail', detail: `cannot load: ${(err as Error).message.split('\n')[0]}`, fix: 'reinstall LocalRouter (npm install) on Node 20' };
  }
}

function checkSecretStore(io: CliIo, home: string): Check {
  try {
    const backend = secretStoreOf(home, io).backend;
    if (backend === 'keychain') return { name: 'secret store', status: 'ok', detail: 'OS keychain (Secret Service / Keychain)' };
    const forced = (io.env.LOCALROUTER_SECRETS_BACKEND ?? '').toLowerCase() === 'file';
    return {
      name: 'secret store', status: 'ok', detail: `encrypted file in ${home}${forced ? ' (LOCALROUTER_SECRETS_BACKEND=file)' : ' (no OS keychain answered)'}`,
    };
  } catch (err) {
    return { name: 'secret store', status: 'fail', detail: messageOf(err), fix: 'unset LOCALROUTER_SECRETS_BACKEND, or set it to file' };
  }
}

function checkConfig(home: string): { check: Check; config: Config | null } {
  const file = configPath(home);
  if (!existsSync(file)) {
    return { check: { name: 'config', status: 'ok', detail: `${file} does not exist yet (serve creates it with defaults)` }, config: defaultConfig() };
  }
  try {
    const config = loadConfig(file);
    return { check: { name: 'config', status: 'ok', detail: `${file} is valid` }, config };
  } catch (err) {
    return {
      check: { name: 'config', status: 'fail', detail: messageOf(err).split('\n').join('; '), fix: `edit ${file} (localrouter config validate lists every problem)` },
      config: null,
    };
  }
}

async function checkPort(home: string, config: Config, env: NodeJS.ProcessEnv): Promise<Check> {
  const port = env.LOCALROUTER_PORT !== undefined && env.LOCALROUTER_PORT !== '' ? Number(env.LOCALROUTER_PORT) : config.server.port;
  const running = runningInstance(home);
  if (running !== null) return { name: 'port', status: 'ok', detail: `this data dir's gateway runs (pid ${running.pid}) on port ${running.port}` };
  const problem = await listenProblem(config.server.host, port);
  if (problem === null) return { name: 'port', status: 'ok', detail: `${config.server.host}:${port} is free` };
  return {
    name: 'port', status: 'fail', detail: `${config.server.host}:${port}: ${problem}`,
    fix: 'stop what uses it, or pick another port: localrouter serve --port <n> (or LOCALROUTER_PORT, or server.port in the config)',
  };
}

/** Null when a server could listen on host:port now; else why not (EADDRINUSE...). */
function listenProblem(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'EADDRINUSE' ? 'in use by another process' : `${err.code ?? err.message}`));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

async function checkProviders(io: CliIo, home: string, config: Config): Promise<Check[]> {
  const enabled = config.providers.filter((p) => p.enabled);
  if (enabled.length === 0) {
    return [{ name: 'upstreams', status: 'warn', detail: 'no providers configured', fix: 'printf %s "$OPENAI_API_KEY" | localrouter providers add openai --type openai --api-key-stdin (or: localrouter providers detect --add)' }];
  }
  const [{ getPreset }, { listUpstreamModels }] = await Promise.all([import('../providers/index.js'), import('./list-upstream-models.js')]);
  let store: ReturnType<typeof secretStoreOf> | undefined;
  const lazyStore = () => (store ??= secretStoreOf(home, io));
  return Promise.all(enabled.map(async (p): Promise<Check> => {
    const name = `upstream ${p.name}`;
    const preset = getPreset(p.type)!;
    try {
      const key = resolveKey(p, lazyStore, preset, io.env);
      const { models, fetched } = await listUpstreamModels(p, preset, key, { connectTimeoutMs: PROBE_TIMEOUT_MS, headersTimeoutMs: PROBE_TIMEOUT_MS });
      if (!fetched) return { name, status: 'ok', detail: `no model-list endpoint to probe; ${models.length} configured model(s)` };
      const keyNote = key === undefined && keyInfo(p, lazyStore, preset).source === 'preset_env' ? ` (no key: $${preset.key_env} is not set)` : '';
      return { name, status: 'ok', detail: `reachable, ${models.length} model(s)${keyNote}` };
    } catch (err) {
      return { name, status: 'fail', detail: messageOf(err), fix: `check its URL and key: localrouter providers test ${p.name}; replace the key with providers remove + add --api-key-stdin` };
    }
  }));
}

async function checkClassifiers(config: Config): Promise<Check[]> {
  const names = [...new Set(config.strategies.filter((s) => s.auto.strong_models.length > 0 || s.auto.classifier !== undefined)
    .map((s) => s.auto.classifier ?? 'hashlr'))];
  if (names.length === 0) return [{ name: 'classifier', status: 'skip', detail: 'no strategy splits localrouter/auto into strong and weak' }];
  const { LinearRouter, modelPathFor } = await import('../classifier/index.js');
  return Promise.all(names.map(async (n): Promise<Check> => {
    try {
      LinearRouter.load(modelPathFor(n));
      return { name: `classifier ${n}`, status: 'ok', detail: `${modelPathFor(n)} loads` };
    } catch (err) {
      return { name: `classifier ${n}`, status: 'fail', detail: messageOf(err), fix: 'use a classifier from models/ (localrouter strategies update <name> --classifier hashlr)' };
    }
  }));
}

async function checkMcpServers(io: CliIo, home: string, config: Config): Promise<Check[]> {
  const servers = config.mcp_servers.filter((m) => m.enabled);
  if (servers.length === 0) return [{ name: 'MCP servers', status: 'skip', detail: 'none configured' }];
  const { listServerTools } = await import('./mcp-probe.js');
  const store = existsSync(configPath(home)) ? secretStoreOf(home, io) : null;
  const out: Check[] = [];
  // One at a time: each may spawn a process.
  for (const m of servers) {
    const name = `MCP ${m.name}`;
    try {
      const tools = await listServerTools(io, m, store);
      out.push({ name, status: 'ok', detail: `starts and lists ${tools.length} tool(s)` });
    } catch (err) {
      out.push({ name, status: 'fail', detail: messageOf(err), fix: `check its command or URL: localrouter mcp tools ${m.name} (LOCALROUTER_DEBUG=1 shows its stderr)` });
    }
  }
  return out;
}

function messageOf(err: unknown): string {
  if (isLocalRouterError(err)) return err.message.split('\n')[0]!;
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}
