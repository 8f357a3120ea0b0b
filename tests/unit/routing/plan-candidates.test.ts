import { describe, expect, it } from 'vitest';
import type { LimitConfig } from '../../../src/config/index.js';
import {
  admitRequest, CircuitBreakers, noProviderAvailable, planCandidates, projectInputTokens, RateLimiter, rateLimitHeaders,
  type CandidateCapabilities, type ClientPolicy, type PlanClient, type PlanContext,
} from '../../../src/routing/index.js';

type Auto = ClientPolicy['auto'];

function context(lists: Record<string, string[]>, caps: Record<string, CandidateCapabilities> = {}): PlanContext & { clock: { now: number } } {
  const clock = { now: 0 };
  return {
    clock,
    directory: {
      providerNames: () => Object.keys(lists),
      providersListing: (m) => Object.keys(lists).filter((p) => lists[p]!.includes(m)),
      knowsModels: (p) => (lists[p]?.length ?? 0) > 0,
    },
    breakers: new CircuitBreakers({ threshold: 1, cooldownMs: 10_000, maxRetryAfterMs: 60_000, now: () => clock.now }),
    capabilities: (provider, model) => caps[`${provider}/${model}`],
  };
}

function client(auto: Partial<Auto> = {}, mayUse: (id: string) => boolean = () => true): PlanClient {
  return { mayUse, policy: { strategy: 's', auto: { models: [], strong_models: [], weak_models: [], ...auto } } };
}

const ids = (plan: { targets: { id: string }[] }) => plan.targets.map((t) => t.id);

describe('planCandidates', () => {
  it('takes the model, then the `models` fallback list, without duplicates', () => {
    const ctx = context({ a: ['x'], b: ['y'] });
    const plan = planCandidates({ model: 'x', body: { models: ['b/y', 'x', 'a/x'] } }, ctx, client());
    expect(ids(plan)).toEqual(['a/x', 'b/y']);
    expect(plan.probes).toEqual([]);
  });

  it('expands `auto` to the strategy\'s list, or its strong then weak lists', () => {
    const ctx = context({ a: ['x', 'y', 'z'] });
    expect(ids(planCandidates({ model: 'localrouter/auto', body: {} }, ctx, client({ models: ['a/z', 'a/x'] })))).toEqual(['a/z', 'a/x']);
    expect(ids(planCandidates({ model: 'auto', body: {} }, ctx, client({ strong_models: ['a/y'], weak_models: ['a/x'] })))).toEqual(['a/y', 'a/x']);
    expect(() => planCandidates({ model: 'auto', body: {} }, ctx, client())).toThrow(expect.objectContaining({ code: 'LR_ERR_MODEL_NOT_FOUND' }));
  });

  it('takes a classifier\'s order as given', () => {
    const ctx = context({ a: ['x', 'y'] });
    expect(ids(planCandidates({ model: 'auto', body: {} }, ctx, client(), ['a/y', 'a/x']))).toEqual(['a/y', 'a/x']);
  });

  it('skips ids that do not resolve or are not allowed; throws the first error when none is left', () => {
    const ctx = context({ a: ['x'] });
    const mayUse = (id: string) => id !== 'a/forbidden';
    expect(ids(planCandidates({ model: 'nope', body: { models: ['a/x'] } }, ctx, client({}, mayUse)))).toEqual(['a/x']);
    expect(() => planCandidates({ model: 'a/forbidden', body: {} }, ctx, client({}, mayUse))).toThrow(expect.objectContaining({ code: 'LR_ERR_FORBIDDEN' }));
    expect(() => planCandidates({ model: 'x', body: { models: 'a/x' } }, ctx, client())).toThrow(expect.objectContaining({ code: 'LR_ERR_BAD_REQUEST', param: 'models' }));
  });

  it('drops candidates the catalog knows cannot take tools or images, unless that drops all', () => {
    const caps = { 'a/blind': { tools: true, vision: false }, 'a/toolless': { tools: false, vision: true } };
    const ctx = context({ a: ['blind', 'toolless', 'unknown'] }, caps);
    const image = { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:' } }] }] };
    expect(ids(planCandidates({ model: 'a/blind', body: { ...image, models: ['a/toolless'] } }, ctx, client()))).toEqual(['a/toolless']);
    expect(ids(planCandidates({ model: 'a/toolless', body: { tools: [{}], models: ['a/unknown'] } }, ctx, client()))).toEqual(['a/unknown']);
    expect(ids(planCandidates({ model: 'a/toolless', body: { tools: [{}], messages: image.messages, models: ['a/blind'] } }, ctx, client())))
      .toEqual(['a/toolless', 'a/blind']);
  });

  it('asks a skimmed body\'s message facts whether it has images instead of reading its messages', () => {
    const caps = { 'a/blind': { tools: true, vision: false }, 'a/sighted': { tools: true, vision: true } };
    const ctx = context({ a: ['blind', 'sighted'] }, caps);
    const body = { models: ['a/sighted'], get messages(): unknown { throw new Error('messages read') } };
    const facts = (images: boolean) => ({ hasImages: () => images, lastUserText: () => '' });
    expect(ids(planCandidates({ model: 'a/blind', body, messageFacts: facts(true) }, ctx, client()))).toEqual(['a/sighted']);
    expect(ids(planCandidates({ model: 'a/blind', body, messageFacts: facts(false) }, ctx, client()))).toEqual(['a/blind', 'a/sighted']);
  });

  it('keeps out candidates whose breaker is open, claims half-open probes, and answers 503 when all are open', () => {
    const ctx = context({ a: ['x', 'y'], b: ['z'] });
    ctx.breakers.failure('a', 'x', 'model');
    const plan = planCandidates({ model: 'a/x', body: { models: ['b/z'] } }, ctx, client());
    expect(ids(plan)).toEqual(['b/z']);
    expect(plan.skipped.map((t) => t.id)).toEqual(['a/x']);

    ctx.breakers.failure('b', 'z', 'provider');
    ctx.clock.now = 4_000;
    const none = planCandidates({ model: 'a/x', body: { models: ['b/z'] } }, ctx, client());
    expect(none.targets).toEqual([]);
    const err = noProviderAvailable(none, ctx);
    expect(err).toMatchObject({ code: 'LR_ERR_NO_PROVIDER_AVAILABLE', status: 503, retryAfterMs: 6_000 });
    expect(err.message).toContain('a/x, b/z');

    ctx.clock.now = 10_000;
    const probe = planCandidates({ model: 'a/x', body: {} }, ctx, client());
    expect(ids(probe)).toEqual(['a/x']);
    expect(probe.probes).toMatchObject([{ provider: 'a', model: 'x' }]);
    // The slot is taken: a second request does not probe at the same time.
    expect(planCandidates({ model: 'a/x', body: { models: ['a/y'] } }, ctx, client()).skipped.map((t) => t.id)).toEqual(['a/x']);
  });
});

describe('admitRequest', () => {
  const limits: LimitConfig[] = [{ kind: 'requests', window: 'minute', max: 2 }, { kind: 'input_tokens', window: 'minute', max: 1000 }];

  it('charges the request and its projected input up front, and refuses with 429 and x-ratelimit headers when a limit is spent', () => {
    const ctx = { limiter: new RateLimiter() };
    const c = { id: 'c1', policy: { limits } };
    expect(projectInputTokens(401)).toBe(101);
    expect(admitRequest(ctx, c, 100).map((s) => s.limit.kind)).toEqual(['requests', 'input_tokens']);
    admitRequest(ctx, c, 100);
    let thrown: unknown;
    try {
      admitRequest(ctx, c, 100);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toMatchObject({ code: 'LR_ERR_RATE_LIMITED', status: 429 });
    const headers = Object.fromEntries((thrown as { headers: [string, string][] }).headers);
    expect(headers['x-ratelimit-limit-requests']).toBe('2');
    expect(headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(headers['x-ratelimit-limit-tokens']).toBe('1000');
  });

  it('admits a client without limits without touching the limiter', () => {
    expect(admitRequest({ limiter: new RateLimiter() }, { id: 'c', policy: { limits: [] } }, 5)).toEqual([]);
  });

  it('reports the tightest request limit and the tightest token limit, the first of equals', () => {
    const l = (kind: 'requests' | 'total_tokens' | 'input_tokens' | 'cost', window: 'minute' | 'hour', max: number) => ({ kind, window, max });
    const headers = Object.fromEntries(rateLimitHeaders([
      { limit: l('requests', 'minute', 10), remaining: 5, resetMs: 1 },
      { limit: l('cost', 'hour', 1), remaining: 0, resetMs: 2 },
      { limit: l('requests', 'hour', 100), remaining: 20, resetMs: 3 },
      { limit: l('total_tokens', 'minute', 1000), remaining: 500, resetMs: 4 },
      { limit: l('input_tokens', 'hour', 2000), remaining: 1000, resetMs: 5 },
    ]));
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '20', 'x-ratelimit-reset-requests': '3ms',
      'x-ratelimit-limit-tokens': '1000', 'x-ratelimit-remaining-tokens': '500', 'x-ratelimit-reset-tokens': '4ms',
    });
  });

  it('counts a client\'s use across a config reload that rebuilds equal limits', () => {
    const limiter = new RateLimiter();
    const before = [{ kind: 'requests' as const, window: 'minute' as const, max: 2 }];
    expect(limiter.admit('c', before, { requests: 1 }).ok).toBe(true);
    const after = [{ kind: 'requests' as const, window: 'minute' as const, max: 2 }];
    expect(limiter.admit('c', after, { requests: 1 }).ok).toBe(true);
    expect(limiter.admit('c', after, { requests: 1 }).ok).toBe(false);
  });

  it('formats reset times the way OpenAI does', () => {
    const at = (resetMs: number) => rateLimitHeaders([{ limit: limits[0]!, remaining: 1.7, resetMs }]);
    expect(at(120)).toContainEqual(['x-ratelimit-reset-requests', '120ms']);
    expect(at(1500)).toContainEqual(['x-ratelimit-reset-requests', '1.5s']);
    expect(at(360_000)).toContainEqual(['x-ratelimit-reset-requests', '6m0s']);
    expect(at(120)).toContainEqual(['x-ratelimit-remaining-requests', '1']);
  });
});
