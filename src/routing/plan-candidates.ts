import { LocalRouterError } from '../errors/index.js';
import { AUTO_IDS, type MessageFacts } from './auto-route.js';
import type { CircuitBreakers, ProbeClaim } from './circuit-breaker.js';
import { resolveModel, type ModelLookup, type ResolvedModel } from './resolve-model.js';
import type { ClientPolicy } from './strategy-table.js';

/** What the catalog knows a candidate can take. */
export interface CandidateCapabilities {
  tools: boolean;
  vision: boolean;
}

/** What candidate planning reads of the gateway's live state. */
export interface PlanContext {
  /** Providers and their model lists, for resolving ids. */
  directory: ModelLookup;
  breakers: CircuitBreakers;
  /** The catalog's capabilities of `model` on `provider`; undefined when the catalog does not know it. */
  capabilities(provider: string, model: string): CandidateCapabilities | undefined;
}

/** What planning reads of the request: the model the client named, its fallback list, tools and messages. */
export interface PlanRequest {
  model: string;
  body: PlannedBody;
  /** What is known of `body.messages` without building it, when the body was skimmed. */
  messageFacts?: MessageFacts;
}

/** The fields of a chat request planning looks at (any shape: they are checked where they are read). */
export interface PlannedBody {
  models?: unknown;
  tools?: unknown;
  messages?: unknown;
}

/** What planning reads of the client: which models it may use and its strategy's `auto` lists. */
export interface PlanClient {
  mayUse(modelId: string): boolean;
  policy: Pick<ClientPolicy, 'strategy' | 'auto'>;
}

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
 * The request's candidates in order: `localrouter/auto` expands to the strategy's list, `ids` (a
 * classifier's order) is taken as given; otherwise its `model`, then an OpenRouter-style `models`
 * fallback list. Candidates that cannot take the request's tools or images (per the catalog) are
 * skipped, and so are those whose breaker is open (the model's own, or the provider's after
 * connection failures). `targets` is empty when every candidate was skipped for its breaker: then
 * {@link noProviderAvailable} is the answer.
 */
export function planCandidates(request: PlanRequest, ctx: PlanContext, client: PlanClient, ids: string[] | null = null): CandidatePlan {
  const resolved = resolveAll(ids ?? candidateIds(request, client), ctx.directory, client);
  const capable = filterByCapability(resolved, request, ctx);
  const probes: CandidateProbe[] = [];
  const skipped: ResolvedModel[] = [];
  const targets = capable.filter((t) => {
    const claims = ctx.breakers.acquire(t.provider, t.upstreamModel);
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
export function noProviderAvailable(plan: CandidatePlan, ctx: { breakers: Pick<CircuitBreakers, 'retryInMs'> }): LocalRouterError {
  const retryMs = Math.min(...plan.skipped.map((t) => ctx.breakers.retryInMs(t.provider, t.upstreamModel)));
  const names = [...new Set(plan.skipped.map((t) => t.id))].join(', ');
  return new LocalRouterError('LR_ERR_NO_PROVIDER_AVAILABLE',
    `every candidate is failing (${names}); retry in ${Math.max(1, Math.ceil(retryMs / 1000))} s`, { retryAfterMs: retryMs });
}

function candidateIds(request: PlanRequest, client: PlanClient): string[] {
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
function resolveAll(ids: string[], directory: ModelLookup, client: PlanClient): ResolvedModel[] {
  const out: ResolvedModel[] = [];
  let firstError: unknown = null;
  for (const id of ids) {
    try {
      const r = resolveModel(id, directory, client.mayUse);
      if (!out.some((o) => o.id === r.id)) out.push(r);
    } catch (err) {
      firstError ??= err;
    }
  }
  if (out.length === 0) throw firstError;
  return out;
}

/** Drops candidates the catalog knows cannot take tools or images; keeps all if that would drop all. */
function filterByCapability(targets: ResolvedModel[], request: PlanRequest, ctx: PlanContext): ResolvedModel[] {
  if (targets.length < 2) return targets;
  const body = request.body;
  const needsTools = Array.isArray(body.tools) && body.tools.length > 0;
  const needsVision = request.messageFacts !== undefined ? request.messageFacts.hasImages() : hasImages(body.messages);
  if (!needsTools && !needsVision) return targets;
  const capable = targets.filter((t) => {
    const caps = ctx.capabilities(t.provider, t.upstreamModel);
    if (!caps) return true;
    return !(needsTools && caps.tools === false) && !(needsVision && caps.vision === false);
  });
  return capable.length > 0 ? capable : targets;
}

function hasImages(messages: unknown): boolean {
  return Array.isArray(messages) && messages.some(messageHasImages);
}

/** `message`'s content is an array of parts with an `image_url` part among them. */
export function messageHasImages(message: unknown): boolean {
  const content = (message as { content?: unknown } | null | undefined)?.content;
  return Array.isArray(content) && content.some((p) => (p as { type?: unknown } | null)?.type === 'image_url');
}
