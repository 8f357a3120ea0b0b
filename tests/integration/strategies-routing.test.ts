import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientKey } from '../../src/secrets/index.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

describe('strategies: allowed models, auto routing, model resolution', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  const locals = generateClientKey();

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, {
      server: { breaker_failure_threshold: 1000 },
      providers: [{ name: 'backup', type: 'openai-compatible', base_url: mock.url, models: ['echo'] }],
      strategies: [
        { name: 'default', auto: { models: ['mock/error-500', 'backup/echo'] } },
        { name: 'only-backup', allow: ['*'], deny: ['mock/*'], auto: { models: ['mock/echo', 'backup/echo'] } },
      ],
      clients: [{ id: 'c_locals000001', name: 'locals', key_hash: locals.hash, key_prefix: locals.prefix, enabled: true, created_at: new Date().toISOString(), strategy: 'only-backup' }],
    });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  const client = (key: string): OpenAI => new OpenAI({ apiKey: key, baseURL: fx.baseURL, maxRetries: 0 });

  it('localrouter/auto and auto walk the strategy list in priority order', async () => {
    for (const model of ['localrouter/auto', 'auto']) {
      const res = await client(fx.key).chat.completions.create({ model, messages: [{ role: 'user', content: 'a' }] }).withResponse();
      expect(res.data.choices[0]!.message.content).toBe('echo: a');
      expect(res.response.headers.get('x-localrouter-model')).toBe('backup/echo');
      expect(res.response.headers.get('x-localrouter-attempts')).toBe('2');
    }
  });

  it('a deny rule hides a provider from /v1/models, refuses it by name, and drops it from auto', async () => {
    const ids = (await client(locals.key).models.list()).data.map((m) => m.id);
    expect(ids.sort()).toEqual(['backup/echo', 'backup/gpt-test']);
    const err = await client(locals.key).chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'a' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(403);
    expect(err.message).toContain('mock/echo');
    const auto = await client(locals.key).chat.completions.create({ model: 'auto', messages: [{ role: 'user', content: 'b' }] }).withResponse();
    expect(auto.response.headers.get('x-localrouter-model')).toBe('backup/echo');
    expect(auto.response.headers.get('x-localrouter-attempts')).toBe('1');
  });

  it('bare ids resolve to the first provider listing them; unknown ids get 404 pointing to /v1/models', async () => {
    const res = await client(fx.key).chat.completions.create({ model: 'echo', messages: [{ role: 'user', content: 'c' }] }).withResponse();
    expect(res.response.headers.get('x-localrouter-model')).toBe('mock/echo');
    const err = await client(fx.key).chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'c' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(404);
    expect(err.message).toContain('/v1/models');
  });
});

describe('SSE heartbeat while waiting for the first token', () => {
  it('sends comments before a slow first token, then the stream', async () => {
    const mock = await startMockOpenAI();
    const fx = await startGatewayFixture(mock.url, { server: { sse_heartbeat_ms: 100 } });
    try {
      const res = await fetch(`${fx.baseURL}/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/slow-first', stream: true, messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      const beats = text.split(': keep-alive\n\n').length - 1;
      expect(beats).toBeGreaterThanOrEqual(2);
      expect(text.indexOf(': keep-alive')).toBeLessThan(text.indexOf('data: '));
      expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    } finally {
      await fx.close();
      await mock.close();
    }
  });
});
