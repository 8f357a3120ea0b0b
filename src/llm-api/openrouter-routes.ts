import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { toLocalRouterError } from '../errors/index.js';
import type { LimitConfig } from '../config/index.js';
import type { Monitoring } from '../metrics/index.js';
import { lookupModel } from '../providers/index.js';
import { writeError, writeJson, type AuthedClient, type GatewayState, type GatewayTables, type HeaderPairs } from '../ingress/index.js';

/**
 * The read-only routes of OpenRouter's API that make sense for a local gateway, in OpenRouter's
 * shapes, so its client libraries work against `http://localhost:3625/api/v1` unchanged:
 * `GET /api/v1/models` (openrouter.ai/docs/api-reference/models/get-models) and `GET /api/v1/key`
 * (openrouter.ai/docs/api-reference/api-keys/get-current-key).
 */

/** USD per token as a decimal string (OpenRouter prices are strings per token; ours are per million). */
function perToken(perMillion: number | undefined): string | undefined {
  if (perMillion === undefined) return undefined;
  // Up to 12 decimals is exact for any price published per million to 6; trailing zeros trimmed.
  return (perMillion / 1e6).toFixed(12).replace(/\.?0+$/, '') || '0';
}

/** Parameters the gateway passes on to (or maps onto) every chat provider. */
const BASE_PARAMETERS = ['max_tokens', 'temperature', 'top_p', 'stop', 'seed', 'frequency_penalty', 'presence_penalty', 'response_format'];

/** One model in OpenRouter's model object shape, from what the bundled catalog knows and the price the gateway charges with. */
export function openRouterModel(tables: GatewayTables, id: string, provider: string, model: string): Record<string, unknown> {
  const known = lookupModel(tables.providerTypes.get(provider) ?? 'openai-compatible', model);
  const caps = known?.capabilities;
  const price = tables.prices.pricingFor(provider, model)?.pricing ?? null;
  const pricing: Record<string, string> = {};
  if (price !== null) {
    pricing.prompt = perToken(price.input_per_mtok)!;
    pricing.completion = perToken(price.output_per_mtok)!;
    pricing.request = '0';
    pricing.image = '0';
    const cacheRead = perToken(price.cache_read_per_mtok);
    const cacheWrite = perToken(price.cache_write_per_mtok);
    const reasoning = perToken(price.reasoning_per_mtok);
    if (cacheRead !== undefined) pricing.input_cache_read = cacheRead;
    if (cacheWrite !== undefined) pricing.input_cache_write = cacheWrite;
    if (reasoning !== undefined) pricing.internal_reasoning = reasoning;
  }
  const supported = [...BASE_PARAMETERS];
  if (caps?.tools === true) supported.push('tools', 'tool_choice');
  if (caps?.reasoning === true) supported.push('reasoning', 'include_reasoning');
  const inputs = caps?.vision === true ? ['text', 'image'] : ['text'];
  const contextLength = known?.context_length ?? null;
  return {
    id,
    canonical_slug: id,
    name: known?.name ?? id,
    created: 0,
    description: '',
    context_length: contextLength,
    architecture: {
      modality: `${inputs.join('+')}->${caps?.embeddings === true ? 'embeddings' : 'text'}`,
      input_modalities: inputs,
      output_modalities: [caps?.embeddings === true ? 'embeddings' : 'text'],
      tokenizer: 'Other',
      instruct_type: null,
    },
    // Unknown prices stay unknown (an empty object), never a price of 0.
    pricing,
    top_provider: { context_length: contextLength, max_completion_tokens: known?.max_output ?? null, is_moderated: false },
    per_request_limits: null,
    supported_parameters: supported,
    default_parameters: null,
  };
}

/** `GET /api/v1/models`: the models the calling client may use, in OpenRouter's shape. */
export function handleOpenRouterModels(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
  const tables = state.tables;
  let client: AuthedClient;
  try {
    client = tables.clients.authenticate(req.getHeader('authorization'), req.getHeader('x-api-key'));
  } catch (err) {
    writeError(res, toLocalRouterError(err), cors);
    return;
  }
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  state.directory.list().then((entries) => {
    if (aborted) return;
    const data = entries.filter((e) => client.mayUse(e.id)).map((e) => openRouterModel(tables, e.id, e.provider, e.model));
    writeJson(res, 200, { data }, cors);
  }, (err: unknown) => {
    if (!aborted) writeError(res, toLocalRouterError(err), cors);
  });
}

const DAY_MS = 86_400_000;
/** OpenRouter's `limit_reset` names; a window it has no name for keeps the gateway's. */
const RESET_NAMES: Record<LimitConfig['window'], string> = { minute: 'minute', hour: 'hourly', day: 'daily' };
const INTERVALS: Record<LimitConfig['window'], string> = { minute: '1m', hour: '1h', day: '1d' };
const WINDOW_ORDER: Record<LimitConfig['window'], number> = { minute: 0, hour: 1, day: 2 };

/** The client's priced spend (USD) over the last `rangeMs`, from the time series (null without monitoring). */
/** The client's totals over the last `rangeMs` (its key alone is read); null without monitoring. */
function clientTotals(monitoring: Monitoring | null, client: string, rangeMs: number): { spentUsd: number; unpriced: number } | null {
  if (monitoring === null) return null;
  const bucket = monitoring.series.totals('client', rangeMs, client).get(client);
  return bucket === undefined ? { spentUsd: 0, unpriced: 0 } : { spentUsd: bucket.costNano / 1e9, unpriced: bucket.unpricedRequests };
}

/**
 * `GET /api/v1/key`: the calling `lr-` key's client in OpenRouter's key shape. `limit` is its
 * longest-window `cost` limit (USD) with what is left of it now, `rate_limit` its shortest-window
 * `requests` limit; `usage*` is its spend from the request log's time series (what the gateway
 * priced; local models cost 0). Without monitoring, usage is unknown (null). OpenRouter's `usage`
 * fields are numbers, so answers from models with no known price cannot be told apart in them: the
 * extra `unpriced_requests` (over the same window as `usage`) counts them, as the stats do.
 */
export function openRouterKeyRoute(monitoring: Monitoring | null) {
  return (state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void => {
    let client: AuthedClient;
    try {
      client = state.tables.clients.authenticate(req.getHeader('authorization'), req.getHeader('x-api-key'));
    } catch (err) {
      writeError(res, toLocalRouterError(err), cors);
      return;
    }
    const limits = client.policy.limits;
    const states = state.limiter.states(client.id, limits);
    const costStates = states.filter((s) => s.limit.kind === 'cost').sort((a, b) => WINDOW_ORDER[b.limit.window] - WINDOW_ORDER[a.limit.window]);
    const requestLimits = limits.filter((l) => l.kind === 'requests').sort((a, b) => WINDOW_ORDER[a.window] - WINDOW_ORDER[b.window]);
    const cost = costStates[0];
    const year = clientTotals(monitoring, client.name, 365 * DAY_MS);
    const usage = year?.spentUsd ?? null;
    const daily = clientTotals(monitoring, client.name, DAY_MS)?.spentUsd ?? null;
    const weekly = clientTotals(monitoring, client.name, 7 * DAY_MS)?.spentUsd ?? null;
    const monthly = clientTotals(monitoring, client.name, 30 * DAY_MS)?.spentUsd ?? null;
    const rate = requestLimits[0];
    writeJson(res, 200, {
      data: {
        label: client.name,
        limit: cost === undefined ? null : cost.limit.max,
        limit_reset: cost === undefined ? null : RESET_NAMES[cost.limit.window],
        limit_remaining: cost === undefined ? null : Math.round(cost.remaining * 1e9) / 1e9,
        usage, usage_daily: daily, usage_weekly: weekly, usage_monthly: monthly,
        // Every provider key is the user's own: all usage is "bring your own key" usage.
        byok_usage: usage, byok_usage_daily: daily, byok_usage_weekly: weekly, byok_usage_monthly: monthly,
        unpriced_requests: year?.unpriced ?? null,
        include_byok_in_limit: true,
        is_free_tier: false,
        is_provisioning_key: false,
        is_management_key: false,
        rate_limit: rate === undefined
          ? { requests: -1, interval: '1m', note: 'this key has no request limit' }
          : { requests: rate.max, interval: INTERVALS[rate.window], note: 'the shortest-window requests limit of this key' },
        expires_at: null,
        creator_user_id: null,
      },
    }, cors);
  };
}
