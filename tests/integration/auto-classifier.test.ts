import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

// The shipped classifier (models/router-hashlr.bin) splits `auto` between a strong and a weak list.
describe('auto routing with the shipped classifier', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, {
      // Generous: CI machines are loaded; the fallback on timeout has its own test below.
      server: { classifier_timeout_ms: 5000 },
      providers: [{ name: 'weak', type: 'openai-compatible', base_url: mock.url }],
      strategies: [{ name: 'default', auto: { strong_models: ['mock/echo'], weak_models: ['weak/echo'], classifier: 'hashlr', threshold: 0.5 } }],
    });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  const ask = (model: string, content: string) => new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 })
    .chat.completions.create({ model, messages: [{ role: 'user', content: 'earlier turn' }, { role: 'assistant', content: 'ok' }, { role: 'user', content }] }).withResponse();

  function route(res: Response): { side: string; score: number; threshold: number } {
    const h = res.headers.get('x-localrouter-route') ?? '';
    const m = /^(strong|weak); classifier=hashlr; score=([\d.]+); threshold=([\d.]+)$/.exec(h);
    if (!m) throw new Error(`unexpected route header: ${h}`);
    return { side: m[1]!, score: Number(m[2]), threshold: Number(m[3]) };
  }

  it('scores the prompt and sends it to the side its score picks', async () => {
    const res = await ask('localrouter/auto', 'Let x be a prime. Prove that x^2 - 1 is divisible by 24 when x > 3.');
    const r = route(res.response);
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(1);
    expect(r.threshold).toBe(0.5);
    expect(r.side).toBe(r.score >= 0.5 ? 'strong' : 'weak');
    expect(res.response.headers.get('x-localrouter-provider')).toBe(r.side === 'strong' ? 'mock' : 'weak');
  });

  it('router-<name>-<threshold> ids set the threshold per request', async () => {
    const strong = await ask('router-hashlr-0', 'hi');
    expect(route(strong.response).side).toBe('strong');
    expect(strong.response.headers.get('x-localrouter-provider')).toBe('mock');
    const weak = await ask('router-hashlr-1', 'hi');
    expect(route(weak.response).side).toBe('weak');
    expect(weak.response.headers.get('x-localrouter-provider')).toBe('weak');

    // The choice is kept in the generation record and counted in /metrics.
    const id = weak.response.headers.get('x-localrouter-generation-id')!;
    const gen = (await (await fetch(`${fx.baseURL}/generation?id=${id}`, { headers: { authorization: `Bearer ${fx.key}` } })).json() as { data: { route: { side: string; threshold: number; score: number; classifier: string } } }).data;
    expect(gen.route).toMatchObject({ classifier: 'hashlr', side: 'weak', threshold: 1 });
    expect(gen.route.score).toBeGreaterThan(0);
    const metrics = await (await fetch(`http://127.0.0.1:${fx.gw.port}/metrics`)).text();
    expect(metrics).toMatch(/^localrouter_auto_routes_total\{classifier="hashlr",side="weak"\} [1-9]/m);
    expect(metrics).toMatch(/^localrouter_auto_routes_total\{classifier="hashlr",side="strong"\} [1-9]/m);
  });

  it('a classifier that cannot answer sends the request to the strong side, still served', async () => {
    const res = await ask('router-missing-0.9', 'hi');
    expect(res.data.choices[0]!.message.content).toBe('echo: hi');
    expect(res.response.headers.get('x-localrouter-route')).toMatch(/^strong; classifier=missing; score=none/);
    expect(res.response.headers.get('x-localrouter-provider')).toBe('mock');
  });
});
