import type { HttpResponse } from 'uWebSockets.js';
import { createRecord, ERROR_CLASS, Interner, MetricsAggregator, MetricsRing, RECORD_KIND } from '../metrics/index.js';
import { ERROR_CODES, type ErrorCode } from '../errors/index.js';
import type { GatewayState, RequestOutcome } from './gateway-state.js';
import { writeResponse } from './http-io.js';

const RING_CAPACITY = 16_384;

/**
 * The ingress side of metrics: one ring written per finished request (no allocation, no message),
 * drained by the aggregator on a timer; `/metrics` renders its totals in the Prometheus text format.
 */
export class GatewayMetrics {
  readonly interner = new Interner();
  readonly aggregator = new MetricsAggregator({ intervalMs: 250 });
  #ring = MetricsRing.create(RING_CAPACITY);
  #rec = createRecord();
  #seq = 0;

  constructor() {
    this.aggregator.addRing('ingress', this.#ring);
    this.aggregator.start();
  }

  record(o: RequestOutcome): void {
    const r = this.#rec;
    r.kind = RECORD_KIND.llmRequest;
    r.requestId = ++this.#seq >>> 0;
    r.startMs = performance.timeOrigin + o.startMs;
    r.durationUs = Math.round(o.durationMs * 1000);
    r.ttftUs = Math.round(o.ttftMs * 1000);
    r.status = o.status;
    r.errorClass = errorClassOf(o.status, o.errorCode);
    r.streamed = o.streamed;
    r.clientId = o.client ? this.interner.id(o.client) : 0;
    r.providerId = o.provider ? this.interner.id(o.provider) : 0;
    r.modelId = o.model ? this.interner.id(o.model) : 0;
    const u = o.usage;
    r.promptTokens = u ? u[0] : 0;
    r.completionTokens = u ? u[1] : 0;
    r.cachedTokens = u ? u[2] : 0;
    r.reasoningTokens = u ? u[3] : 0;
    r.costUsd = o.costUsd ?? 0;
    this.#ring.write(r);
  }

  /** `GET /metrics`. */
  serve(res: HttpResponse, state: GatewayState): void {
    this.aggregator.drainNow();
    const s = this.aggregator.snapshot();
    const d = state.dispatcher.stats();
    const lines: string[] = [
      '# HELP localrouter_requests_total LLM requests answered, by HTTP status.',
      '# TYPE localrouter_requests_total counter',
      ...Object.entries(s.byStatus).map(([status, n]) => `localrouter_requests_total{status="${status}"} ${n}`),
      '# HELP localrouter_tokens_total Tokens reported by upstreams.',
      '# TYPE localrouter_tokens_total counter',
      `localrouter_tokens_total{kind="prompt"} ${s.promptTokens}`,
      `localrouter_tokens_total{kind="completion"} ${s.completionTokens}`,
      `localrouter_tokens_total{kind="cached"} ${s.cachedTokens}`,
      `localrouter_tokens_total{kind="reasoning"} ${s.reasoningTokens}`,
      '# HELP localrouter_cost_usd_total Cost of answered requests, from real usage and model prices.',
      '# TYPE localrouter_cost_usd_total counter',
      `localrouter_cost_usd_total ${s.costUsd}`,
      '# HELP localrouter_request_duration_seconds Request latency.',
      '# TYPE localrouter_request_duration_seconds summary',
      ...summary('localrouter_request_duration_seconds', s.latencyUs),
      '# HELP localrouter_ttft_seconds Time to first streamed byte.',
      '# TYPE localrouter_ttft_seconds summary',
      ...summary('localrouter_ttft_seconds', s.ttftUs),
      '# HELP localrouter_metrics_ring_overflows_total Metric records lost to a full ring.',
      '# TYPE localrouter_metrics_ring_overflows_total counter',
      `localrouter_metrics_ring_overflows_total ${s.overflows}`,
      '# HELP localrouter_actor_restarts_total Provider actor threads restarted after a crash.',
      '# TYPE localrouter_actor_restarts_total counter',
      `localrouter_actor_restarts_total ${d.restarts}`,
      '# HELP localrouter_inflight_requests Requests being served now.',
      '# TYPE localrouter_inflight_requests gauge',
      `localrouter_inflight_requests ${state.open.size}`,
    ];
    writeResponse(res, 200, 'text/plain; version=0.0.4', lines.join('\n') + '\n');
  }

  close(): void {
    this.aggregator.stop();
  }
}

function summary(name: string, l: { p50: number; p90: number; p99: number; count: number }): string[] {
  // No _sum: the skeleton keeps percentiles and counts only (the monitoring issue adds histograms).
  return [
    `${name}{quantile="0.5"} ${l.p50 / 1e6}`,
    `${name}{quantile="0.9"} ${l.p90 / 1e6}`,
    `${name}{quantile="0.99"} ${l.p99 / 1e6}`,
    `${name}_count ${l.count}`,
  ];
}

/** Upstream 4xx passed through count as upstream errors; our own codes say what failed. */
function errorClassOf(status: number, code: ErrorCode | null): number {
  if (status === 499) return ERROR_CLASS.cancelled;
  if (code !== null) {
    if (code === 'LR_ERR_UPSTREAM_STATUS') return ERROR_CLASS.upstreamStatus;
    if (code === 'LR_ERR_UPSTREAM_UNREACHABLE' || code === 'LR_ERR_UPSTREAM_BAD_RESPONSE') return ERROR_CLASS.upstreamUnreachable;
    if (code === 'LR_ERR_UPSTREAM_TIMEOUT') return ERROR_CLASS.timeout;
    return ERROR_CODES[code].status >= 500 ? ERROR_CLASS.internal : ERROR_CLASS.client;
  }
  if (status < 400) return ERROR_CLASS.none;
  return ERROR_CLASS.upstreamStatus;
}
