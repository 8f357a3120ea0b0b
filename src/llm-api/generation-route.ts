import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import type { Monitoring, RequestLogRow, RowAttempt } from '../metrics/index.js';
import { writeError, writeJson, type RouteHandler } from '../ingress/index.js';

/** The generation record as `GET /v1/generation` returns it (inside `{ "data": ... }`). */
export interface GenerationView {
  id: string;
  /** The id the upstream gave its answer (the client got `id`); null when it gave none. */
  upstream_id: string | null;
  object: 'generation';
  created_at: string;
  client: string | null;
  op: string;
  model: string | null;
  provider: string | null;
  status: number;
  /** `ok`, `error` or `cancelled` (the client went away). */
  finish_status: 'ok' | 'error' | 'cancelled';
  error: { code: string | null; class: string | null } | null;
  streamed: boolean;
  latency_ms: number;
  ttft_ms: number | null;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number; cached_tokens: number; reasoning_tokens: number } | null;
  cost_usd: number | null;
  attempts: RowAttempt[];
  /** For auto-routed requests: the classifier, the side it chose, the score and the threshold. */
  route: RequestLogRow['route'];
}

export function generationView(r: RequestLogRow): GenerationView {
  const finish = r.error_class === null ? 'ok' : r.error_class === 'cancelled' ? 'cancelled' : 'error';
  return {
    id: r.id,
    upstream_id: r.upstream_id ?? null,
    object: 'generation',
    created_at: new Date(r.ts).toISOString(),
    client: r.client,
    op: r.op,
    model: r.model,
    provider: r.provider,
    status: r.status,
    finish_status: finish,
    error: finish === 'ok' ? null : { code: r.error_code, class: r.error_class },
    streamed: r.streamed,
    latency_ms: r.latency_ms,
    ttft_ms: r.ttft_ms,
    usage: r.prompt_tokens === null ? null : {
      prompt_tokens: r.prompt_tokens, completion_tokens: r.completion_tokens ?? 0,
      total_tokens: r.prompt_tokens + (r.completion_tokens ?? 0), cached_tokens: r.cached_tokens ?? 0, reasoning_tokens: r.reasoning_tokens ?? 0,
    },
    cost_usd: r.cost_usd,
    attempts: r.attempts,
    route: r.route,
  };
}

/**
 * The record in OpenRouter's generation shape (`GET /api/v1/generation`, see
 * openrouter.ai/docs/api-reference/get-generation): snake_case fields, `usage` and `total_cost` in
 * USD, latencies in ms. What has no local meaning (app, moderation, BYOK, media counts) is null or 0.
 * OpenRouter documents `total_cost` and `usage` as required numbers (its SDKs' generated models
 * reject null there), so an answer from a model with no known price keeps 0 in them for those
 * clients, and says so: `upstream_inference_cost` is null and the extra `unpriced` is true.
 */
export function openRouterGenerationView(r: RequestLogRow): Record<string, unknown> {
  const cost = r.cost_usd;
  const cancelled = r.error_class === 'cancelled';
  return {
    id: r.id,
    upstream_id: r.upstream_id ?? null,
    total_cost: cost ?? 0,
    cache_discount: null,
    upstream_inference_cost: cost,
    unpriced: cost === null && r.prompt_tokens !== null,
    created_at: new Date(r.ts).toISOString(),
    model: r.model,
    app_id: null,
    streamed: r.streamed,
    cancelled,
    provider_name: r.provider,
    latency: r.latency_ms,
    moderation_latency: null,
    generation_time: r.ttft_ms === null ? r.latency_ms : Math.max(0, r.latency_ms - r.ttft_ms),
    // The finish reason is not kept: unknown for an answer, else why it failed.
    finish_reason: r.error_class === null ? null : cancelled ? 'cancelled' : 'error',
    native_finish_reason: null,
    tokens_prompt: r.prompt_tokens,
    tokens_completion: r.completion_tokens,
    native_tokens_prompt: r.prompt_tokens,
    native_tokens_completion: r.completion_tokens,
    native_tokens_reasoning: r.reasoning_tokens,
    native_tokens_cached: r.cached_tokens,
    num_media_prompt: null,
    num_media_completion: null,
    num_search_results: null,
    origin: '',
    usage: cost ?? 0,
    is_byok: true,
    api_type: r.op === 'embeddings' ? 'embeddings' : 'completions',
    router: r.route === null ? null : 'auto',
  };
}

/** Generation ids are `gen-` + 32 hex digits, upstream ids rarely longer; anything much longer is not looked up. */
const MAX_ID_LENGTH = 256;

/**
 * Lookups one client may have waiting on the store at once, and all clients together. Each waits its
 * turn on the store's writer thread, in line with the request log's writes: without a bound, a
 * client sending lookups faster than the store answers them (a miss by upstream id probes every
 * bucket of a full store) would queue work there without end, delay the log's writes until records
 * drop, and grow the gateway's memory. A client reading each record after its answer has one or two
 * waiting; beyond the bound the answer is 429 with `retry-after: 1`, which the OpenAI SDK retries.
 */
export const MAX_LOOKUPS_PER_CLIENT = 32;
export const MAX_LOOKUPS = 256;

/** Counts the lookups waiting on the store, per client and in all ({@link MAX_LOOKUPS_PER_CLIENT}). */
export class LookupGate {
  readonly #perClient: number;
  readonly #total: number;
  readonly #byClient = new Map<string, number>();
  #open = 0;

  constructor(perClient = MAX_LOOKUPS_PER_CLIENT, total = MAX_LOOKUPS) {
    this.#perClient = perClient;
    this.#total = total;
  }

  /** Takes a slot for `clientId`; false when the client's or everyone's lookups are at their bound. */
  enter(clientId: string): boolean {
    const mine = this.#byClient.get(clientId) ?? 0;
    if (mine >= this.#perClient || this.#open >= this.#total) return false;
    this.#byClient.set(clientId, mine + 1);
    this.#open++;
    return true;
  }

  /** Gives back a slot {@link enter} took. */
  leave(clientId: string): void {
    const mine = this.#byClient.get(clientId) ?? 0;
    if (mine <= 1) this.#byClient.delete(clientId);
    else this.#byClient.set(clientId, mine - 1);
    this.#open--;
  }

  /** Lookups waiting now. */
  get open(): number {
    return this.#open;
  }
}

/**
 * `GET /v1/generation?id=<generation id>`: the record of one finished request (kept as long as the
 * request log, at least a day), for the client that made it. Records are matched by the client's
 * stable id (`clients[].id`), not its name: a client deleted and created again under the same name
 * is another client and does not see the old one's records (nor do records written before the log
 * kept client ids). Another client's id, an unknown id and an expired one all answer 404 alike, so
 * ids cannot be probed. The lookup runs on the store's writer thread, off the event loop, and at
 * most `gate`'s bound of them wait there at once (429 beyond it).
 */
export function generationRoute(monitoring: Monitoring | null, view: (row: RequestLogRow) => unknown = generationView,
  gate: LookupGate = new LookupGate()): RouteHandler {
  return (state, res, req, cors) => {
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    const fail = (err: unknown): void => { if (!aborted) writeError(res, toLocalRouterError(err), cors); };
    try {
      const client = state.tables.clients.authenticate(req.getHeader('authorization'), req.getHeader('x-api-key'));
      const id = new URLSearchParams(req.getQuery() ?? '').get('id');
      if (!id) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'missing query parameter "id" (the id of a response, or its x-localrouter-generation-id)', { param: 'id' });
      if (monitoring === null) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'no generation records are kept: monitoring.enabled is false');
      const notFound = (): LocalRouterError => new LocalRouterError('LR_ERR_NOT_FOUND',
        `no generation "${id.slice(0, 100)}" for this client (records are kept for monitoring.log_retention_days)`, { param: 'id' });
      if (id.length > MAX_ID_LENGTH) throw notFound();
      if (!gate.enter(client.id)) {
        if (!aborted) writeError(res, new LocalRouterError('LR_ERR_RATE_LIMITED', 'too many generation lookups waiting for this client or the gateway; retry in 1 s',
          { retryAfterMs: 1000 }), [...cors, ['retry-after', '1']]);
        return;
      }
      monitoring.lookupLog(id, client.id).then((row) => {
        gate.leave(client.id);
        if (row === undefined || row.client_id !== client.id) return fail(notFound());
        if (!aborted) writeJson(res, 200, { data: view(row) }, cors);
      }, (err: unknown) => {
        gate.leave(client.id);
        fail(err);
      });
    } catch (err) {
      fail(err);
    }
  };
}
