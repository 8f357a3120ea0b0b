import { LocalRouterError } from '../errors/index.js';
import type { ChatRequest } from '../model/index.js';
import { lookupModel } from '../providers/index.js';
import { resolveModel, type Admission, type LimitState, type ProbeClaim, type ResolvedModel } from '../routing/index.js';
import type { AuthedClient } from './client-table.js';
import type { GatewayState } from './gateway-state.js';
import type { HeaderPairs } from './http-io.js';
import type { FrontRequest } from './llm-fronts.js';
import { AUTO_IDS } from './auto-route.js';


/** A half-open probe slot a request claimed for one candidate. */
export interface CandidateProbe {
  provider: string;
  model: string;
  claims: readonly ProbeClaim[];
}

/** The candidates a request will try, the half-open probe slots it claimed, and those open breakers kept out. */
export interface CandidatePlan {
  targets: ResolvedModel[];
  probes: CandidateProbe[];
  /** Candidates skipped because their breaker (the model's or the provider's) is open. */
  skipped: ResolvedModel[];
}

/**
 * The request's candidates in order: `localrouter/auto` expands to the strategy's list; otherwise its
 * `model`, then an OpenRouter-style `models` fallback list. Candidates that cannot take the request's
 * tools or images (per the catalog) are skipped, and so are those whose breaker is open (the
 * model's own, or the provider's after connection failures). `targets` is empty when every candidate
 * was skipped for its breaker: then {@link noProviderAvailable} is the answer.
 */
export function planCandidates(request: FrontRequest, state: GatewayState, client: AuthedClient, ids: string[] | null = null): CandidatePlan {
  const resolved = resolveAll(ids ?? candidateIds(request, client), state, client);
  const capable = filterByCapability(resolved, request.body, state);
  const probes: CandidateProbe[] = [];
  const skipped: ResolvedModel[] = [];
  const targets = capable.filter((t) => {
    const claims = state.breakers.acquire(t.provider, t.upstreamModel);
    if (claims === null) {
      skipped.push(t);
      return false;
    }
    if (claims.length > 0) probes.push({ provider: t.provider, model: t.upstreamModel, claims });
    return true;
  });
  return { targets, probes, skipped };
}

/** 503 for a plan whose every candidate has an open breaker, with Retry-After: when the first one may be probed. */
export function noProviderAvailable(plan: CandidatePlan, state: GatewayState): LocalRouterError {
  const retryMs = Math.min(...plan.skipped.map((t) => state.breakers.retryInMs(t.provider, t.upstreamModel)));
  const names = [...new Set(plan.skipped.map((t) => t.id))].join(', ');
  return new LocalRouterError('LR_ERR_NO_PROVIDER_AVAILABLE',
    `every candidate is failing (${names}); retry in ${Math.max(1, Math.ceil(retryMs / 1000))} s`, { retryAfterMs: retryMs });
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
function filterByCapability(targets: ResolvedModel[], body: ChatRequest, state: GatewayState): ResolvedModel[] {
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
