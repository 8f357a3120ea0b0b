import { LocalRouterError } from '../errors/index.js';
import { lookupModel } from '../providers/index.js';
import { resolveModel, type Admission, type LimitState, type ResolvedModel } from '../routing/index.js';
import type { AuthedClient } from './client-table.js';
import type { GatewayState } from './gateway-state.js';
import type { HeaderPairs } from './http-io.js';
import type { FrontRequest } from './llm-fronts.js';
import { AUTO_IDS } from './auto-route.js';


/** The candidates a request will try, and the half-open probe slots it claimed on the way. */
export interface CandidatePlan {
  targets: ResolvedModel[];
  probes: string[];
}

/**
 * The request's candidates in order: `localrouter/auto` expands to the strategy's list; otherwise its
 * `model`, then an OpenRouter-style `models` fallback list. Candidates that cannot take the request's
 * tools or images (per the catalog) are skipped, and so are providers whose breaker is open.
 */
export function planCandidates(request: FrontRequest, state: GatewayState, client: AuthedClient, ids: string[] | null = null): CandidatePlan {
  const resolved = resolveAll(ids ?? candidateIds(request, client), state, client);
  const capable = filterByCapability(resolved, request.body, state);
  const probes: string[] = [];
  const open: string[] = [];
  const targets = capable.filter((t) => {
    const was = state.breakers.state(t.provider);
    if (!state.breakers.tryAcquire(t.provider)) {
      open.push(t.provider);
      return false;
    }
    if (was === 'half_open') probes.push(t.provider);
    return true;
  });
  if (targets.length === 0) {
    const retryMs = Math.min(...open.map((p) => state.breakers.retryInMs(p)));
    throw new LocalRouterError('LR_ERR_NO_PROVIDER_AVAILABLE',
      `every candidate provider is failing (${[...new Set(open)].join(', ')}); retry in ${Math.ceil(retryMs / 1000)} s`, { retryAfterMs: retryMs });
  }
  return { targets, probes };
}

function candidateIds(request: FrontRequest, client: AuthedClient): string[] {
  if (AUTO_IDS.has(request.model)) {
    const auto = client.policy.auto;
    const ids = auto.models.length > 0 ? auto.models : [...auto.strong_models, ...auto.weak_models];
    if (ids.length === 0) {
      throw new LocalRouterError('LR_ERR_MODEL_NOT_FOUND', `strategy "${client.policy.strategy}" has no auto models; set strategies[].auto.models`, { param: 'model' });
    }
    return ids;
  }
  const ids = [request.model];
  const extra = request.body.models;
  if (extra !== undefined) {
    if (!Array.isArray(extra) || extra.some((m) => typeof m !== 'string' || m.length === 0)) {
      throw new LocalRouterError('LR_ERR_BAD_REQUEST', '"models" must be an array of model ids', { param: 'models' });
    }
    for (const m of extra as string[]) if (!ids.includes(m)) ids.push(m);
  }
  return ids;
}

/** Entries that do not resolve are skipped; if none does, the first error is the answer. */
function resolveAll(ids: string[], state: GatewayState, client: AuthedClient): ResolvedModel[] {
  const out: ResolvedModel[] = [];
  let firstError: unknown = null;
  for (const id of ids) {
    try {
      const r = resolveModel(id, state.directory, client.mayUse);
      if (!out.some((o) => o.id === r.id)) out.push(r);
    } catch (err) {
      firstError ??= err;
    }
  }
  if (out.length === 0) throw firstError;
  return out;
}

/** Drops candidates the catalog knows cannot take tools or images; keeps all if that would drop all. */
function filterByCapability(targets: ResolvedModel[], body: Record<string, unknown>, state: GatewayState): ResolvedModel[] {
  if (targets.length < 2) return targets;
  const needsTools = Array.isArray(body.tools) && body.tools.length > 0;
  const needsVision = hasImages(body.messages);
  if (!needsTools && !needsVision) return targets;
  const capable = targets.filter((t) => {
    const caps = lookupModel(state.providerTypes.get(t.provider) ?? 'openai-compatible', t.upstreamModel)?.capabilities;
    if (!caps) return true;
    return !(needsTools && caps.tools === false) && !(needsVision && caps.vision === false);
  });
  return capable.length > 0 ? capable : targets;
}

function hasImages(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  return messages.some((m) => Array.isArray((m as { content?: unknown }).content)
    && ((m as { content: unknown[] }).content).some((p) => (p as { type?: unknown })?.type === 'image_url'));
}

/** Tokens a request body will roughly cost as input (≈ 4 bytes a token), charged up front and reconciled later. */
export function projectInputTokens(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 4);
}

/** Checks the client's limits and charges the request up front; throws 429 with Retry-After when one is spent. */
export function admitRequest(state: GatewayState, client: AuthedClient, projectedInput: number): LimitState[] {
  const limits = client.policy.limits;
  if (limits.length === 0) return [];
  const admission: Admission = state.limiter.admit(client.id, limits, { requests: 1, input_tokens: projectedInput, total_tokens: projectedInput });
  if (!admission.ok) {
    const l = admission.limit;
    throw new LocalRouterError('LR_ERR_RATE_LIMITED',
      `rate limit reached: ${l.max} ${l.kind.replace('_', ' ')} per ${l.window} for this client; retry in ${Math.ceil(admission.retryAfterMs / 1000)} s`,
      { retryAfterMs: admission.retryAfterMs, headers: rateLimitHeaders(admission.states) });
  }
  return admission.states;
}

/** OpenAI-style `x-ratelimit-*` headers for the tightest request limit and the tightest token limit. */
export function rateLimitHeaders(states: LimitState[]): HeaderPairs {
  const out: [string, string][] = [];
  for (const [suffix, kinds] of [['requests', ['requests']], ['tokens', ['input_tokens', 'output_tokens', 'total_tokens']]] as const) {
    const tight = states.filter((s) => (kinds as readonly string[]).includes(s.limit.kind))
      .sort((a, b) => a.remaining / a.limit.max - b.remaining / b.limit.max)[0];
    if (!tight) continue;
    out.push([`x-ratelimit-limit-${suffix}`, String(tight.limit.max)],
      [`x-ratelimit-remaining-${suffix}`, String(Math.floor(tight.remaining))],
      [`x-ratelimit-reset-${suffix}`, formatDuration(tight.resetMs)]);
  }
  return out;
}

/** OpenAI's reset format: `6m0s`, `1.5s`, `120ms`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s * 10) / 10}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}
