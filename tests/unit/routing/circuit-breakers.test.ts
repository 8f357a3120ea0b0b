import { describe, expect, it } from 'vitest';
import { CircuitBreakers, logBreakerTransitions, recordAttempt, retryAfterSeconds, type BreakerTransition } from '../../../src/routing/index.js';
import type { Attempt } from '../../../src/model/index.js';

const DAY = 86_400_000;

function breakers(opts: { threshold?: number; cooldownMs?: number; maxRetryAfterMs?: number } = {}) {
  const clock = { now: 0 };
  const transitions: BreakerTransition[] = [];
  const b = new CircuitBreakers({
    threshold: opts.threshold ?? 3, cooldownMs: opts.cooldownMs ?? 1000, maxRetryAfterMs: opts.maxRetryAfterMs ?? 300_000,
    now: () => clock.now, onTransition: (t) => transitions.push(t),
  });
  return { b, clock, transitions };
}

function attempt(provider: string, model: string, status: number, code: Attempt['code'], retryAfterMs = 0, connectionLevel = false): Attempt {
  return { provider, model, status, code, durationMs: 12, retryAfterMs, connectionLevel };
}

describe('CircuitBreakers per (provider, model)', () => {
  it('opens after N failures, skips, half-opens one probe after the cool-down, closes on success', () => {
    const { b, clock } = breakers();
    b.failure('p', 'm', 'model');
    b.failure('p', 'm', 'model');
    expect(b.state('p', 'm')).toBe('closed');
    b.failure('p', 'm', 'model');
    expect(b.state('p', 'm')).toBe('open');
    expect(b.acquire('p', 'm')).toBeNull();
    expect(b.retryInMs('p', 'm')).toBe(1000);
    clock.now += 1000;
    expect(b.state('p', 'm')).toBe('half_open');
    const claims = b.acquire('p', 'm');
    expect(claims).toHaveLength(1);
    expect(b.acquire('p', 'm')).toBeNull(); // one probe at a time
    b.success('p', 'm');
    expect(b.state('p', 'm')).toBe('closed');
    expect(b.acquire('p', 'm')).toEqual([]);
  });

  it("one model's failures leave the provider's other models alone", () => {
    const { b } = breakers();
    for (let i = 0; i < 5; i++) b.failure('p', 'broken', 'model');
    expect(b.state('p', 'broken')).toBe('open');
    expect(b.state('p')).toBe('closed');
    expect(b.state('p', 'healthy')).toBe('closed');
    expect(b.acquire('p', 'healthy')).toEqual([]);
  });

  it('connection-level failures open the provider for every model; any HTTP answer closes it', () => {
    const { b } = breakers();
    for (let i = 0; i < 3; i++) b.failure('p', 'a', 'provider');
    expect(b.state('p')).toBe('open');
    expect(b.acquire('p', 'b')).toBeNull();
    expect(b.state('p', 'b')).toBe('open');
    b.failure('p', 'a', 'model'); // the upstream answered (a 500): it is reachable again
    expect(b.state('p')).toBe('closed');
    expect(b.acquire('p', 'b')).toEqual([]);
  });

  it("a Retry-After opens the model's breaker at once, capped at maxRetryAfterMs, for that model only", () => {
    const { b } = breakers({ maxRetryAfterMs: 300_000 });
    b.failure('p', 'm', 'model', DAY);
    expect(b.state('p', 'm')).toBe('open');
    expect(b.retryInMs('p', 'm')).toBe(300_000);
    expect(b.state('p', 'other')).toBe('closed');
    b.failure('p', 'n', 'model', 99_999_999_999 * 1000);
    expect(b.retryInMs('p', 'n')).toBe(300_000);
  });

  it('a short Retry-After still opens for the cool-down; a cap of 0 ignores Retry-After', () => {
    const short = breakers({ cooldownMs: 1000 });
    short.b.failure('p', 'm', 'model', 10);
    expect(short.b.retryInMs('p', 'm')).toBe(1000);
    const off = breakers({ maxRetryAfterMs: 0 });
    off.b.failure('p', 'm', 'model', 60_000);
    expect(off.b.state('p', 'm')).toBe('closed');
  });

  it('a lower cap on reload shortens breakers already open', () => {
    const { b } = breakers({ maxRetryAfterMs: DAY });
    b.failure('p', 'm', 'model', DAY);
    expect(b.retryInMs('p', 'm')).toBe(DAY);
    b.configure(3, 1000, 60_000);
    expect(b.retryInMs('p', 'm')).toBe(60_000);
  });

  it('a failed probe reopens; an unused probe slot is handed back, a stale claim is not', () => {
    const { b, clock } = breakers({ threshold: 5, cooldownMs: 100 });
    b.failure('q', 'm', 'model', 5000);
    clock.now = 5000;
    expect(b.acquire('q', 'm')).toHaveLength(1);
    b.failure('q', 'm', 'model');
    expect(b.state('q', 'm')).toBe('open');

    clock.now = 10_000;
    const first = b.acquire('q', 'm')!;
    expect(first).toHaveLength(1);
    b.release(first);
    const second = b.acquire('q', 'm')!;
    expect(second).toHaveLength(1);
    b.release(first); // an old claim does not free the new holder's slot
    expect(b.acquire('q', 'm')).toBeNull();
  });

  it('reports every transition with provider and model', () => {
    const { b, clock, transitions } = breakers({ threshold: 2 });
    b.failure('p', 'm', 'model');
    b.failure('p', 'm', 'model');
    clock.now += 1000;
    b.acquire('p', 'm');
    b.success('p', 'm');
    expect(transitions.map((t) => [t.provider, t.model, t.from, t.to])).toEqual([
      ['p', 'm', 'closed', 'open'],
      ['p', 'm', 'open', 'half_open'],
      ['p', 'm', 'half_open', 'closed'],
    ]);
    expect(transitions[0]!.openForMs).toBe(1000);
  });

  it('lists the breakers that counted failures', () => {
    const { b } = breakers();
    b.failure('p', 'm', 'model', 5000);
    b.failure('p', 'x', 'provider');
    expect(b.entries()).toEqual([
      { provider: 'p', model: 'm', state: 'open', failures: 1, retryInMs: 5000 },
      { provider: 'p', model: null, state: 'closed', failures: 1, retryInMs: 0 },
    ]);
  });

  it('keeps a bounded number of entries when failures name ever new models', () => {
    const { b } = breakers({ threshold: 100 });
    for (let i = 0; i < 10_000; i++) b.failure('p', `model-${i}`, 'model');
    expect(b.entries().length).toBeLessThanOrEqual(4096);
  });
});

describe('breaker policy', () => {
  it('recordAttempt: a day-long 429 on one model leaves the provider and its other models usable', () => {
    const { b } = breakers();
    recordAttempt(b, attempt('openai', 'gpt-a', 429, 'LR_ERR_UPSTREAM_STATUS', DAY));
    expect(b.state('openai', 'gpt-a')).toBe('open');
    expect(b.retryInMs('openai', 'gpt-a')).toBe(300_000);
    expect(b.acquire('openai', 'gpt-b')).toEqual([]);
    recordAttempt(b, attempt('openai', 'gpt-a', 0, 'LR_ERR_UPSTREAM_UNREACHABLE', 0, true));
    expect(b.entries().find((e) => e.model === null)?.failures).toBe(1);
  });

  it('logs transitions at warn with bounded provider and model labels', () => {
    const lines: [Record<string, unknown>, string][] = [];
    const log = logBreakerTransitions({ warn: (obj, msg) => lines.push([obj as Record<string, unknown>, msg]) });
    log({ provider: 'p', model: `evil\n${'x'.repeat(500)}`, from: 'closed', to: 'open', failures: 5, openForMs: 30_000, retryAfterMs: 0 });
    log({ provider: 'p', model: null, from: 'closed', to: 'open', failures: 5, openForMs: 30_000, retryAfterMs: 0 });
    expect(lines[0]![1]).toBe('circuit breaker opened');
    expect(lines[0]![0]).toMatchObject({ provider: 'p', from: 'closed', to: 'open', open_for_ms: 30_000 });
    const model = lines[0]![0].model as string;
    expect(model).not.toContain('\n');
    expect(model.length).toBeLessThanOrEqual(200);
    expect(lines[1]![1]).toContain('provider');
  });

  it('Retry-After passed on to clients is capped and in whole seconds', () => {
    expect(retryAfterSeconds(7000, 300_000)).toBe('7');
    expect(retryAfterSeconds(DAY, 300_000)).toBe('300');
    expect(retryAfterSeconds(10, 300_000)).toBe('1');
  });
});
