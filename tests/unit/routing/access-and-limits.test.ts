import { describe, expect, it } from 'vitest';
import type { LimitConfig } from '../../../src/config/index.js';
import { compileAccessRules, RateLimiter, StrategyTable } from '../../../src/routing/index.js';

describe('compileAccessRules', () => {
  it('most specific pattern wins: model > provider > global, deny on ties', () => {
    const may = compileAccessRules(['*', 'ollama/llama3.1:8b'], ['ollama/*', 'openai/gpt-4o']);
    expect(may('groq/llama')).toBe(true); // global allow
    expect(may('ollama/qwen')).toBe(false); // provider deny beats global allow
    expect(may('ollama/llama3.1:8b')).toBe(true); // model allow beats provider deny
    expect(may('openai/gpt-4o')).toBe(false); // model deny
    expect(may('openai/gpt-4o-mini')).toBe(true);
    const tie = compileAccessRules(['ollama/*'], ['ollama/*']);
    expect(tie('ollama/x')).toBe(false);
    const longer = compileAccessRules(['ollama/llama*'], ['ollama/*']);
    expect(longer('ollama/llama3')).toBe(true);
    expect(longer('ollama/qwen')).toBe(false);
  });

  it('allows nothing without a matching allow rule', () => {
    const may = compileAccessRules(['openai/*'], []);
    expect(may('groq/x')).toBe(false);
    expect(compileAccessRules([], [])('a/b')).toBe(false);
  });
});

describe('StrategyTable', () => {
  it('applies the default strategy, named strategies, and the client allow list on top', () => {
    const table = new StrategyTable({
      default_strategy: 'locals',
      strategies: [
        { name: 'locals', allow: ['ollama/*'], deny: [], limits: [{ kind: 'requests', window: 'minute', max: 5 }], auto: { models: ['ollama/a'], strong_models: [], weak_models: [] } },
      ],
    });
    const base = { id: 'c_x00000000', name: 'x', key_hash: '0'.repeat(64), key_prefix: '', enabled: true, created_at: '', allowed_models: ['*'], limits: [] as LimitConfig[] };
    const p = table.policyFor(base);
    expect(p.strategy).toBe('locals');
    expect(p.mayUse('ollama/a')).toBe(true);
    expect(p.mayUse('openai/a')).toBe(false);
    expect(p.auto.models).toEqual(['ollama/a']);
    const own = table.policyFor({ ...base, strategy: 'default', allowed_models: ['openai/*'], limits: [{ kind: 'cost', window: 'day', max: 1 }] });
    expect(own.mayUse('openai/a')).toBe(true);
    expect(own.mayUse('ollama/a')).toBe(false);
    expect(own.limits).toEqual([{ kind: 'cost', window: 'day', max: 1 }]);
  });
});

describe('RateLimiter', () => {
  const perMinute = (max: number, kind: LimitConfig['kind'] = 'requests'): LimitConfig => ({ kind, window: 'minute', max });

  it('admits exactly the limit out of a burst of 64, then says when to retry', () => {
    let now = 1_000_000;
    const rl = new RateLimiter(() => now);
    const limits = [perMinute(10)];
    const results = Array.from({ length: 64 }, () => rl.admit('c', limits, { requests: 1 }));
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    const refused = results.find((r) => !r.ok)!;
    if (refused.ok) throw new Error('unreachable');
    expect(refused.retryAfterMs).toBe(6000); // one request's share of the minute
    now += 5999;
    expect(rl.admit('c', limits, { requests: 1 }).ok).toBe(false);
    now += 1;
    expect(rl.admit('c', limits, { requests: 1 }).ok).toBe(true);
    expect(rl.admit('other', limits, { requests: 1 }).ok).toBe(true);
  });

  it('admits odd limits exactly despite floating point', () => {
    const rl = new RateLimiter(() => 5);
    const limits = [{ kind: 'requests', window: 'hour', max: 7 } as LimitConfig];
    expect(Array.from({ length: 20 }, () => rl.admit('k', limits, { requests: 1 }).ok).filter(Boolean)).toHaveLength(7);
  });

  it('charges tokens and cost after the fact and refuses once the budget is spent', () => {
    let now = 0;
    const rl = new RateLimiter(() => now);
    const limits: LimitConfig[] = [perMinute(1000, 'total_tokens'), { kind: 'cost', window: 'day', max: 0.5 }];
    expect(rl.admit('c', limits, { requests: 1 }).ok).toBe(true);
    rl.charge('c', limits, { total_tokens: 999, cost: 0.1 });
    expect(rl.admit('c', limits, { requests: 1 }).ok).toBe(true);
    rl.charge('c', limits, { total_tokens: 10 });
    const r = rl.admit('c', limits, { requests: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.limit.kind).toBe('total_tokens');
      expect(r.retryAfterMs).toBeGreaterThan(0);
      expect(r.retryAfterMs).toBeLessThanOrEqual(600);
    }
    now += 60_000;
    rl.charge('c', limits, { cost: 0.45 });
    const byCost = rl.admit('c', limits, { requests: 1 });
    expect(byCost.ok).toBe(false);
    if (!byCost.ok) expect(byCost.limit.kind).toBe('cost');
  });

  it('keeps its state across a snapshot and restore', () => {
    let now = 0;
    const a = new RateLimiter(() => now);
    const limits = [perMinute(2)];
    a.admit('c', limits, { requests: 1 });
    a.admit('c', limits, { requests: 1 });
    const snap = JSON.parse(JSON.stringify(a.snapshot()));
    const b = new RateLimiter(() => now);
    b.restore(snap);
    expect(b.admit('c', limits, { requests: 1 }).ok).toBe(false);
    now += 60_000;
    expect(b.admit('c', limits, { requests: 1 }).ok).toBe(true);
  });

  it('reports remaining budget and reset time', () => {
    const rl = new RateLimiter(() => 0);
    const limits = [perMinute(10)];
    rl.admit('c', limits, { requests: 1 });
    rl.admit('c', limits, { requests: 1 });
    const [s] = rl.states('c', limits);
    expect(s!.remaining).toBeCloseTo(8, 6);
    expect(s!.resetMs).toBe(12_000);
  });
});
