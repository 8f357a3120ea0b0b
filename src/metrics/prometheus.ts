import type { Interner } from './interner.js';
import { ERROR_CLASS, RECORD_KIND, type RequestRecord } from './request-record.js';
import { ERROR_CLASS_NAMES } from './series-bucket.js';

/** Latency buckets, seconds: the Prometheus client defaults, extended for long LLM answers. */
export const LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;
/** The gateway's own time per request is sub-millisecond when healthy. */
export const OVERHEAD_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1] as const;

const ID_LIMIT = 2 ** 17;
const OTHER = -1;
const NANO = 1e9;

/** A metric family the caller adds to the exposition (gauges from the pool, breakers, stores...). */
export interface PromFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: [labels: Record<string, string>, value: number][];
}

class PromHistogram {
  readonly #boundsUs: number[];
  readonly counts: number[];
  sumUs = 0;
  count = 0;
  constructor(boundsS: readonly number[]) {
    this.#boundsUs = boundsS.map((b) => b * 1e6);
    this.counts = new Array<number>(boundsS.length).fill(0);
  }
  record(us: number): void {
    this.count++;
    this.sumUs += us;
    const b = this.#boundsUs;
    for (let i = 0; i < b.length; i++) {
      if (us <= b[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
}

interface RequestSeries { client: number; model: number; provider: number; status: number; n: number }
interface UsageSeries {
  client: number; model: number; provider: number; prompt: number; completion: number; cached: number; reasoning: number; costNano: number;
  /** Requests priced, and requests whose model had no known price (their cost is unknown, not 0). */
  priced: number; unpriced: number;
}

/**
 * Prometheus counters and histograms, fed by the aggregator one record at a time. Labels come from
 * interned ids and are bounded: each family holds at most `maxSeries` label sets, and further ones
 * are counted under `(other)` rather than growing the exposition without limit.
 */
export class PrometheusExporter {
  readonly #interner: Interner;
  readonly #maxSeries: number;
  readonly #requests = new Map<number, RequestSeries>();
  readonly #usage = new Map<number, UsageSeries>();
  readonly #errors = new Map<number, { provider: number; cls: number; n: number }>();
  readonly #attempts = new Map<number, { provider: number; ok: boolean; n: number }>();
  readonly #latency = new Map<number, PromHistogram>();
  readonly #ttft = new Map<number, PromHistogram>();
  readonly #overhead = new PromHistogram(OVERHEAD_BUCKETS_S);
  readonly #mcpCalls = new Map<number, { server: number; tool: number; status: number; n: number }>();
  readonly #mcpErrors = new Map<number, { server: number; tool: number; cls: number; n: number }>();
  readonly #mcpLatency = new Map<number, { server: number; tool: number; h: PromHistogram }>();

  constructor(opts: { interner: Interner; maxSeries?: number }) {
    this.#interner = opts.interner;
    this.#maxSeries = opts.maxSeries ?? 2000;
  }

  /** Aggregator sink. */
  readonly record = (rec: RequestRecord): void => {
    if (rec.kind === RECORD_KIND.mcpCall) return this.#recordMcp(rec);
    if (rec.kind === RECORD_KIND.llmAttempt) {
      const ok = rec.errorClass === ERROR_CLASS.none;
      const p = bounded(rec.providerId);
      const a = this.#slot(this.#attempts, p * 2 + (ok ? 1 : 0), () => ({ provider: p, ok, n: 0 }), () => ({ provider: OTHER, ok, n: 0 }), ok ? -1 : -2);
      a.n++;
      return;
    }
    if (rec.kind !== RECORD_KIND.llmRequest) return;
    const c = bounded(rec.clientId);
    const m = bounded(rec.modelId);
    const p = bounded(rec.providerId);
    const status = rec.status < 1024 ? rec.status : 1023;
    const cm = c * ID_LIMIT + m;
    const r = this.#slot(this.#requests, cm * 1024 + status, () => ({ client: c, model: m, provider: p, status, n: 0 }), () => ({ client: OTHER, model: OTHER, provider: OTHER, status, n: 0 }), -1 - status);
    r.n++;
    if (rec.unpriced || rec.promptTokens + rec.completionTokens + rec.cachedTokens + rec.reasoningTokens > 0 || rec.costUsd > 0) {
      const u = this.#slot(this.#usage, cm, () => usage(c, m, p), () => usage(OTHER, OTHER, OTHER), -1);
      u.prompt += rec.promptTokens;
      u.completion += rec.completionTokens;
      u.cached += rec.cachedTokens;
      u.reasoning += rec.reasoningTokens;
      u.costNano += Math.round(rec.costUsd * NANO);
      if (rec.unpriced) u.unpriced++;
      else u.priced++;
    }
    if (rec.errorClass !== ERROR_CLASS.none) {
      const cls = rec.errorClass;
      this.#slot(this.#errors, p * 256 + cls, () => ({ provider: p, cls, n: 0 }), () => ({ provider: OTHER, cls, n: 0 }), -1 - cls).n++;
    }
    this.#slot(this.#latency, p, () => new PromHistogram(LATENCY_BUCKETS_S), () => new PromHistogram(LATENCY_BUCKETS_S), OTHER).record(rec.durationUs);
    if (rec.ttftUs > 0) this.#slot(this.#ttft, p, () => new PromHistogram(LATENCY_BUCKETS_S), () => new PromHistogram(LATENCY_BUCKETS_S), OTHER).record(rec.ttftUs);
    if (rec.overheadUs > 0) this.#overhead.record(rec.overheadUs);
  };

  /** The text exposition (format 0.0.4) of the counters plus `extra` families. */
  render(extra: PromFamily[] = []): string {
    const out: string[] = [];
    const name = (id: number): string => (id === OTHER ? '(other)' : id === 0 ? 'none' : (this.#interner.name(id) ?? `#${id}`));
    family(out, 'localrouter_requests_total', 'LLM requests answered, by client, provider, model and HTTP status.', 'counter',
      [...this.#requests.values()].map((r) => [{ client: name(r.client), provider: name(r.provider), model: name(r.model), status: String(r.status) }, r.n]));
    family(out, 'localrouter_request_errors_total', 'Failed LLM requests, by provider and error class.', 'counter',
      [...this.#errors.values()].map((e) => [{ provider: name(e.provider), class: ERROR_CLASS_NAMES[e.cls] ?? `class${e.cls}` }, e.n]));
    const tokenSamples: PromFamily['samples'] = [];
    const costSamples: PromFamily['samples'] = [];
    const unpricedSamples: PromFamily['samples'] = [];
    for (const u of this.#usage.values()) {
      const labels = { client: name(u.client), provider: name(u.provider), model: name(u.model) };
      tokenSamples.push([{ ...labels, kind: 'prompt' }, u.prompt], [{ ...labels, kind: 'completion' }, u.completion],
        [{ ...labels, kind: 'cached' }, u.cached], [{ ...labels, kind: 'reasoning' }, u.reasoning]);
      // A model with no known price gets no cost sample: a 0 would read as free.
      if (u.priced > 0) costSamples.push([labels, u.costNano / NANO]);
      if (u.unpriced > 0) unpricedSamples.push([labels, u.unpriced]);
    }
    family(out, 'localrouter_tokens_total', 'Tokens reported by upstreams (cached and reasoning are part of prompt and completion).', 'counter', tokenSamples);
    family(out, 'localrouter_cost_usd_total', 'Cost of answered requests, from real usage and model prices (priced requests only).', 'counter', costSamples);
    family(out, 'localrouter_unpriced_requests_total',
      'Answered requests whose model has no known price (no catalog price, no price_override): their cost is unknown and not in localrouter_cost_usd_total; their tokens are in localrouter_tokens_total.',
      'counter', unpricedSamples);
    family(out, 'localrouter_upstream_attempts_total', 'Tries against upstreams (fallback adds one per candidate tried).', 'counter',
      [...this.#attempts.values()].map((a) => [{ provider: name(a.provider), outcome: a.ok ? 'ok' : 'error' }, a.n]));
    histograms(out, 'localrouter_request_duration_seconds', 'LLM request latency, end to end.', LATENCY_BUCKETS_S, this.#latency, name);
    histograms(out, 'localrouter_ttft_seconds', 'Time to the first streamed byte.', LATENCY_BUCKETS_S, this.#ttft, name);
    histograms(out, 'localrouter_gateway_overhead_seconds', "The gateway's own time per request (latency minus upstream time).", OVERHEAD_BUCKETS_S, new Map([[-2, this.#overhead]]), name);
    this.#renderMcp(out, name);
    for (const f of extra) family(out, f.name, f.help, f.type, f.samples);
    return `${out.join('\n')}\n`;
  }

  /**
   * One MCP call: `providerId` is its upstream server, `modelId` its `<server>/<tool>` (or its method).
   * Both names come from the config and upstream tool lists, already cleaned and capped by the MCP
   * actor; each family is capped at `maxSeries` label sets like the others.
   */
  #recordMcp(rec: RequestRecord): void {
    const s = bounded(rec.providerId);
    const t = bounded(rec.modelId);
    const st = s * ID_LIMIT + t;
    const status = rec.status < 1024 ? rec.status : 1023;
    this.#slot(this.#mcpCalls, st * 1024 + status, () => ({ server: s, tool: t, status, n: 0 }), () => ({ server: OTHER, tool: OTHER, status, n: 0 }), -1 - status).n++;
    if (rec.errorClass !== ERROR_CLASS.none) {
      const cls = rec.errorClass;
      this.#slot(this.#mcpErrors, st * 256 + cls, () => ({ server: s, tool: t, cls, n: 0 }), () => ({ server: OTHER, tool: OTHER, cls, n: 0 }), -1 - cls).n++;
    }
    const latency = () => ({ server: s, tool: t, h: new PromHistogram(LATENCY_BUCKETS_S) });
    this.#slot(this.#mcpLatency, st, latency, () => ({ server: OTHER, tool: OTHER, h: new PromHistogram(LATENCY_BUCKETS_S) }), OTHER).h.record(rec.durationUs);
  }

  #renderMcp(out: string[], name: (id: number) => string): void {
    family(out, 'localrouter_mcp_calls_total', 'MCP calls answered, by upstream server, tool (`<server>/<tool>`, or the method) and status.', 'counter',
      [...this.#mcpCalls.values()].map((c) => [{ server: name(c.server), tool: name(c.tool), status: String(c.status) }, c.n]));
    family(out, 'localrouter_mcp_call_errors_total', 'Failed MCP calls, by upstream server, tool and error class.', 'counter',
      [...this.#mcpErrors.values()].map((e) => [{ server: name(e.server), tool: name(e.tool), class: ERROR_CLASS_NAMES[e.cls] ?? `class${e.cls}` }, e.n]));
    const metric = 'localrouter_mcp_call_duration_seconds';
    out.push(`# HELP ${metric} MCP call latency, by upstream server and tool.`, `# TYPE ${metric} histogram`);
    for (const { server, tool, h } of this.#mcpLatency.values()) {
      const base = `server="${escapeLabel(name(server))}",tool="${escapeLabel(name(tool))}"`;
      let cumulative = 0;
      for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
        cumulative += h.counts[i];
        out.push(`${metric}_bucket{${base},le="${LATENCY_BUCKETS_S[i]}"} ${cumulative}`);
      }
      out.push(`${metric}_bucket{${base},le="+Inf"} ${h.count}`, `${metric}_sum{${base}} ${h.sumUs / 1e6}`, `${metric}_count{${base}} ${h.count}`);
    }
  }

  /** The series for `key`, created while the family has room, else the family's overflow series. */
  #slot<T>(map: Map<number, T>, key: number, make: () => T, makeOther: () => T, otherKey: number): T {
    let v = map.get(key);
    if (v !== undefined) return v;
    if (map.size < this.#maxSeries) {
      map.set(key, (v = make()));
      return v;
    }
    const overflowKey = -1e15 + otherKey;
    v = map.get(overflowKey);
    if (v === undefined) map.set(overflowKey, (v = makeOther()));
    return v;
  }
}

function bounded(id: number): number {
  return id < ID_LIMIT ? id : OTHER;
}

function usage(client: number, model: number, provider: number): UsageSeries {
  return { client, model, provider, prompt: 0, completion: 0, cached: 0, reasoning: 0, costNano: 0, priced: 0, unpriced: 0 };
}

const MAX_LABEL_LENGTH = 200;

/**
 * Escapes a label value as the text format requires; other control characters (CR, NUL, ...) are
 * replaced and the value is bounded, since label values can come from clients.
 */
export function escapeLabel(v: string): string {
  const cut = v.length > MAX_LABEL_LENGTH ? `${v.slice(0, MAX_LABEL_LENGTH - 1)}…` : v;
  // eslint-disable-next-line no-control-regex
  return cut.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/[\x00-\x1f\x7f]/g, '?');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Renders families (no request counters) in the text format: for `/metrics` with monitoring off. */
export function renderPromFamilies(families: PromFamily[]): string {
  const out: string[] = [];
  for (const f of families) family(out, f.name, f.help, f.type, f.samples);
  return `${out.join('\n')}\n`;
}

function family(out: string[], name: string, help: string, type: string, samples: PromFamily['samples']): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const [labels, value] of samples) out.push(`${name}${labelText(labels)} ${value}`);
}

function histograms(out: string[], name: string, help: string, bounds: readonly number[], byProvider: Map<number, PromHistogram>, nameOf: (id: number) => string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} histogram`);
  for (const [p, h] of byProvider) {
    const base = p === -2 ? '' : `provider="${escapeLabel(nameOf(p < -1e14 ? OTHER : p))}",`;
    let cumulative = 0;
    for (let i = 0; i < bounds.length; i++) {
      cumulative += h.counts[i];
      out.push(`${name}_bucket{${base}le="${bounds[i]}"} ${cumulative}`);
    }
    out.push(`${name}_bucket{${base}le="+Inf"} ${h.count}`);
    const labels = base === '' ? '' : `{${base.slice(0, -1)}}`;
    out.push(`${name}_sum${labels} ${h.sumUs / 1e6}`, `${name}_count${labels} ${h.count}`);
  }
}
