import { logBodyBytesOf, updateConfig, type Config } from '../config/index.js';
import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import { McpHost, mcpActorConfig, storeMcpOAuth, type McpLog } from '../mcp/index.js';
import { MetricsRing, type Monitoring, type PromFamily } from '../metrics/index.js';
import { McpCalls } from './mcp-calls.js';
import { discoveryRoutes } from './mcp-discovery.js';
import type { SecretStore } from '../secrets/index.js';
import { AdminAuth, writeError, writeJson, type AuthedClient, type GatewayState, type RouteHandler, type Routes } from '../ingress/index.js';
import { McpEndpoint, type McpSessionLimits } from './mcp-route.js';
import { McpLegacySse } from './mcp-legacy-sse.js';
import { sampleThroughGateway } from './mcp-sampling.js';
import { callModelForSkill } from './skill-model-call.js';
import { loadMcpSdk } from './mcp-sdk.js';
import { Approvals } from './approvals.js';
import { approvalRoutes } from './approval-routes.js';

export interface McpGatewayOptions {
  config: Config;
  secrets: SecretStore | null;
  version: string;
  log: McpLog;
  /** The gateway state (for sampling through the LLM path); set once it exists. */
  state(): GatewayState;
  /** Admin API token (for `GET /api/mcp/servers`). */
  adminToken: string;
  /** The gateway's admin check (shares its dashboard sessions); built from `adminToken` when absent. */
  adminAuth?: AdminAuth;
  /** The MCP actor's metrics ring, the ingress's ring for calls refused before the actor, and the main thread's interner; null when monitoring is off. */
  metrics: { buffer: SharedArrayBuffer; ring: MetricsRing; intern(name: string): number } | null;
  /** The request log (MCP calls get a row each); null when monitoring is off. */
  monitoring: Monitoring | null;
  /** The config file an "always" approval is written to (the locked, atomic config write); none: "always" is refused. */
  configFile?: string;
  testHooks?: boolean;
}

/** What `startGateway` holds of the MCP side. */
export interface McpGateway {
  readonly host: McpHost;
  routes(): Routes;
  /** Loads the MCP SDK in the background when MCP servers are configured, so their first client does not wait for it. */
  warm(): void;
  reconfigure(config: Config): void;
  /** Skill runs, steps and cost for `/metrics`. */
  skillFamilies(): PromFamily[];
  /** Calls waiting for approval now (the live feed's badge count). */
  pendingApprovals(): number;
  /** An LLM request for a model its strategy marks `ask` waits here (see `McpCalls.askModel`). */
  askModel: McpCalls['askModel'];
  close(): Promise<void>;
}

/**
 * Starts the MCP side of the gateway: the actor host, `/mcp` (Streamable HTTP), the legacy
 * `/sse` + `/messages` endpoints, `GET /api/mcp/servers` (admin token) with every server's state, and
 * the approvals (`/api/approvals`) calls of tools and models a strategy marks `ask` wait in.
 */
export function startMcpGateway(opts: McpGatewayOptions): McpGateway {
  let config = opts.config;
  const clients = new Map<number, AuthedClient>();
  const intern = opts.metrics?.intern ?? (() => 0);
  // The actor's view of the config in force, with the MCP servers' secrets read again each time.
  const actorConfig = (): ReturnType<typeof mcpActorConfig> => mcpActorConfig(config, opts.secrets, opts.version, opts.log);
  const host = new McpHost({
    config: actorConfig(), log: opts.log, metrics: opts.metrics, testHooks: opts.testHooks,
    sample: (session, body) => {
      const client = clients.get(session);
      if (client === undefined) return Promise.reject(new Error('the client session is gone'));
      return sampleThroughGateway(opts.state(), client, body, config.mcp.sampling_model);
    },
    callModel: (session, body, signal) => {
      const client = clients.get(session);
      if (client === undefined) return Promise.reject(new Error('the client session is gone'));
      return callModelForSkill(opts.state(), client, body, signal);
    },
    admitTool: (session, tool) => {
      const client = clients.get(session);
      return client === undefined ? 'the client session is gone' : calls.admitSkillStep(session, client, tool);
    },
  });
  const approvals = new Approvals({
    persistAlways: (strategy, kind, name) => persistAlways(opts.configFile, strategy, kind, name),
    validate: validateArguments,
  });
  const calls = new McpCalls(config, {
    approvals,
    limiter: () => opts.state().limiter,
    log: opts.monitoring === null ? null : (entry) => opts.monitoring!.log.append(entry),
    bodyMaxBytes: () => logBodyBytesOf(config, opts.monitoring !== null),
    metrics: opts.metrics,
  });
  host.onOpen = (no, client) => clients.set(no, client as AuthedClient);
  host.onClose = (no) => {
    clients.delete(no);
    calls.closed(no);
  };
  host.onCall = (no, request, info) => calls.called(no, request, info);
  host.onOAuthSaved = (server, state) => {
    const secrets = opts.secrets;
    if (secrets === null) return;
    try {
      storeMcpOAuth(server, secrets, state);
    } catch (err) {
      opts.log.warn({ server, err: (err as Error).message.split('\n')[0] }, 'cannot keep the refreshed OAuth tokens of an MCP server in the secret store');
    }
  };
  const limits = (): McpSessionLimits => ({
    maxSessions: config.mcp.max_sessions, maxSessionsPerClient: config.mcp.max_sessions_per_client,
    maxRequestsInFlightPerClient: config.mcp.max_requests_in_flight_per_client, maxListenStreamsPerClient: config.mcp.max_listen_streams_per_client,
  });
  const endpoint = new McpEndpoint(host, {
    sessionIdleMs: config.mcp.session_idle_ms, limits, metricId: intern, log: opts.log, calls,
    isVirtualServer: (name) => config.mcp.virtual_servers.some((v) => v.name === name),
    version: opts.version,
  });
  const legacy = new McpLegacySse(host, intern, limits, calls);
  const admin = opts.adminAuth ?? new AdminAuth(opts.adminToken);
  const status: RouteHandler = (state, res, req, cors) => {
    try {
      admin.checkRequest(req, state.tables.clients);
    } catch (err) {
      writeError(res, toLocalRouterError(err), cors);
      return;
    }
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    host.status().then((live) => {
      if (aborted) return;
      const byName = new Map(live.map((s) => [s.name, s]));
      const servers = config.mcp_servers.map((m) => ({ ...(byName.get(m.name) ?? {
        name: m.name, transport: m.transport, state: 'idle', perSession: m.per_session, instances: 0, tools: null, prompts: null,
        resources: null, restarts: 0, lastError: null, lastErrorAt: null, lastSuccessAt: null, droppedLogs: 0, protocolVersion: null, serverInfo: null, era: null,
      }), enabled: m.enabled, ...(m.enabled ? {} : { state: 'disabled' }) }));
      writeJson(res, 200, { servers, sessions: host.sessionCount, actor_restarts: host.restarts }, cors);
    }, (err: unknown) => {
      if (!aborted) writeError(res, toLocalRouterError(err), cors);
    });
  };
  // `POST /api/mcp/reload`: the secret store changed (an OAuth login): servers whose secrets differ reconnect.
  const reloadSecrets: RouteHandler = (state, res, req, cors) => {
    try {
      admin.checkRequest(req, state.tables.clients);
      host.configure(actorConfig());
      writeJson(res, 200, { reloaded: true }, cors);
    } catch (err) {
      writeError(res, toLocalRouterError(err), cors);
    }
  };
  return {
    host,
    // `/mcp/<name>`: the virtual servers (the legacy `/mcp/sse` and `/mcp/messages` are exact routes and win).
    routes: () => ({
      '/mcp': endpoint.route(), '/mcp/*': endpoint.route(), ...legacy.routes(), '/api/mcp/servers': { get: status }, '/api/mcp/reload': { post: reloadSecrets },
      ...discoveryRoutes(), ...approvalRoutes(admin, approvals),
    }),
    warm() {
      if (config.mcp_servers.some((s) => s.enabled)) loadMcpSdk().catch((err: unknown) => opts.log.error({ err }, 'cannot load the MCP SDK'));
    },
    reconfigure(next) {
      config = next;
      calls.configure(next);
      host.configure(actorConfig());
      this.warm();
    },
    skillFamilies: () => calls.skillFamilies(),
    pendingApprovals: () => approvals.size,
    askModel: (client, model, bytes) => calls.askModel(client, model, bytes),
    async close() {
      approvals.close();
      legacy.close();
      await endpoint.close();
      await host.stop();
    },
  };
}

/**
 * An "always" answer: the tool joins the strategy's `ask.allowed_tools`, a model its
 * `ask.allowed_models` (the gateway's file watcher then applies it). Patterns have no escape, so a
 * name with `*` (a client's choice) is refused rather than written as a wildcard that would allow
 * more than the one tool or model.
 */
function persistAlways(configFile: string | undefined, strategy: string, kind: 'tool' | 'model', tool: string): void {
  if (configFile === undefined) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'this gateway has no config file to write "always" to; use scope "session" or "once"', { param: 'scope' });
  if (tool.includes('*') || tool.length > (kind === 'model' ? 300 : 500)) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `a ${kind} whose name has "*" or is that long cannot be allowed "always" (it would be a pattern)`, { param: 'scope' });
  }
  try {
    updateConfig(configFile, (cfg) => {
      const s = cfg.strategies.find((x) => x.name === strategy);
      if (s === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `strategy "${strategy}" is no longer in the config`);
      const ask = (s.ask ??= { tools: [], allowed_tools: [], models: [], allowed_models: [], timeout_ms: 120_000 });
      const allowed = kind === 'model' ? ask.allowed_models : ask.allowed_tools;
      if (!allowed.includes(tool)) allowed.push(tool);
    });
  } catch (err) {
    const e = toLocalRouterError(err);
    if (e.code === 'LR_ERR_CONFIG_INVALID') throw new LocalRouterError('LR_ERR_BAD_REQUEST', e.message, { cause: err });
    throw e;
  }
}

type SchemaValidators = { getValidator(schema: never): (input: unknown) => { valid: boolean; errorMessage?: string } };
let validators: Promise<SchemaValidators> | null = null;

/** Edited arguments against the tool's input schema (the MCP SDK's Ajv validator, loaded on first use): null, or why not. */
async function validateArguments(schema: Record<string, unknown>, args: Record<string, unknown>): Promise<string | null> {
  validators ??= import('@modelcontextprotocol/sdk/validation/ajv').then((m) => new m.AjvJsonSchemaValidator() as unknown as SchemaValidators);
  const v = await validators;
  let check: (input: unknown) => { valid: boolean; errorMessage?: string };
  try {
    check = v.getValidator(schema as never);
  } catch {
    // A schema Ajv cannot compile: the upstream server checks the arguments itself.
    return null;
  }
  const r = check(args);
  return r.valid ? null : (r.errorMessage ?? 'does not match');
}

const MCP_RING_CAPACITY = 8192;
const MCP_REFUSED_RING_CAPACITY = 1024;

/** The MCP actor's metrics ring (registered with the aggregator) and the interner its names go through. */
export function mcpMetricsOf(monitoring: Monitoring | null): McpGatewayOptions['metrics'] {
  if (monitoring === null) return null;
  const ring = MetricsRing.create(MCP_RING_CAPACITY);
  monitoring.aggregator.addRing('mcp', ring);
  // Calls refused before they reach the actor (limits) are few: a small ring of the ingress's own.
  const refused = MetricsRing.create(MCP_REFUSED_RING_CAPACITY);
  monitoring.aggregator.addRing('mcp-ingress', refused);
  return { buffer: ring.buffer, ring: refused, intern: (name) => monitoring.interner.id(name) };
}
