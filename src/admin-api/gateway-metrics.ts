import type { Logger } from 'pino';
import type { HttpResponse } from 'uWebSockets.js';
import type { MonitoringConfig } from '../config/index.js';
import { classifyError, createRecord, MetricsRing, Monitoring, RECORD_KIND, renderPromFamilies, type PromFamily } from '../metrics/index.js';
import { AdminAuth, loadOrCreateAdminToken, writeResponse, type GatewayState, type RequestOutcome, type Routes } from '../ingress/index.js';
import { adminRoutes } from './admin-api.js';
import { LiveFeed } from './admin-live.js';
import { labelSafe } from '../model/index.js';
import { openApiRoute } from './openapi-route.js';

const RING_CAPACITY = 16_384;
/** Read once: `performance.timeOrigin` is a getter, and outcomes carry `performance.now()` times. */
const TIME_ORIGIN = performance.timeOrigin;
const BREAKER_STATES = ['closed', 'open', 'half_open'] as const;

export interface GatewayMetricsOptions {
  home: string;
  config: MonitoringConfig;
  log?: Logger;
  /** Epoch ms, for tests that move retention through time. */
  now?: () => number;
}

/**
 * The ingress side of monitoring. Per finished request it writes one ring record (plus one per
 * upstream attempt) and appends the outcome to the request log buffer: no allocation, no I/O, no
 * message. Everything else (draining, series, SQLite, retention) runs on {@link Monitoring}'s timers.
 * It also serves `/metrics`, the admin stats API and its live feed; `GET /v1/generation` (the LLM
 * front) reads the same {@link Monitoring}.
 */
export class GatewayMetrics {
  /** Null when `monitoring.enabled` is false. */
  readonly monitoring: Monitoring | null;
  readonly adminToken: string;
  /** The admin check every admin route of this gateway uses (token or dashboard session). */
  readonly adminAuth: AdminAuth;
  readonly #ring = MetricsRing.create(RING_CAPACITY);
  readonly #rec = createRecord();
  readonly #live: LiveFeed | null;
  #seq = 0;

  constructor(opts: GatewayMetricsOptions) {
    this.adminToken = loadOrCreateAdminToken(opts.home);
    this.adminAuth = new AdminAuth(this.adminToken);
    if (!opts.config.enabled) {
      this.monitoring = null;
      this.#live = null;
      return;
    }
    this.monitoring = Monitoring.open({
      home: opts.home,
      logRetentionDays: opts.config.log_retention_days,
      flushIntervalMs: opts.config.flush_interval_ms,
      logBodyMaxBytes: opts.config.log_bodies ? opts.config.log_body_max_bytes : 0,
      logMaxBytes: opts.config.log_max_mb * 1024 * 1024,
      // As for the provider actors' crash hook: only when the process was started for tests.
      testHooks: process.env.LOCALROUTER_TEST_HOOKS === '1',
      now: opts.now,
      // `err` goes to pino's error serializer: type, message and stack.
      onError: (what, err) => opts.log?.error({ err }, `monitoring: cannot ${what}`),
    });
    this.monitoring.aggregator.addRing('ingress', this.#ring);
    this.#live = new LiveFeed(this.monitoring, opts.now);
  }

  /** More families for `/metrics` from other parts of the gateway (the MCP side's skill runs). */
  readonly #sources: (() => PromFamily[])[] = [];

  /** Adds families to every `/metrics` answer. */
  addFamilies(source: () => PromFamily[]): void {
    this.#sources.push(source);
  }

  /** Gives the live feed the number of calls waiting for approval (the dashboard's badge). */
  countApprovals(count: () => number): void {
    if (this.#live !== null) this.#live.approvals = count;
  }

  /** Auto-routing decisions, `classifier|side` → count (a handful of keys: classifiers × 3 sides). */
  #routes = new Map<string, number>();

  #countRoute(classifier: string, side: string): void {
    const key = `${classifier}|${side}`;
    this.#routes.set(key, (this.#routes.get(key) ?? 0) + 1);
  }

  /** Hot path, once per finished request. */
  record(o: RequestOutcome): void {
    const m = this.monitoring;
    if (m === null) return;
    if (o.route) this.#countRoute(o.route.classifier, o.route.score === null ? 'strong_fallback' : o.route.side);
    const interner = m.interner;
    const r = this.#rec;
    const attempts = o.attempts;
    const requestId = ++this.#seq >>> 0;
    const startMs = TIME_ORIGIN + o.startMs;
    // Attempts first: each is one llmAttempt record, and their durations give the gateway overhead.
    let upstreamMs = 0;
    r.kind = RECORD_KIND.llmAttempt;
    r.requestId = requestId;
    r.startMs = startMs;
    r.ttftUs = 0;
    r.overheadUs = 0;
    r.promptTokens = r.completionTokens = r.cachedTokens = r.reasoningTokens = 0;
    r.costUsd = 0;
    r.unpriced = false;
    r.streamed = false;
    for (let i = 0; i < attempts.length; i++) {
      const a = attempts[i];
      upstreamMs += a.durationMs;
      r.attempt = i + 1;
      r.durationUs = Math.round(a.durationMs * 1000);
      r.status = a.status;
      r.errorClass = a.code === null ? 0 : classifyError(a.status, a.code);
      r.providerId = interner.id(a.provider);
      r.modelId = 0;
      this.#ring.write(r);
    }
    const last = attempts.length > 0 ? attempts[attempts.length - 1] : undefined;
    r.kind = RECORD_KIND.llmRequest;
    r.attempt = 0;
    r.durationUs = Math.round(o.durationMs * 1000);
    r.ttftUs = Math.round(o.ttftMs * 1000);
    r.overheadUs = attempts.length > 0 ? Math.max(1, Math.round((o.durationMs - upstreamMs) * 1000)) : 0;
    r.status = o.status;
    r.errorClass = classifyError(o.status, o.errorCode);
    r.streamed = o.streamed;
    r.clientId = o.client ? interner.id(o.client) : 0;
    // A request no candidate answered is counted against the provider and model tried last.
    r.providerId = o.provider ? interner.id(o.provider) : last ? interner.id(last.provider) : 0;
    r.modelId = o.model ? interner.id(o.model) : last ? interner.id(`${last.provider}/${last.model}`) : 0;
    r.strategyId = o.strategy ? interner.id(o.strategy) : 0;
    const u = o.usage;
    r.promptTokens = u ? u.input : 0;
    r.completionTokens = u ? u.output : 0;
    r.cachedTokens = u ? u.cacheRead : 0;
    r.reasoningTokens = u ? u.reasoning : 0;
    r.costUsd = o.costUsd ?? 0;
    // Usage with no cost: the model has no known price, so the cost is unknown rather than 0.
    r.unpriced = u !== null && o.costUsd === null;
    this.#ring.write(r);
    m.log.append(o);
  }

  /** `/metrics` and the admin stats API, for `buildRoutes`. */
  routes(): Routes {
    const auth = this.adminAuth;
    return {
      '/metrics': { get: (state, res) => this.serve(res, state) },
      '/api/openapi.json': { get: openApiRoute() },
      ...adminRoutes(this.monitoring, auth, this.#live),
    };
  }

  /** `GET /metrics`: Prometheus text format. */
  serve(res: HttpResponse, state: GatewayState): void {
    const m = this.monitoring;
    m?.aggregator.drainNow();
    const body = m === null ? renderPromFamilies(this.#health(state)) : m.prometheus.render(this.#health(state));
    writeResponse(res, 200, 'text/plain; version=0.0.4; charset=utf-8', body);
  }

  /** Stops the live feed, writes what is buffered and closes the store. */
  async close(): Promise<void> {
    this.#live?.close();
    await this.monitoring?.close();
  }

  /** Gauges and counters about the gateway itself: pool, breakers, rings, request log. */
  #health(state: GatewayState): PromFamily[] {
    const d = state.engine.stats();
    const m = this.monitoring;
    const rings = m?.aggregator.rings() ?? [];
    const providers = [...state.tables.providerTypes.keys()];
    const families: PromFamily[] = [
      {
        name: 'localrouter_auto_routes_total', help: 'Auto-routed requests by classifier and chosen side (strong_fallback: the classifier failed).', type: 'counter',
        samples: [...this.#routes].map(([key, n]) => { const [classifier, side] = key.split('|'); return [{ classifier: classifier!, side: side! }, n]; }),
      },
      { name: 'localrouter_inflight_requests', help: 'Client requests being served now.', type: 'gauge', samples: [[{}, state.open.size]] },
      { name: 'localrouter_actor_pool_actors', help: 'Provider actor threads (0 in inline mode).', type: 'gauge', samples: [[{ mode: d.mode }, d.actors]] },
      { name: 'localrouter_actor_pool_inflight', help: 'Upstream calls the actors are handling now.', type: 'gauge', samples: [[{}, d.inflight]] },
      { name: 'localrouter_actor_restarts_total', help: 'Provider actor threads restarted after a crash.', type: 'counter', samples: [[{}, d.restarts]] },
      {
        name: 'localrouter_breaker_state', help: 'Circuit breaker per provider (connection failures): 1 for its current state.', type: 'gauge',
        samples: providers.flatMap((p) => {
          const s = state.breakers.state(p);
          return BREAKER_STATES.map((k): [Record<string, string>, number] => [{ provider: p, state: k }, s === k ? 1 : 0]);
        }),
      },
      {
        name: 'localrouter_model_breaker_state', help: 'Circuit breaker per provider and model, for models whose breaker is not closed: 1 for its current state.', type: 'gauge',
        samples: state.breakers.entries().filter((e) => e.model !== null && e.state !== 'closed').flatMap((e) => {
          const labels = { provider: labelSafe(e.provider), model: labelSafe(e.model!) };
          return BREAKER_STATES.map((k): [Record<string, string>, number] => [{ ...labels, state: k }, e.state === k ? 1 : 0]);
        }),
      },
      { name: 'localrouter_metrics_ring_overflows_total', help: 'Metric records lost to a full ring.', type: 'counter', samples: rings.map((r) => [{ ring: r.label }, r.overflows]) },
      { name: 'localrouter_metrics_ring_pending', help: 'Metric records written and not yet drained.', type: 'gauge', samples: rings.map((r) => [{ ring: r.label }, r.pending]) },
      { name: 'localrouter_metrics_ring_capacity', help: 'Record slots per ring.', type: 'gauge', samples: rings.map((r) => [{ ring: r.label }, r.capacity]) },
      { name: 'localrouter_uptime_seconds', help: 'Seconds since the gateway started.', type: 'gauge', samples: [[{}, Math.round((Date.now() - state.startedAt) / 1000)]] },
    ];
    for (const source of this.#sources) families.push(...source());
    if (m !== null) {
      const store = m.storeHealth();
      families.push(
        { name: 'localrouter_request_log_pending', help: 'Request log rows waiting for the next batch write.', type: 'gauge', samples: [[{}, m.log.pending]] },
        { name: 'localrouter_request_log_written_total', help: 'Request log rows written.', type: 'counter', samples: [[{}, m.log.written]] },
        {
          name: 'localrouter_request_log_dropped_total', help: 'Request log rows lost (buffer full, a failed write, or written to a store file that was then deleted or replaced).',
          type: 'counter', samples: [[{}, m.log.dropped]],
        },
        {
          name: 'localrouter_request_log_bodies_dropped_total', help: 'Request log rows kept without their logged bodies because too many body bytes were waiting to be written.',
          type: 'counter', samples: [[{}, m.log.bodiesDropped]],
        },
        { name: 'localrouter_request_log_trimmed_total', help: 'Oldest request log rows deleted to keep the store under monitoring.log_max_mb.', type: 'counter', samples: [[{}, store.logTrimmed]] },
        { name: 'localrouter_store_errors_total', help: 'Failed monitoring store work (writes, reads, retention, file checks, writer thread deaths).', type: 'counter', samples: [[{}, store.errors]] },
        { name: 'localrouter_store_writer_restarts_total', help: 'Monitoring store writer threads started again after one died.', type: 'counter', samples: [[{}, store.writerRestarts]] },
        { name: 'localrouter_store_file_lost_total', help: 'Times the monitoring store file was found deleted or replaced (a fresh one is opened).', type: 'counter', samples: [[{}, store.fileLost]] },
      );
    }
    return families;
  }
}
