import * as z from 'zod';
import { DEFAULT_MAX_JSON_DEPTH } from '../model/index.js';

/** Provider and client names: safe in URLs, YAML keys and keychain account names. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const name = z.string().regex(NAME_PATTERN, 'must be 1-64 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit');

export const ServerSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(3625),
  /** Largest request body accepted, in bytes; larger bodies get 413. */
  max_body_bytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(10 * 1024 * 1024),
  /** Most messages one chat request may carry; more gets 400. */
  max_messages: z.number().int().min(1).max(1_000_000).default(10_000),
  /** Deepest nesting of objects and arrays accepted in a JSON body or JSON-RPC message; deeper gets 400. */
  max_json_depth: z.number().int().min(8).max(1_000).default(DEFAULT_MAX_JSON_DEPTH),
  /** How long a client may take to send a whole request body; slower gets 408 and the connection closed. */
  body_timeout_ms: z.number().int().min(1_000).max(600_000).default(60_000),
  /** Browser origins allowed besides http(s)://localhost, 127.0.0.1 and [::1] on any port. */
  allowed_origins: z.array(z.string().min(1)).default([]),
  /** Host header values allowed besides localhost, 127.0.0.1 and [::1] (with or without the port). */
  allowed_hosts: z.array(z.string().min(1)).default([]),
  /** How long open streams may finish after SIGINT/SIGTERM before they are cut. */
  shutdown_grace_ms: z.number().int().min(0).max(600_000).default(10_000),
  /**
   * `auto`: a call made while no other client request is open (nor was in the last 100 ms) runs on
   * the main thread, the others in provider actor threads; on a machine of 2 cores or fewer every
   * call runs on the main thread, as `inline` (measured best there: actor threads compete with it for
   * the same cores); `workers`: every call in actor threads; `inline`: on the main thread.
   */
  execution: z.enum(['auto', 'workers', 'inline']).default('auto'),
  /** Consecutive failures that open a provider's circuit breaker, and how long it stays open. */
  breaker_failure_threshold: z.number().int().min(1).default(5),
  breaker_cooldown_ms: z.number().int().min(100).default(30_000),
  /** Longest an upstream's Retry-After may keep a breaker open (and what clients are told); 0 = ignored. */
  max_retry_after_ms: z.number().int().min(0).default(300_000),
  /** SSE comment sent while a stream waits for its first token, so idle proxies do not cut it; 0 = off. */
  sse_heartbeat_ms: z.number().int().min(0).default(15_000),
  /** Deadline for one classifier score (auto routing); past it the request goes to the strong side. */
  classifier_timeout_ms: z.number().int().min(1).max(10_000).default(100),
  /** Lifetime of OAuth access tokens from `POST /oauth/token`. */
  oauth_token_ttl_s: z.number().int().min(60).max(86_400).default(3600),
  /** Number of provider actor threads (`workers`, and `auto` on more than 2 cores); 1 measured best on 2 cores (docs/architecture.md, the worker hop). */
  actors: z.number().int().min(1).max(64).default(1),
  /** Most open connections to one provider; concurrent streams beyond it wait for a free one. */
  upstream_max_connections: z.number().int().min(1).max(100_000).default(2048),
  /** Upstream timeouts (defaults; each provider may override them under `timeouts`). */
  upstream_connect_timeout_ms: z.number().int().min(1).default(10_000),
  /** Until the upstream's response headers arrive (slow first tokens of large models count here). */
  upstream_first_byte_timeout_ms: z.number().int().min(1).default(300_000),
  /** Longest silence between two chunks of an upstream body. */
  upstream_idle_timeout_ms: z.number().int().min(1).default(120_000),
  /** Longest one whole upstream response may take, first byte to last (a stream dripping bytes ends here). */
  upstream_total_timeout_ms: z.number().int().min(1).default(600_000),
});

/** Provider types (presets); each speaks one wire protocol. */
export const PROVIDER_TYPE_NAMES = [
  'openai-compatible', 'openai', 'anthropic', 'gemini', 'ollama', 'lmstudio', 'cohere', 'mistral', 'groq', 'cerebras',
  'xai', 'deepinfra', 'together', 'perplexity', 'openrouter', 'llamacpp', 'localai', 'jan', 'gpt4all', 'vllm',
  'github-models', 'nvidia-nim',
] as const;

export const ProviderSchema = z.strictObject({
  name,
  type: z.enum(PROVIDER_TYPE_NAMES, { error: `must be one of: ${PROVIDER_TYPE_NAMES.join(', ')}` }),
  /** Defaults to the preset's base URL; required for `openai-compatible`. */
  base_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** Environment variable that holds the API key. Without it, the secret store is asked. */
  api_key_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  /** Extra headers sent upstream (not secrets: those belong in the secret store). */
  headers: z.record(z.string(), z.string()).default({}),
  enabled: z.boolean().default(true),
  /** Per-provider overrides of the server's upstream timeouts. */
  timeouts: z.strictObject({
    connect_ms: z.number().int().min(1).optional(),
    first_byte_ms: z.number().int().min(1).optional(),
    idle_ms: z.number().int().min(1).optional(),
    total_ms: z.number().int().min(1).optional(),
  }).optional(),
  /** Models to list when the upstream has no model list endpoint. */
  models: z.array(z.string().min(1)).default([]),
});

// MCP servers and the MCP access rules of strategies.
const envVarName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name');
/** A tool, prompt or resource pattern (`*` wildcards); resources match on their URI or URI template. */
const mcpPatternList = z.array(z.string().min(1).max(500));

/** One upstream MCP server. Secrets never sit here: `env_from`/`headers_from_env` name variables, or the secret store holds `mcp:<name>`. */
export const McpServerSchema = z.strictObject({
  /** Also the namespace of its tools and prompts (`<name>__<tool>`); may not contain `__`. */
  name: name.refine((n) => !n.includes('__'), 'may not contain "__" (the namespace separator)'),
  transport: z.enum(['stdio', 'streamable-http', 'sse']),
  /** stdio: the program and its arguments. */
  command: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  /** stdio: extra environment (not secrets); the server also gets a minimal safe environment (PATH, HOME...). */
  env: z.record(envVarName, z.string()).default({}),
  /** stdio: environment variables copied from the gateway's own environment, `{ NAME_FOR_SERVER: GATEWAY_VAR }`. */
  env_from: z.record(envVarName, envVarName).default({}),
  cwd: z.string().min(1).optional(),
  /** streamable-http and sse: the endpoint URL. */
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** Extra headers (not secrets). */
  headers: z.record(z.string(), z.string()).default({}),
  /** Header values taken from the gateway's environment, `{ Authorization: GITHUB_AUTH_HEADER }`. */
  headers_from_env: z.record(z.string(), envVarName).default({}),
  enabled: z.boolean().default(true),
  /** `lazy`: connect on first use; `start`: connect when the gateway starts. */
  connect: z.enum(['lazy', 'start']).default('lazy'),
  /** One upstream instance per client session instead of one shared by all (exact roots/sampling attribution, at the cost of a process or connection per session). */
  per_session: z.boolean().default(false),
  /** Per-request timeout; every progress notification from the server restarts it. */
  timeout_ms: z.number().int().min(100).max(86_400_000).default(60_000),
  /** Hard cap on one request even while progress keeps arriving; 0 = none. */
  max_total_timeout_ms: z.number().int().min(0).max(86_400_000).default(0),
  /** `auto`: each connect (stdio, streamable-http) asks `server/discover` first and serves a 2026-07-28 server statelessly; `legacy`: straight to `initialize` (for a server that misbehaves on a request before it). */
  protocol: z.enum(['auto', 'legacy']).default('auto'),
  /** Namespace override (defaults to `name`). */
  prefix: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).refine((p) => !p.includes('__'), 'may not contain "__"').optional(),
});

/** Gateway-wide MCP settings. */
export const McpSettingsSchema = z.strictObject({
  /** `always`: names are `<server>__<name>`; `never`: original names (single-server or conflict-free setups; a conflict keeps the first server's). */
  prefix: z.enum(['always', 'never']).default('always'),
  /** `forward`: an upstream's sampling request goes to the client session that caused it; `gateway`: LocalRouter answers it through its own LLM routing. */
  sampling: z.enum(['forward', 'gateway']).default('forward'),
  /** Model asked for when `sampling: gateway` and the request's model hints name no model the client may use. */
  sampling_model: z.string().min(1).default('localrouter/auto'),
  /** Items per page of merged lists (tools, prompts, resources, templates). */
  page_size: z.number().int().min(1).max(100_000).default(1000),
  /** A client session with no request and no open stream for this long is closed. */
  session_idle_ms: z.number().int().min(1000).default(30 * 60_000),
  max_sessions: z.number().int().min(1).max(100_000).default(1000),
  /** Sessions one client may hold; a new one past it replaces the client's least recently used session without a request in flight. */
  max_sessions_per_client: z.number().int().min(1).max(100_000).default(100),
  /** Requests of protocol 2026-07-28 (sessionless) one client may have in flight at once, listen streams apart; past it, 429. */
  max_requests_in_flight_per_client: z.number().int().min(1).max(100_000).default(256),
  /** `subscriptions/listen` streams (protocol 2026-07-28) one client may hold open at once; past it, 429. */
  max_listen_streams_per_client: z.number().int().min(1).max(1024).default(16),
  /** Restart backoff of a crashed upstream: first delay, doubled up to the cap. */
  restart_initial_ms: z.number().int().min(10).default(500),
  restart_max_ms: z.number().int().min(10).default(30_000),
  /** A connected upstream that answered nothing for this long is sent a `ping`; one that fails it is re-initialized. 0 = no health check. */
  health_interval_ms: z.number().int().min(0).max(86_400_000).default(30_000),
  /** How long a health-check `ping` may take. */
  health_timeout_ms: z.number().int().min(100).max(600_000).default(5_000),
  /**
   * Virtual servers: each is its own endpoint `/mcp/<name>` offering only the servers and tools it
   * names (within what the client's strategy allows): `servers` are server name patterns, `tools`
   * patterns on `<server>/<tool>` (upstream names).
   */
  virtual_servers: z.array(z.strictObject({
    name: name.refine((n) => n !== 'sse' && n !== 'messages', 'may not be "sse" or "messages" (the legacy endpoints under /mcp)'),
    servers: mcpPatternList.default(['*']),
    tools: mcpPatternList.default(['*']),
  })).default([]),
});

/** Allow/deny patterns for one kind of MCP item; the most specific matching pattern wins, deny on ties. */
export const McpRuleSchema = z.strictObject({
  allow: mcpPatternList.default(['*']),
  deny: mcpPatternList.default([]),
});

/** What a strategy's clients may use over /mcp. Absent = every server and everything on it. */
export const McpAccessSchema = z.strictObject({
  /** Server name patterns. */
  servers: mcpPatternList.default(['*']),
  deny_servers: mcpPatternList.default([]),
  /** Skill name patterns (a skill's tool is `skills__<name>`); absent: every skill. */
  skills: mcpPatternList.optional(),
  deny_skills: mcpPatternList.optional(),
  /** Per server: tool and prompt names (original, unprefixed) and resource URIs / URI templates. */
  per_server: z.record(z.string(), z.strictObject({
    tools: McpRuleSchema.optional(),
    prompts: McpRuleSchema.optional(),
    resources: McpRuleSchema.optional(),
  })).default({}),
  /**
   * Per-tool call limits, on top of the strategy's request limits (which MCP calls count against
   * too), counted per client: `tool` is a pattern (`*` wildcards) on the tool name as clients call it
   * (`<server>__<tool>` with prefix `always`); the calls of every tool one entry matches share its budget.
   */
  tool_limits: z.array(z.strictObject({
    tool: z.string().min(1).max(500),
    window: z.enum(['minute', 'hour', 'day']),
    max: z.number().int().positive(),
  })).default([]),
  /**
   * Tool shaping, keyed by the tool's name as clients would see it (`<server>__<tool>` with prefix
   * `always`): a new `name`, `title` or `description`, and `fixed_arguments` (set to these values on
   * every call, removed from the tool's input schema so clients neither see nor override them).
   */
  tools: z.record(z.string().min(1).max(500), z.strictObject({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,128}$/, 'must be 1-128 chars of A-Z, a-z, 0-9, "_", ".", "-"').optional(),
    title: z.string().max(1_000).optional(),
    description: z.string().max(20_000).optional(),
    fixed_arguments: z.record(z.string(), z.unknown()).default({}),
  })).default({}),
});

/**
 * Calls that wait for a person's approval (the dashboard's Approvals view, `/api/approvals`):
 * `tools` are patterns on the tool name as clients call it (`<server>__<tool>` with prefix `always`,
 * `skills__<name>` for skills, whose tool steps are asked for too); `allowed_tools` are tools called
 * without asking (an "always" answer adds the tool here); the most specific matching pattern wins,
 * `allowed_tools` on ties. A call nobody answers within `timeout_ms` is refused.
 */
export const AskSchema = z.strictObject({
  /** Tool patterns (`*` wildcards) on the name clients call (`<server>__<tool>`, `skills__<name>`) whose calls wait for approval. */
  tools: mcpPatternList.default([]),
  /** Tools called without asking; an "always" approval adds the tool here. */
  allowed_tools: mcpPatternList.default([]),
  /** Model patterns (`provider/model`, `*` wildcards; the model the client names) whose LLM requests wait for approval. */
  models: z.array(z.string().min(1).max(300)).default([]),
  /** Models requested without asking; an "always" approval adds the model here. */
  allowed_models: z.array(z.string().min(1).max(300)).default([]),
  /** How long a call waits for an answer before it is refused (LR_ERR_APPROVAL_TIMEOUT). */
  timeout_ms: z.number().int().min(1000).max(86_400_000).default(120_000),
});

/** Where skills are loaded from (see src/skills). */
export const SkillsSchema = z.strictObject({
  paths: z.array(z.string().min(1).max(4096)).max(100).default([]),
});

/** A model pattern: `*`, `provider/*`, `provider/model`, with `*` wildcards. */
const modelPattern = z.string().min(1).max(300);

/** One rate limit: at most `max` of `kind` per `window`. */
export const LimitSchema = z.strictObject({
  kind: z.enum(['requests', 'input_tokens', 'output_tokens', 'total_tokens', 'cost']),
  window: z.enum(['minute', 'hour', 'day']),
  /** Requests or tokens (whole numbers), or USD for `cost`. */
  max: z.number().positive(),
});

/** What `localrouter/auto` routes to. */
export const AutoSchema = z.strictObject({
  /** Prioritized candidates (fallback order) when no classifier splits strong/weak. */
  models: z.array(modelPattern).default([]),
  strong_models: z.array(modelPattern).default([]),
  weak_models: z.array(modelPattern).default([]),
  /** Classifier name (a file models/router-<name>.bin). */
  classifier: z.string().optional(),
  /** Route to the strong list iff the classifier score (0..1, expected gain of the strong model) >= threshold. */
  threshold: z.number().min(0).max(1).optional(),
  /** Or: the share of requests that should go to the strong list (calibrated). */
  strong_share: z.number().min(0).max(1).optional(),
});

/** What a client may use and how much; several clients can share one strategy. */
export const StrategySchema = z.strictObject({
  name,
  /** Allowed models; the most specific matching pattern of allow/deny wins, deny on ties. */
  allow: z.array(modelPattern).default(['*']),
  deny: z.array(modelPattern).default([]),
  /** Limits applied to each client of the strategy separately. */
  limits: z.array(LimitSchema).default([]),
  auto: AutoSchema.default(() => AutoSchema.parse({})),
  // MCP servers/tools/prompts/resources this strategy's clients may use; absent = all.
  mcp: McpAccessSchema.optional(),
  /** MCP tools and models whose calls wait for approval; absent = none. */
  ask: AskSchema.optional(),
});

export const ClientSchema = z.strictObject({
  id: z.string().regex(/^c_[A-Za-z0-9_-]{8,64}$/),
  name,
  /** SHA-256 of the full `lr-...` key, hex. The key itself is never stored. */
  key_hash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 hex digest'),
  /** First characters of the key, for display only. */
  key_prefix: z.string().max(16),
  enabled: z.boolean().default(true),
  created_at: z.string(),
  /** Model patterns the client may use: `provider/model`, `provider/*` or `*` (within its strategy's rules). */
  allowed_models: z.array(z.string().min(1)).default(['*']),
  /** The strategy it follows; the config's `default_strategy` when absent. */
  strategy: name.optional(),
  /** Limits of this client on top of its strategy's. */
  limits: z.array(LimitSchema).default([]),
  /**
   * Lets MCP clients log in as this client through the browser (OAuth authorization code with PKCE,
   * `client_id` = this `id`), each login approved by the admin on the gateway's consent page.
   * Redirects go to one of `redirect_uris` exactly, or to a loopback IP literal (`http://127.0.0.1`,
   * `http://[::1]`) on any port (RFC 8252 §7.3): with the address, path and query of a loopback URI
   * listed here if any is (its port is ignored), any path if none is. `localhost` only if listed:
   * listed without a port (`http://localhost/callback`), on any port with that path and query.
   */
  oauth_login: z.strictObject({
    redirect_uris: z.array(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).refine((u) => !u.includes('#'), 'must not have a fragment')).default([]),
  }).optional(),
});

const perMtok = z.number().finite().min(0).max(1_000_000);
/** A model's price in USD per million tokens, replacing the bundled catalog's. */
export const PriceOverrideSchema = z.strictObject({
  input_per_mtok: perMtok,
  output_per_mtok: perMtok,
  cached_input_per_mtok: perMtok.optional(),
  cache_write_per_mtok: perMtok.optional(),
  reasoning_per_mtok: perMtok.optional(),
});

/** Metrics, time series, the request log and the stats API (`<home>/localrouter.db`). */
export const MonitoringSchema = z.strictObject({
  /** Off: nothing is recorded, no store is opened, `/metrics` and the stats API answer empty. Read at start. */
  enabled: z.boolean().default(true),
  /** Days request log rows (and so `GET /v1/generation` records) are kept; at least 1. */
  log_retention_days: z.number().int().min(1).max(3650).default(30),
  /** Keep request and response bodies in the request log. Off by default: prompts stay out of the store. */
  log_bodies: z.boolean().default(false),
  /**
   * With `log_bodies`: the most bytes kept of each request and each response body. While more than
   * 64 MB of bodies wait to be written (a store that fell behind), rows are kept without their bodies
   * (counted in `localrouter_request_log_bodies_dropped_total`).
   */
  log_body_max_bytes: z.number().int().min(256).max(1_048_576).default(16_384),
  /** How often buffered log rows and time-series rollups are written to the store, in one transaction. */
  flush_interval_ms: z.number().int().min(50).max(60_000).default(250),
  /**
   * Size cap of the store (request log and rollups), MB: past it the oldest request log rows are
   * deleted in batches, down to 90% of it, besides the age cap (this one wins: records may go before
   * log_retention_days). A larger cap makes `/v1/generation` lookups by an upstream's answer id
   * proportionally slower (about 0.25 ms at 256 MB). Read at start.
   */
  log_max_mb: z.number().int().min(1).max(1_048_576).default(256),
});

export const ConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  server: ServerSchema.default(() => ServerSchema.parse({})),
  providers: z.array(ProviderSchema).default([]),
  clients: z.array(ClientSchema).default([]),
  /** Strategies; a `default` strategy allowing everything exists implicitly unless defined. */
  strategies: z.array(StrategySchema).default([]),
  default_strategy: name.default('default'),
  /** Per-model prices, keyed `provider/model`. */
  price_overrides: z.record(
    z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}\/.+$/, 'must be "<provider name>/<model id>"'),
    PriceOverrideSchema,
  ).default({}),
  monitoring: MonitoringSchema.default(() => MonitoringSchema.parse({})),
  // Upstream MCP servers behind /mcp, and the gateway-wide MCP settings.
  mcp_servers: z.array(McpServerSchema).default([]),
  mcp: McpSettingsSchema.default(() => McpSettingsSchema.parse({})),
  /** Skills: folders holding skill folders (or one skill folder each), loaded and watched by the MCP side. */
  skills: SkillsSchema.optional(),
  /**
   * A running gateway refuses to reload a file that leaves no providers or no clients where the
   * config in force had some (a truncated or emptied file), unless this is true. The CLI sets it
   * when its own edit empties one of those lists, and drops it once both have entries again.
   */
  allow_empty: z.boolean().optional(),
}).superRefine((cfg, ctx) => {
  uniqueNames(cfg.providers, 'providers', ctx);
  uniqueNames(cfg.clients, 'clients', ctx);
  uniqueNames(cfg.strategies, 'strategies', ctx);
  uniqueNames(cfg.mcp_servers, 'mcp_servers', ctx);
  cfg.mcp_servers.forEach((m, i) => checkMcpServer(m, i, ctx));
  const strategies = new Set(['default', ...cfg.strategies.map((s) => s.name)]);
  if (!strategies.has(cfg.default_strategy)) {
    ctx.addIssue({ code: 'custom', path: ['default_strategy'], message: `no strategy named "${cfg.default_strategy}"` });
  }
  cfg.clients.forEach((c, i) => {
    if (c.strategy !== undefined && !strategies.has(c.strategy)) {
      ctx.addIssue({ code: 'custom', path: ['clients', i, 'strategy'], message: `no strategy named "${c.strategy}"` });
    }
  });
  cfg.providers.forEach((p, i) => {
    if (p.type === 'openai-compatible' && p.base_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['providers', i, 'base_url'], message: 'is required for type openai-compatible' });
    }
  });
  for (const key of Object.keys(cfg.price_overrides)) {
    const provider = key.slice(0, key.indexOf('/'));
    if (!cfg.providers.some((p) => p.name === provider)) {
      ctx.addIssue({ code: 'custom', path: ['price_overrides', key], message: `no provider named "${provider}"` });
    }
  }
});

// Each MCP transport needs its own fields.
function checkMcpServer(m: z.infer<typeof McpServerSchema>, i: number, ctx: z.RefinementCtx): void {
  if (m.transport === 'stdio' && m.command === undefined) {
    ctx.addIssue({ code: 'custom', path: ['mcp_servers', i, 'command'], message: 'is required for transport stdio' });
  }
  if (m.transport !== 'stdio' && m.url === undefined) {
    ctx.addIssue({ code: 'custom', path: ['mcp_servers', i, 'url'], message: `is required for transport ${m.transport}` });
  }
}

function uniqueNames(items: { name: string }[], path: string, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name)) {
      ctx.addIssue({ code: 'custom', path: [path, i, 'name'], message: `duplicate name "${item.name}"` });
    }
    seen.add(item.name);
  });
}

export type Config = z.infer<typeof ConfigSchema>;
export type ServerConfig = z.infer<typeof ServerSchema>;
export type ProviderConfig = z.infer<typeof ProviderSchema>;
export type ClientConfig = z.infer<typeof ClientSchema>;
export type PriceOverride = z.infer<typeof PriceOverrideSchema>;
export type StrategyConfig = z.infer<typeof StrategySchema>;
export type LimitConfig = z.infer<typeof LimitSchema>;
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;
export type McpServerConfig = z.infer<typeof McpServerSchema>;
export type McpSettings = z.infer<typeof McpSettingsSchema>;
export type McpAccessConfig = z.infer<typeof McpAccessSchema>;
export type SkillsConfig = z.infer<typeof SkillsSchema>;
