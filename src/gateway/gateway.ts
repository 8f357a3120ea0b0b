import path from 'node:path';
import os from 'node:os';
import uWS from 'uWebSockets.js';
import pino, { type Logger } from 'pino';
import { acquireInstanceLock, packageVersion, ConfigWatcher, configPath, loadOrCreateConfig, logBodyBytesOf, settingsForNextStart, type Config, type InstanceLock } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { LiveSet, type ProviderRuntime, type UpstreamEngine } from '../model/index.js';
import { acceptBody, getPreset, loadProviderEngine, ModelDirectory } from '../providers/index.js';
import { openSecretStore, type SecretStore } from '../secrets/index.js';
import { CircuitBreakers, LimitStore, logBreakerTransitions, RateLimiter, recordAttempt } from '../routing/index.js';
import { ActorPool, type ActorPoolOptions } from '../workers/index.js';
import { adminTokenPath, buildRoutes, createApp, oauthRoutes, TokenSigner, type GatewayState, type RequestOutcome } from '../ingress/index.js';
import { callForAnswer, llmRoutes } from '../llm-api/index.js';
import { mcpMetricsOf, startMcpGateway } from '../mcp-api/index.js';
import { dashboardRoutes, GatewayMetrics, loginUrl, startLoginCode } from '../admin-api/index.js';
import { ClassifierPool } from './classifier-pool.js';
import { OnDemandEngine } from './on-demand-engine.js';
import { AUTO_INLINE_MAX_CORES, AutoEngine } from './auto-engine.js';
import { buildGatewayTables } from './gateway-tables.js';

export interface StartGatewayOptions {
  home: string;
  host?: string;
  port?: number;
  logger?: Logger;
  /**
   * Installs the process's last-resort handlers (uncaught exceptions, unhandled rejections): logged
   * with their stack and counted, the process stays up. For `serve`; a host process embedding the
   * gateway (tests) keeps its own.
   */
  lastResort?: boolean;
  /** Called with each finished LLM request after it is recorded (`serve --access-log`); what it throws is logged, not raised. */
  onRequestDone?: (outcome: RequestOutcome) => void;
  /** Cores `execution: auto` plans for (default: `os.availableParallelism()`; see `AUTO_INLINE_MAX_CORES`). */
  cores?: number;
}

export interface Gateway {
  host: string;
  port: number;
  /** Stops accepting, lets open requests finish up to `server.shutdown_grace_ms`, then closes. */
  close(): Promise<void>;
  /** Live state, for tests and the admin surface. */
  readonly state: GatewayState;
  readonly metrics: GatewayMetrics;
  /** A new one-time dashboard login URL (valid for a day, works once). */
  dashboardLoginUrl(): string;
  /** Where provider secrets are kept: the OS keychain or the encrypted file in the data dir. */
  readonly secretsBackend: 'keychain' | 'file';
  /** The admin API's token file (`<home>/admin-token`). */
  readonly adminTokenFile: string;
  /** The config in force (the file's content at start, then each valid reload). */
  readonly config: Config;
  /** Every route served, by path (`/a/*` takes what is below `/a/`), with its methods: what docs/openapi.json must describe. */
  readonly routes: ReadonlyMap<string, readonly string[]>;
}

const VERSION = packageVersion();

/**
 * Starts LocalRouter: loads (or creates) the config, opens the secret store, starts the provider
 * actors, listens, and hot-reloads the config file when it changes.
 */
export async function startGateway(opts: StartGatewayOptions): Promise<Gateway> {
  assertNativeUws();
  const log = opts.logger ?? pino({ level: process.env.LOCALROUTER_LOG_LEVEL ?? 'info', base: undefined }, pino.destination(2));
  let config = loadOrCreateConfig(opts.home);
  const instance = acquireInstanceLock(opts.home);
  try {
    return await runGateway(opts, log, config, instance);
  } catch (err) {
    instance.release();
    throw err;
  }
}

async function runGateway(opts: StartGatewayOptions, log: Logger, initial: Config, instance: InstanceLock): Promise<Gateway> {
  const file = configPath(opts.home);
  let config = initial;
  const secrets = openSecretStore(opts.home);
  const testHooks = process.env.LOCALROUTER_TEST_HOOKS === '1';

  const engine = await createEngine(config.server.execution, {
    actors: config.server.actors,
    providers: providerRuntimes(config, secrets, log),
    testHooks,
    onCrash: (info) => log.error(info, 'provider actor crashed; restarted'),
  }, () => state.open.size, opts.cores ?? os.availableParallelism());
  const directory = new ModelDirectory((provider) => fetchModelIds(engine, provider));
  directory.setProviders(enabledProviders(config));
  // Warm the model lists so bare model ids resolve from the first request on.
  void directory.list();
  const metrics = new GatewayMetrics({ home: opts.home, config: config.monitoring, log });

  const limiter = new RateLimiter();
  const tokens = TokenSigner.forHome(opts.home);
  const classifiers = new ClassifierPool(config.server.classifier_timeout_ms, (name, event) => log.warn({ classifier: name, event }, 'classifier fell back to the strong side'));
  classifiers.warm(namedClassifiers(config));
  const limitStore = new LimitStore(opts.home, limiter, log);
  limitStore.open();
  const breakers = new CircuitBreakers({
    threshold: config.server.breaker_failure_threshold, cooldownMs: config.server.breaker_cooldown_ms,
    maxRetryAfterMs: config.server.max_retry_after_ms, onTransition: logBreakerTransitions(log),
  });

  const state: GatewayState = {
    tables: buildGatewayTables(config, tokens),
    directory,
    engine,
    testHooks,
    reportInternal: (err, context) => log.error({ err, context }, 'internal error'),
    faults: 0,
    shuttingDown: false,
    open: new LiveSet(),
    startedAt: Date.now(),
    version: VERSION,
    onRequestDone: requestObserver(metrics, opts.onRequestDone, log),
    logBodyBytes: logBodyBytesOf(config),
    limiter,
    classifiers,
    tokens,
    breakers,
    onAttempt: (attempt) => recordAttempt(breakers, attempt),
  };

  const removeLastResort = opts.lastResort ? installLastResort(state, log) : () => {};
  // /mcp, legacy /sse + /messages and GET /api/mcp/servers; the MCP actor starts with the first session.
  const mcp = startMcpGateway({ config, secrets, version: VERSION, log, state: () => state, adminToken: metrics.adminToken, adminAuth: metrics.adminAuth, metrics: mcpMetricsOf(metrics.monitoring), monitoring: metrics.monitoring, testHooks, configFile: file });
  metrics.addFamilies(() => mcp.skillFamilies());
  metrics.countApprovals(() => mcp.pendingApprovals());
  state.askModel = mcp.askModel;
  // The dashboard's routes include `GET /api/providers` (provider health) and the config-editing calls.
  const dashboard = dashboardRoutes({ auth: metrics.adminAuth, configFile: file, secrets, listModels: (provider) => fetchModelIds(engine, provider) });
  const routes = buildRoutes(llmRoutes(metrics.monitoring), mcp.routes(), metrics.routes(), dashboard, oauthRoutes(metrics.adminAuth));
  const app = createApp(state, routes);
  // Listen while the actor threads load their modules: a call made before an actor is ready waits in
  // its port, so /health answers at once and nothing is refused; startGateway resolves once they are.
  const host = opts.host ?? config.server.host;
  const listenSocket = await listen(app, host, opts.port ?? config.server.port);
  const port = uWS.us_socket_local_port(listenSocket);
  metrics.adminAuth.sessions.bindPort(port);
  instance.listening(host, port);
  await engine.ready();
  mcp.warm();
  log.info({ host, port, runs: process.env.LOCALROUTER_RUNS ?? 'src', execution: engine.mode, secrets: secrets.backend, providers: config.providers.length, clients: config.clients.length }, 'listening');

  const watcher = new ConfigWatcher(file, (next) => {
    config = next;
    state.tables = buildGatewayTables(next, tokens);
    classifiers.warm(namedClassifiers(next));
    breakers.configure(next.server.breaker_failure_threshold, next.server.breaker_cooldown_ms, next.server.max_retry_after_ms);
    engine.setProviders(providerRuntimes(next, secrets, log));
    mcp.reconfigure(next);
    directory.setProviders(enabledProviders(next));
    void directory.list();
    const bodyBytes = logBodyBytesOf(next, metrics.monitoring !== null);
    state.logBodyBytes = bodyBytes;
    metrics.monitoring?.log.setBodyMaxBytes(bodyBytes);
    // Against the config the gateway started with: that is what runs until the next start.
    const later = settingsForNextStart(initial, next);
    if (later.length > 0) log.warn({ settings: later }, `the new ${later.join(', ')} take${later.length === 1 ? 's' : ''} effect at the next start`);
    log.info({ providers: next.providers.length, clients: next.clients.length }, 'config reloaded');
  }, (err) => log.error({ err: err.message }, 'config change rejected; the previous config stays in force'), config);

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      state.shuttingDown = true;
      uWS.us_listen_socket_close(listenSocket);
      watcher.close();
      const deadline = Date.now() + config.server.shutdown_grace_ms;
      while (state.open.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (state.open.size > 0) {
        log.warn({ open: state.open.size }, 'shutdown grace period over; closing open requests');
        const err = new LocalRouterError('LR_ERR_SHUTTING_DOWN', 'the gateway shut down before this request finished').toPlain();
        for (const ex of [...state.open]) ex.terminate(err);
      }
      await mcp.close();
      await engine.close();
      await classifiers.close();
      limitStore.close();
      await metrics.close(); // waits for the store writer thread
      instance.release();
      removeLastResort();
      log.info('stopped');
    })();
    return closing;
  };
  const origin = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;
  return { host, port, close, state, metrics, secretsBackend: secrets.backend, adminTokenFile: adminTokenPath(opts.home), get config() { return config; },
    routes: new Map([...routes].map(([p, methods]) => [p, Object.keys(methods)])), dashboardLoginUrl: () => loginUrl(origin, startLoginCode(metrics.adminAuth)) };
}

/** Records each finished request, then hands it to the embedder's observer, whose faults stay its own. */
function requestObserver(metrics: GatewayMetrics, observer: ((o: RequestOutcome) => void) | undefined, log: Logger): (o: RequestOutcome) => void {
  if (observer === undefined) return (outcome) => metrics.record(outcome);
  return (outcome) => {
    metrics.record(outcome);
    try {
      observer(outcome);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'request observer failed');
    }
  };
}

/**
 * An error no handler caught must not take every open stream down with the process: it is logged with
 * its stack and counted (`/health` shows `faults`), and the gateway keeps serving. Returns the remover.
 */
function installLastResort(state: GatewayState, log: Logger): () => void {
  const onException = (err: Error, origin: string): void => {
    state.faults++;
    log.error({ err, origin }, 'uncaught exception; the gateway keeps running');
  };
  const onRejection = (reason: unknown): void => {
    state.faults++;
    log.error({ err: reason instanceof Error ? reason : new Error(String(reason)) }, 'unhandled promise rejection; the gateway keeps running');
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('uncaughtException', onException);
    process.off('unhandledRejection', onRejection);
  };
}

function namedClassifiers(config: Config): Set<string> {
  return new Set(config.strategies.map((s) => s.auto.classifier).filter((c): c is string => c !== undefined));
}

function assertNativeUws(): void {
  // The JS fallback of this uWS build is slow and silently different; refuse it rather than limp.
  if (typeof (uWS as unknown as { getParts?: unknown }).getParts !== 'function') {
    throw new LocalRouterError('LR_ERR_INTERNAL', `uWebSockets.js native binary not available for Node ${process.version}; LocalRouter needs Node 20 (see .nvmrc)`);
  }
}

/** uWS takes `(host, port, options, cb)` though its typings list options only without a host. */
interface ExclusiveListen {
  listen(host: string, port: number, options: number, cb: (socket: uWS.us_listen_socket | false) => void): void;
}
const LIBUS_LISTEN_EXCLUSIVE_PORT = 1;

function listen(app: uWS.TemplatedApp, host: string, port: number): Promise<uWS.us_listen_socket> {
  return new Promise((resolve, reject) => {
    // Exclusive: without it uWS sets SO_REUSEPORT, and a second gateway would share the port silently.
    (app as unknown as ExclusiveListen).listen(host, port, LIBUS_LISTEN_EXCLUSIVE_PORT, (socket) => {
      if (socket) resolve(socket);
      else reject(new LocalRouterError('LR_ERR_ALREADY_RUNNING', `cannot listen on ${host}:${port}: the address is in use (another LocalRouter or another program) or not available`));
    });
  });
}

function enabledProviders(config: Config): { name: string; models: string[] }[] {
  return config.providers.filter((p) => p.enabled).map((p) => ({ name: p.name, models: p.models }));
}

/**
 * Providers as the actors need them: preset defaults filled in (base URL, protocol, headers) and the
 * API key resolved from `api_key_env`, else the secret store, else the preset's usual variable.
 */
export function providerRuntimes(config: Config, secrets: SecretStore, log: Logger): ProviderRuntime[] {
  return config.providers.filter((p) => p.enabled).map((p) => {
    const preset = getPreset(p.type)!;
    return {
      name: p.name, type: p.type, protocol: preset.protocol, baseUrl: (p.base_url ?? preset.base_url)!,
      prices: pricesOf(config, p.name),
      apiKey: resolveApiKey(p, preset.key_env, secrets, log),
      headers: { ...preset.default_headers, ...p.headers },
      connectTimeoutMs: p.timeouts?.connect_ms ?? config.server.upstream_connect_timeout_ms,
      maxConnections: config.server.upstream_max_connections,
      firstByteTimeoutMs: p.timeouts?.first_byte_ms ?? config.server.upstream_first_byte_timeout_ms,
      idleTimeoutMs: p.timeouts?.idle_ms ?? config.server.upstream_idle_timeout_ms,
      totalTimeoutMs: p.timeouts?.total_ms ?? config.server.upstream_total_timeout_ms,
    };
  });
}

function pricesOf(config: Config, provider: string): ProviderRuntime['prices'] {
  const out: ProviderRuntime['prices'] = {};
  const prefix = `${provider}/`;
  for (const [key, price] of Object.entries(config.price_overrides)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = price;
  return out;
}

function resolveApiKey(p: Config['providers'][number], presetEnv: string | null, secrets: SecretStore, log: Logger): string | null {
  if (p.api_key_env) {
    const key = process.env[p.api_key_env];
    if (key === undefined) log.warn({ provider: p.name, env: p.api_key_env }, 'API key environment variable is not set');
    return key ?? null;
  }
  try {
    const stored = secrets.get(`provider:${p.name}`);
    if (stored !== undefined) return stored;
  } catch (err) {
    log.error({ provider: p.name, err: (err as Error).message }, 'cannot read the provider API key from the secret store');
  }
  return (presetEnv ? process.env[presetEnv] : undefined) ?? null;
}

/**
 * The engine for a configured execution mode: actor threads (started once a provider is configured),
 * the provider engine on this thread, or both (`auto`). The provider engine (undici, the upstream
 * call) is loaded on this thread before listening in inline mode, in the background once a provider
 * exists in auto mode, and never in workers mode. On a machine of `AUTO_INLINE_MAX_CORES` cores or
 * fewer, `auto` runs every call on this thread: its engine is loaded before listening (once a
 * provider exists) and the actors start only if a call ever needs one.
 */
async function createEngine(mode: 'auto' | 'workers' | 'inline', opts: ActorPoolOptions, openRequests: () => number, cores: number): Promise<UpstreamEngine> {
  const small = cores <= AUTO_INLINE_MAX_CORES;
  const actors = (lazy = false): UpstreamEngine => new OnDemandEngine(opts.providers, (providers) => new ActorPool({ ...opts, providers, onMemory: acceptBody }), { lazy });
  if (mode === 'workers') return actors();
  if (mode === 'auto') {
    const auto = new AutoEngine(opts.providers, actors(small), async (providers) => new (await loadProviderEngine())(providers), openRequests,
      undefined, { everyCallLocal: small });
    if (small) await auto.localReady();
    return auto;
  }
  const ProviderEngine = await loadProviderEngine();
  return new ProviderEngine(opts.providers);
}

/** Asks a provider for its model list (`GET /models`) through the engine, like any upstream call. */
async function fetchModelIds(engine: UpstreamEngine, provider: string): Promise<string[]> {
  const answer = await callForAnswer(engine, {
    candidates: [{ provider, model: '' }], op: 'models', body: null, stream: false, clientWantsUsage: false, dialect: 'chat', meta: null,
  });
  if (answer.status < 200 || answer.status >= 300) throw new Error(`GET /models returned ${answer.status}`);
  try {
    const parsed = JSON.parse(answer.body) as { data?: { id?: unknown }[]; models?: { name?: unknown }[] };
    return (parsed.data ?? []).map((m) => m.id).filter((id): id is string => typeof id === 'string');
  } catch {
    throw new Error('GET /models returned invalid JSON');
  }
}
