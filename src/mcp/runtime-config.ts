import path from 'node:path';
import type { Config, McpServerConfig } from '../config/index.js';
import type { SecretStore } from '../secrets/index.js';
import type { McpAccessRuntime, McpActorConfig, McpOAuthState, McpServerRuntime } from '../workers/index.js';

/** Secret store entry of an MCP server: JSON `{"env": {...}, "headers": {...}, "oauth": {...}}`, env and headers merged over the config's. */
export function mcpSecretName(server: string): string {
  return `mcp:${server}`;
}

/** The secrets of one server as stored under `mcp:<name>`. */
export interface McpSecrets {
  env?: Record<string, string>;
  headers?: Record<string, string>;
  /** OAuth login or client credentials (Streamable HTTP and SSE servers). */
  oauth?: McpOAuthState;
}

export interface RuntimeWarnings {
  warn(fields: object, message: string): void;
}

/**
 * The actor's view of the config: enabled servers with their secrets resolved (`env_from` and
 * `headers_from_env` from the gateway's environment, then the `mcp:<name>` secret store entry), the
 * settings, and each strategy's MCP rules.
 */
export function mcpActorConfig(config: Config, secrets: SecretStore | null, version: string, log: RuntimeWarnings): McpActorConfig {
  const access: Record<string, McpAccessRuntime | null> = { default: null };
  for (const s of config.strategies) {
    access[s.name] = s.mcp === undefined ? null : {
      servers: s.mcp.servers, denyServers: s.mcp.deny_servers, perServer: s.mcp.per_server, tools: s.mcp.tools,
      ...(s.mcp.skills !== undefined ? { skills: s.mcp.skills } : {}), ...(s.mcp.deny_skills !== undefined ? { denySkills: s.mcp.deny_skills } : {}),
    };
  }
  return {
    servers: config.mcp_servers.filter((m) => m.enabled).map((m) => serverRuntime(m, secrets, log)),
    prefix: config.mcp.prefix,
    sampling: config.mcp.sampling,
    pageSize: config.mcp.page_size,
    restartInitialMs: config.mcp.restart_initial_ms,
    restartMaxMs: config.mcp.restart_max_ms,
    healthIntervalMs: config.mcp.health_interval_ms,
    healthTimeoutMs: config.mcp.health_timeout_ms,
    maxJsonDepth: config.server.max_json_depth,
    access,
    version,
    virtualServers: Object.fromEntries(config.mcp.virtual_servers.map((v) => [v.name, { servers: v.servers, tools: v.tools }])),
    skillPaths: (config.skills?.paths ?? []).map((p) => path.resolve(p)),
  };
}

/** One server's runtime settings (exported for `localrouter mcp tools`, which connects directly). */
export function serverRuntime(m: McpServerConfig, secrets: SecretStore | null, log: RuntimeWarnings): McpServerRuntime {
  const env: Record<string, string> = { ...m.env };
  for (const [name, source] of Object.entries(m.env_from)) {
    const value = process.env[source];
    if (value === undefined) log.warn({ server: m.name, env: source }, 'MCP server env_from variable is not set');
    else env[name] = value;
  }
  const headers: Record<string, string> = { ...m.headers };
  for (const [name, source] of Object.entries(m.headers_from_env)) {
    const value = process.env[source];
    if (value === undefined) log.warn({ server: m.name, env: source }, 'MCP server headers_from_env variable is not set');
    else headers[name] = value;
  }
  const stored = readSecrets(m.name, secrets, log);
  Object.assign(env, stored.env);
  Object.assign(headers, stored.headers);
  return {
    name: m.name, namespace: m.prefix ?? m.name, transport: m.transport, command: m.command ?? null, args: m.args, env,
    cwd: m.cwd ?? null, url: m.url ?? null, headers, connect: m.connect, perSession: m.per_session,
    timeoutMs: m.timeout_ms, maxTotalTimeoutMs: m.max_total_timeout_ms, protocol: m.protocol,
    oauth: m.transport === 'stdio' ? null : stored.oauth ?? null,
  };
}

/** The stored secrets of `server` (for `localrouter mcp login`, which adds its OAuth state beside them). */
export function storedMcpSecrets(server: string, secrets: SecretStore): McpSecrets {
  const raw = secrets.get(mcpSecretName(server));
  return raw === undefined ? {} : JSON.parse(raw) as McpSecrets;
}

/**
 * Keeps `state` as the OAuth login of `server` in the secret store, beside its other secrets: how
 * every new set of tokens is kept, whoever got it (`mcp login`, a refresh by the gateway or by the
 * CLI). Refresh tokens rotate: a set obtained and not kept here leaves only a spent refresh token.
 */
export function storeMcpOAuth(server: string, secrets: SecretStore, state: McpOAuthState): void {
  secrets.set(mcpSecretName(server), JSON.stringify({ ...storedMcpSecrets(server, secrets), oauth: state }));
}

function readSecrets(server: string, secrets: SecretStore | null, log: RuntimeWarnings): McpSecrets {
  if (secrets === null) return {};
  try {
    const parsed = storedMcpSecrets(server, secrets);
    return { env: parsed.env ?? {}, headers: parsed.headers ?? {}, ...(parsed.oauth !== undefined ? { oauth: parsed.oauth } : {}) };
  } catch (err) {
    log.warn({ server, err: (err as Error).message.split('\n')[0] }, 'cannot read the MCP server secrets from the secret store');
    return {};
  }
}
