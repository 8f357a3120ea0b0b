import type { HttpRequest } from 'uWebSockets.js';
import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import {
  DIMENSIONS, MAX_LOG_TEXT_QUERY, SERIES_METRICS, emptyBucket, parseDuration, viewBucket, type Dimension, type Monitoring, type RequestLogFilter, type SeriesMetric,
} from '../metrics/index.js';
import { writeError, writeJson, type AdminAuth, type GatewayState, type RouteHandler } from '../ingress/index.js';
import type { LiveFeed } from './admin-live.js';

type Routes = Record<string, Partial<Record<'get', RouteHandler>>>;
type Handler = (m: Monitoring, q: URLSearchParams, state: GatewayState) => unknown;

const DEFAULT_RANGE = '1h';
const TOP_N = 50;

/**
 * The admin JSON API for the dashboard, all `GET`, all behind the admin token (a client `lr-` key
 * gets 403, no token 401):
 * - `/api/stats/summary?range=1h`: totals, percentiles and the top clients, providers, models;
 * - `/api/stats/timeseries?metric=&dimension=&id=&range=&step=`: one series as points;
 * - `/api/logs?since=&client=&provider=&model=&server=&tool=&kind=mcp|llm&status=&q=&limit=&before=&after=`: request log rows
 *   (MCP calls have `op` `mcp:<method>` and their `server` and `tool`; `q` searches ids, errors and logged bodies);
 * - `/api/stats/live`: server-sent events, one per-second aggregate per second.
 */
export function adminRoutes(monitoring: Monitoring | null, auth: AdminAuth, live: LiveFeed | null): Routes {
  // Handlers may return a promise (the log waits for the writer): everything is read from `req`
  // before the first await, and nothing is written after the client went away.
  const guarded = (handler: Handler): RouteHandler => (state, res, req, cors) => {
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const fail = (err: unknown): void => { if (!aborted) writeError(res, toLocalRouterError(err), cors); };
    try {
      auth.checkRequest(req, state.tables.clients);
      if (monitoring === null) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'monitoring is off (monitoring.enabled: false in the config)');
      Promise.resolve(handler(monitoring, query(req), state)).then((body) => { if (!aborted) writeJson(res, 200, body, cors); }, fail);
    } catch (err) {
      fail(err);
    }
  };
  return {
    '/api/stats/summary': { get: guarded(summary) },
    '/api/stats/timeseries': { get: guarded(timeseries) },
    '/api/logs': { get: guarded(logs) },
    '/api/stats/live': {
      get: (state, res, req, cors) => {
        try {
          auth.checkRequest(req, state.tables.clients);
          if (live === null) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'monitoring is off (monitoring.enabled: false in the config)');
          live.subscribe(res, cors, () => state.open.size);
        } catch (err) {
          writeError(res, toLocalRouterError(err), cors);
        }
      },
    },
  };
}

function query(req: HttpRequest): URLSearchParams {
  return new URLSearchParams(req.getQuery() ?? '');
}

function summary(m: Monitoring, q: URLSearchParams, state: GatewayState): unknown {
  const rangeMs = parseDuration(q.get('range') ?? DEFAULT_RANGE);
  m.aggregator.drainNow();
  const top = (dimension: Dimension) => [...m.series.totals(dimension, rangeMs)]
    .sort((a, b) => b[1].requests - a[1].requests)
    .slice(0, TOP_N)
    .map(([key, bucket]) => ({ key, ...viewBucket(bucket) }));
  const total = m.series.totals('all', rangeMs).get('');
  const s = m.aggregator.snapshot();
  const d = state.engine.stats();
  return {
    range_ms: rangeMs,
    generated_at: new Date().toISOString(),
    totals: viewBucket(total ?? emptyBucket()),
    by_client: top('client'),
    by_provider: top('provider'),
    by_model: top('model'),
    by_strategy: top('strategy'),
    // MCP calls (tools/call, resources/read, prompts/get and lists): by upstream server and by `<server>/<tool>`.
    by_server: top('server'),
    by_tool: top('tool'),
    since_start: {
      requests: s.requests, errors: s.errors, by_status: s.byStatus, by_error_class: s.byErrorClass, attempts: s.attempts,
      mcp_calls: s.mcpCalls, mcp_errors: s.mcpErrors,
      prompt_tokens: s.promptTokens, completion_tokens: s.completionTokens, cost_usd: s.costUsd, unpriced_requests: s.unpricedRequests,
      latency_ms: { p50: s.latencyUs.p50 / 1000, p90: s.latencyUs.p90 / 1000, p99: s.latencyUs.p99 / 1000 },
      ttft_ms: { p50: s.ttftUs.p50 / 1000, p90: s.ttftUs.p90 / 1000, p99: s.ttftUs.p99 / 1000 },
      overhead_ms: { p50: s.overheadUs.p50 / 1000, p90: s.overheadUs.p90 / 1000, p99: s.overheadUs.p99 / 1000 },
    },
    health: {
      uptime_s: Math.round((Date.now() - state.startedAt) / 1000),
      inflight: state.open.size,
      execution: d.mode, actors: d.actors, actor_restarts: d.restarts,
      ring_overflows: s.overflows,
      log_pending: m.log.pending, log_dropped: m.log.dropped, log_bodies_dropped: m.log.bodiesDropped,
      breakers: Object.fromEntries([...state.tables.providerTypes.keys()].map((p) => [p, state.breakers.state(p)])),
    },
  };
}

function oneOf<T extends string>(value: string | null, allowed: readonly T[], param: string, fallback: T): T {
  if (value === null || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${param} must be one of: ${allowed.join(', ')}`, { param });
  }
  return value as T;
}

function timeseries(m: Monitoring, q: URLSearchParams): unknown {
  const metric = oneOf<SeriesMetric | 'all'>(q.get('metric'), [...SERIES_METRICS, 'all'], 'metric', 'requests');
  const dimension = oneOf(q.get('dimension'), DIMENSIONS, 'dimension', 'all');
  const id = q.get('id') ?? '';
  if (dimension !== 'all' && id === '') throw new LocalRouterError('LR_ERR_BAD_REQUEST', `id is required with dimension=${dimension} (the ${dimension} name)`, { param: 'id' });
  const rangeMs = parseDuration(q.get('range') ?? DEFAULT_RANGE);
  const step = q.get('step');
  const stepMs = step === null || step === '' ? undefined : parseDuration(step, 'step');
  m.aggregator.drainNow();
  const spec = { dimension, key: id, rangeMs, stepMs };
  const out = metric === 'all' ? m.series.query(spec, 'all') : m.series.query(spec, metric);
  return { metric, dimension, id: dimension === 'all' ? null : id, range_ms: rangeMs, step_ms: out.stepMs, resolution: out.resolution, points: out.points };
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${name} must be a non-negative integer`, { param: name });
  return Number(v);
}

/** `since`/`until`: a duration back from now (`1h`) or an ISO time / epoch ms. */
function timeParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (/^\d{10,}$/.test(v)) return Number(v);
  const iso = Date.parse(v);
  if (/^\d{4}-/.test(v) && Number.isFinite(iso)) return iso;
  return Date.now() - parseDuration(v, name);
}

async function logs(m: Monitoring, q: URLSearchParams): Promise<unknown> {
  const status = q.get('status');
  let statusFilter: RequestLogFilter['status'];
  if (status === 'ok' || status === 'error') statusFilter = status;
  else if (status !== null && status !== '') {
    if (!/^\d{3}$/.test(status)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'status must be an HTTP status, "ok" or "error"', { param: 'status' });
    statusFilter = Number(status);
  }
  const text = q.get('q') ?? '';
  if (text.length > MAX_LOG_TEXT_QUERY) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `q must be at most ${MAX_LOG_TEXT_QUERY} characters`, { param: 'q' });
  const filter: RequestLogFilter = {
    sinceMs: timeParam(q, 'since'), untilMs: timeParam(q, 'until'),
    client: q.get('client') ?? undefined, provider: q.get('provider') ?? undefined, model: q.get('model') ?? undefined,
    server: q.get('server') ?? undefined, tool: q.get('tool') ?? undefined, kind: oneOf<'mcp' | 'llm' | ''>(q.get('kind'), ['mcp', 'llm'], 'kind', '') || undefined,
    status: statusFilter, limit: intParam(q, 'limit'), beforeSeq: intParam(q, 'before'), afterSeq: intParam(q, 'after'),
    bodies: q.get('bodies') === '1' || q.get('bodies') === 'true', text: text === '' ? undefined : text,
  };
  const rows = await m.queryLog(filter);
  const last = rows.at(-1);
  return { data: rows, next_before: filter.afterSeq === undefined && last !== undefined ? last.seq : null };
}
