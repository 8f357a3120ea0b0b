import { existsSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { configPath, loadOrCreateConfig, updateConfig, type Config, type McpServerConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { storedMcpSecrets, storeMcpOAuth, type McpOAuthState } from '../mcp/index.js';
import { fetchAdmin, gatewayOrigin } from './admin-client.js';
import { homeOf, parseName, printJson, printTable, readConfig, secretStoreOf, type CliIo } from './cli-io.js';
import { registerMcpLoginCommand, tellGateway } from './mcp-login-command.js';
import { registerMcpVirtualCommand } from './mcp-virtual-command.js';
import { readSecretFromStdin } from './read-secret.js';
import { splitCommand } from './split-command.js';
import { findCommand } from './find-command.js';

interface AddOptions {
  stdio?: string[];
  url?: string;
  transport?: 'streamable-http' | 'sse';
  env: Record<string, string>;
  envFrom: Record<string, string>;
  cwd?: string;
  header: Record<string, string>;
  connect: 'lazy' | 'start';
  perSession?: boolean;
  timeoutMs?: number;
  protocol: 'auto' | 'legacy';
  secretEnv?: string;
  secretHeader?: string;
  check: boolean;
  json?: boolean;
}

export function registerMcpCommand(program: Command, io: CliIo): void {
  const mcp = program.command('mcp').description('manage upstream MCP servers (merged behind /mcp) and bridge STDIO clients');

  mcp.command('add').description('add an MCP server: --stdio "<command>" or --url <url>')
    .argument('<name>', 'server name, also the prefix of its tools (<name>__<tool>)', parseServerName)
    .addOption(new Option('--stdio <command>', 'command line of a STDIO server (spawned without a shell)').argParser(splitCommand).conflicts('url'))
    .option('--url <url>', 'endpoint of a Streamable HTTP (or legacy SSE) server', parseUrl)
    .addOption(new Option('--transport <kind>', 'transport of a --url server').choices(['streamable-http', 'sse']))
    .option('--env <K=V>', 'environment variable for a STDIO server (repeatable)', collectPair('='), {} as Record<string, string>)
    .option('--env-from <K=VAR>', 'set K from the gateway\'s own $VAR at start (repeatable)', collectPair('='), {} as Record<string, string>)
    .option('--cwd <dir>', 'working directory of a STDIO server')
    .option('--header <K:V>', 'HTTP header for a --url server (repeatable; not for secrets)', collectPair(':'), {} as Record<string, string>)
    .addOption(new Option('--connect <when>', 'connect on first use or at gateway start').choices(['lazy', 'start']).default('lazy'))
    .option('--per-session', 'one server instance per client session instead of one shared')
    .option('--timeout-ms <ms>', 'request timeout (restarted by progress notifications)', parsePositive)
    .addOption(new Option('--protocol <mode>', 'auto: probe with server/discover first (2026-07-28 servers are called statelessly); legacy: initialize at once').choices(['auto', 'legacy']).default('auto'))
    .addOption(new Option('--secret-env <K>', 'read the value of env var K from stdin into the secret store').conflicts('secretHeader'))
    .option('--secret-header <K>', 'read the value of header K from stdin into the secret store')
    .option('--no-check', 'add a --stdio server even if its command is not found here (the gateway may run with another PATH)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: AddOptions, cmd: Command) => {
      if ((opts.stdio === undefined) === (opts.url === undefined)) cmd.error('error: give exactly one of --stdio <command> or --url <url>', { exitCode: 2 });
      await addServer(io, homeOf(cmd, io), name, opts);
    });

  mcp.command('list').description('list MCP servers; with a running gateway also their state, tool count, restarts, last successful call and last error')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      const config = readConfig(home);
      const live = await liveStatus(io, home, config);
      const rows = config.mcp_servers.map((m) => {
        const s = live?.get(m.name);
        return {
          name: m.name, transport: m.transport, target: m.url ?? [m.command, ...m.args].join(' '), enabled: m.enabled,
          state: !m.enabled ? 'disabled' : live === null ? 'gateway not running' : s?.needsLogin === true ? needsLogin(io, home, m.name) : String(s?.state ?? 'idle'),
          tools: (s?.tools as number | null | undefined) ?? null, restarts: (s?.restarts as number | undefined) ?? 0, last_error: (s?.lastError as string | null | undefined) ?? null,
          last_error_at: (s?.lastErrorAt as string | null | undefined) ?? null, last_success_at: (s?.lastSuccessAt as string | null | undefined) ?? null,
          era: (s?.era as string | null | undefined) ?? null, protocol_version: (s?.protocolVersion as string | null | undefined) ?? null,
        };
      });
      if (opts.json) return printJson(io, rows);
      printTable(io, ['NAME', 'TRANSPORT', 'STATE', 'ERA', 'TOOLS', 'RESTARTS', 'LAST SUCCESS', 'LAST ERROR', 'TARGET'], rows.map((r) => [
        r.name, r.transport, r.state, r.era === null ? '-' : `${r.era}${r.protocol_version === null ? '' : ` (${r.protocol_version})`}`,
        r.tools === null ? '-' : String(r.tools), String(r.restarts), r.last_success_at ?? '-',
        r.last_error === null ? '-' : `${r.last_error_at ?? ''} ${r.last_error}`.trim(), r.target.slice(0, 80),
      ]), 'no MCP servers (add one with: localrouter mcp add <name> --stdio "<command>")');
    });

  mcp.command('remove').description('remove an MCP server and its stored secrets')
    .argument('<name>', 'server name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      updateConfig(configPath(home), (cfg) => {
        const i = cfg.mcp_servers.findIndex((m) => m.name === name);
        if (i < 0) throw notFound(name);
        cfg.mcp_servers.splice(i, 1);
      });
      let secretRemoved = false;
      try {
        secretRemoved = secretStoreOf(home, io).delete(`mcp:${name}`);
      } catch (err) {
        io.stderr.write(`warning: could not delete the stored secrets of "${name}": ${(err as Error).message}\n`);
      }
      if (opts.json) return printJson(io, { removed: name, secret_removed: secretRemoved });
      io.stdout.write(`removed MCP server "${name}"\n`);
    });

  mcp.command('tools').description('connect to one MCP server directly and list its tools (no running gateway needed)')
    .argument('<name>', 'server name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      const server = readConfig(home).mcp_servers.find((m) => m.name === name);
      if (server === undefined) throw notFound(name);
      const { listServerTools } = await import('./mcp-probe.js');
      const secrets = existsSync(configPath(home)) ? secretStoreOf(home, io) : null;
      // Tokens refreshed here are kept as the gateway keeps its own, and a running gateway is told
      // to take them: the refresh spent the login's refresh token where the server rotates them.
      let refreshed = false;
      const keepOAuth = secrets === null ? undefined : (state: McpOAuthState): void => {
        try {
          storeMcpOAuth(name, secrets, state);
          refreshed = true;
        } catch (err) {
          io.stderr.write(`warning: cannot keep the refreshed OAuth tokens of MCP server "${name}" in the secret store (${(err as Error).message.split('\n')[0]}); the next refresh may need "localrouter mcp login ${name}"\n`);
        }
      };
      let tools: Awaited<ReturnType<typeof listServerTools>>;
      try {
        tools = await listServerTools(io, server, secrets, keepOAuth);
      } finally {
        if (refreshed) await tellGateway(io, home, readConfig(home));
      }
      if (opts.json) return printJson(io, tools);
      printTable(io, ['NAME', 'DESCRIPTION'], tools.map((t) => [t.name, (t.description ?? '').split('\n')[0]!.slice(0, 100)]), `server "${name}" has no tools`);
    });

  registerMcpVirtualCommand(mcp, io);
  registerMcpLoginCommand(mcp, io);

  mcp.command('bridge').description('relay MCP over STDIO (for clients that only spawn processes) to the gateway\'s /mcp')
    .option('--url <url>', 'gateway MCP endpoint (default: http://<server.host>:<server.port>/mcp from the config)', parseUrl)
    .option('--key <key>', 'client key (default: $LOCALROUTER_API_KEY)')
    .action(async (opts: { url?: string; key?: string }, cmd: Command) => {
      const key = opts.key ?? io.env.LOCALROUTER_API_KEY;
      if (key === undefined || key === '') throw new LocalRouterError('LR_ERR_UNAUTHORIZED', 'no client key: pass --key lr-... or set LOCALROUTER_API_KEY');
      const home = homeOf(cmd, io);
      const url = new URL(opts.url ?? `${gatewayOrigin(readConfig(home), home, io.env)}/mcp`);
      const { runMcpBridge } = await import('./mcp-bridge.js');
      await runMcpBridge(io, url, key);
    });
}

async function addServer(io: CliIo, home: string, name: string, opts: AddOptions): Promise<void> {
  if (loadOrCreateConfig(home).mcp_servers.some((m) => m.name === name)) throw exists(name);
  if (opts.stdio !== undefined && opts.check) requireCommand(opts.stdio[0]!, opts.cwd, io);
  const server: McpServerConfig = {
    name, transport: opts.stdio !== undefined ? 'stdio' : (opts.transport ?? 'streamable-http'),
    args: opts.stdio?.slice(1) ?? [], env: opts.env, env_from: opts.envFrom, headers: opts.header, headers_from_env: {},
    enabled: true, connect: opts.connect, per_session: opts.perSession ?? false, timeout_ms: opts.timeoutMs ?? 60_000, max_total_timeout_ms: 0, protocol: opts.protocol,
    ...(opts.stdio !== undefined ? { command: opts.stdio[0] } : {}),
    ...(opts.url !== undefined ? { url: opts.url } : {}),
    ...(opts.cwd !== undefined ? { cwd: path.resolve(opts.cwd) } : {}),
  };
  const secretKey = opts.secretEnv ?? opts.secretHeader;
  if (secretKey !== undefined) {
    const value = await readSecretFromStdin(io, `value of ${secretKey} for ${name} (input hidden): `);
    const secrets = opts.secretEnv !== undefined ? { env: { [secretKey]: value } } : { headers: { [secretKey]: value } };
    secretStoreOf(home, io).set(`mcp:${name}`, JSON.stringify(secrets));
  }
  updateConfig(configPath(home), (cfg) => {
    if (cfg.mcp_servers.some((m) => m.name === name)) throw exists(name);
    cfg.mcp_servers.push(server);
  });
  if (opts.json) return printJson(io, server);
  io.stdout.write(`added MCP server "${name}" (${server.transport}); its tools appear as ${name}__<tool> on /mcp\n`);
}

/** A STDIO server whose command cannot be found would only fail later, in the gateway's log: refuse it now. */
function requireCommand(command: string, cwd: string | undefined, io: CliIo): void {
  const dir = path.resolve(cwd ?? '.');
  if (cwd !== undefined && !existsSync(dir)) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `--cwd ${dir} does not exist`);
  }
  if (findCommand(command, dir, io.env) !== null) return;
  const where = command.includes('/') ? `no executable file ${path.resolve(dir, command)}` : `"${command}" is not an executable on PATH`;
  throw new LocalRouterError('LR_ERR_BAD_REQUEST', `cannot run the MCP server's command: ${where}. `
    + 'Install it, give its full path, or pass --no-check if only the gateway\'s environment has it.');
}

/** Server states from a running gateway (`GET /api/mcp/servers` with the admin token), or null. */
async function liveStatus(io: CliIo, home: string, config: Config): Promise<Map<string, Record<string, unknown>> | null> {
  const body = await fetchAdmin<{ servers: Record<string, unknown>[] }>(home, config, '/api/mcp/servers', io.env);
  return body === null ? null : new Map(body.servers.map((s) => [String(s.name), s]));
}

function parseServerName(value: string): string {
  parseName(value);
  if (value.includes('__')) throw new InvalidArgumentError('MCP server names may not contain "__" (the namespace separator).');
  return value;
}

function parseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return value;
  } catch { /* fall through */ }
  throw new InvalidArgumentError('must be an http(s) URL.');
}

function parsePositive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 100) throw new InvalidArgumentError('must be a whole number of milliseconds, at least 100.');
  return n;
}

function collectPair(sep: '=' | ':') {
  return (value: string, previous: Record<string, string>): Record<string, string> => {
    const i = value.indexOf(sep);
    const key = i < 0 ? '' : value.slice(0, i).trim();
    if (key.length === 0) throw new InvalidArgumentError(`expected "NAME${sep}value".`);
    return { ...previous, [key]: value.slice(i + 1).trim() };
  };
}

function notFound(name: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_NOT_FOUND', `no MCP server named "${name}"`);
}

function exists(name: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', `an MCP server named "${name}" already exists`);
}

/** "needs login", with the scope the next login asks for when the server asked for more (step-up; kept with the login in the secret store). */
function needsLogin(io: CliIo, home: string, name: string): string {
  try {
    const oauth = storedMcpSecrets(name, secretStoreOf(home, io)).oauth;
    if (oauth?.grant === 'authorization_code' && oauth.stepUpScope !== undefined) return `needs login (scope ${oauth.stepUpScope})`;
  } catch {
    // the store is not readable here: the state alone
  }
  return 'needs login';
}
