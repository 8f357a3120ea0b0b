import Database from 'better-sqlite3';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LOOKUPS_PER_CLIENT } from '../../src/llm-api/generation-route.js';
import { monitoringDbPath } from '../../src/metrics/index.js';
import { generateClientKey } from '../../src/secrets/index.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

/** `gen-` + 32 hex digits: the gateway's generation ids. */
const GEN_ID = /^gen-[0-9a-f]{32}$/;
/** The id the mock upstream gives every answer. */
const UPSTREAM_ID = 'chatcmpl-mock';

/**
 * OpenRouter's conventions, seen from real clients: answers carry the gateway's `gen-…` id and the
 * `provider/model` that served them, `/v1/generation` (and OpenRouter's `/api/v1/generation`) takes
 * that id or the upstream's, a body with only `models` falls back through it, and OpenRouter's
 * read-only routes answer in its documented shapes (openrouter.ai/docs/api-reference).
 */
describe('OpenRouter conventions', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  let client: OpenAI;
  const limited = generateClientKey();
  const origin = (): string => fx.baseURL.replace(/\/v1$/, '');
  const get = (path: string, key = fx.key): Promise<Response> => fetch(`${origin()}${path}`, { headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, {
      priceOverrides: { 'mock/echo': { input_per_mtok: 1, output_per_mtok: 2 } },
      clients: [{
        id: 'c_limitedclient', name: 'limited', key_hash: limited.hash, key_prefix: limited.prefix, enabled: true, created_at: new Date().toISOString(),
        limits: [{ kind: 'cost', window: 'day', max: 5 }, { kind: 'requests', window: 'minute', max: 100 }, { kind: 'requests', window: 'hour', max: 1000 }],
      }],
    });
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('the OpenAI SDK gets the gateway\'s gen- id and the provider/model, whole and streamed', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.id).toMatch(GEN_ID);
    expect(data.id).toBe(response.headers.get('x-localrouter-generation-id'));
    expect(data.model).toBe('mock/echo');
    expect(data.choices[0]!.message.content).toBe('echo: hi');

    const stream = await client.chat.completions.create({ model: 'echo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'one two' }] });
    const ids = new Set<string>();
    const models = new Set<string>();
    let text = '';
    for await (const chunk of stream) {
      ids.add(chunk.id);
      models.add(chunk.model);
      text += chunk.choices[0]?.delta?.content ?? '';
    }
    expect(text).toBe('echo: one two');
    expect([...ids]).toHaveLength(1);
    expect([...ids][0]).toMatch(GEN_ID);
    expect([...models]).toEqual(['mock/echo']);
  });

  it('/v1/generation and /api/v1/generation take the body\'s id, and the upstream\'s id, for the calling client only', async () => {
    const res = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'record me' }] });
    const own = await get(`/v1/generation?id=${res.id}`);
    expect(own.status).toBe(200);
    const { data } = (await own.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({ id: res.id, upstream_id: UPSTREAM_ID, model: 'mock/echo', provider: 'mock', status: 200 });

    // The upstream's id finds this client's latest record with it.
    const byUpstream = await get(`/v1/generation?id=${UPSTREAM_ID}`);
    expect(byUpstream.status).toBe(200);
    expect(((await byUpstream.json()) as { data: { id: string } }).data.id).toBe(res.id);
    const other = await get(`/v1/generation?id=${UPSTREAM_ID}`, limited.key);
    expect(other.status).toBe(404);

    // OpenRouter's shape (openrouter.ai/docs/api-reference/get-generation).
    const or = await get(`/api/v1/generation?id=${res.id}`);
    expect(or.status).toBe(200);
    const gen = ((await or.json()) as { data: Record<string, unknown> }).data;
    expect(gen).toMatchObject({
      id: res.id, upstream_id: UPSTREAM_ID, model: 'mock/echo', provider_name: 'mock', streamed: false, cancelled: false,
      tokens_prompt: 11, tokens_completion: 7, native_tokens_cached: 3, native_tokens_reasoning: 2,
    });
    expect(gen.total_cost).toBeCloseTo((11 * 1 + 7 * 2) / 1e6, 12);
    expect(gen.usage).toBe(gen.total_cost);
    expect(typeof gen.created_at).toBe('string');
    expect(gen.latency).toBeGreaterThan(0);
  });

  it('lookups waiting on the store are bounded per client: beyond the bound 429 with retry-after at once, the rest answered once the store is free', async () => {
    // Another connection holds the store's exclusive lock, so every lookup that reaches the store
    // waits there (the writer thread waits out the lock) until it is released.
    const lock = new Database(monitoringDbPath(fx.home));
    lock.exec('BEGIN EXCLUSIVE');
    let released = false;
    try {
      const n = MAX_LOOKUPS_PER_CLIENT + 40;
      const settled: Response[] = [];
      const all = Array.from({ length: n }, (_, i) => get(`/v1/generation?id=chatcmpl-waiting-${i}`).then((r) => { settled.push(r); return r; }));
      for (let t = 0; t < 200 && settled.length < n - MAX_LOOKUPS_PER_CLIENT; t++) await new Promise((r) => setTimeout(r, 10));
      // Exactly the lookups beyond the bound are answered while the others wait.
      expect(settled).toHaveLength(n - MAX_LOOKUPS_PER_CLIENT);
      for (const r of settled) {
        expect(r.status).toBe(429);
        expect(r.headers.get('retry-after')).toBe('1');
        expect(((await r.json()) as { error: { code: string; type: string } }).error).toMatchObject({ code: 'LR_ERR_RATE_LIMITED', type: 'rate_limit_error' });
      }
      // Another client is not held back by this one's bound: its lookup waits its turn, not refused.
      const other = get('/v1/generation?id=chatcmpl-other', limited.key);
      await new Promise((r) => setTimeout(r, 50));
      lock.exec('COMMIT');
      released = true;
      const answered = (await Promise.all(all)).filter((r) => r.status !== 429);
      expect(answered).toHaveLength(MAX_LOOKUPS_PER_CLIENT);
      for (const r of answered) expect(r.status).toBe(404);
      expect((await other).status).toBe(404);
      // Slots are given back: the next lookup is answered, not refused.
      const res = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'after the wait' }] });
      expect((await get(`/v1/generation?id=${res.id}`)).status).toBe(200);
    } finally {
      if (!released) lock.exec('COMMIT');
      lock.close();
    }
  });

  it('a body with only "models" is accepted: the first is the primary, the rest fall back in order', async () => {
    const { data, response } = await client.chat.completions.create({
      messages: [{ role: 'user', content: 'fallback' }],
      // @ts-expect-error OpenRouter's extension: the SDK types require `model`
      models: ['mock/error-500', 'mock/echo'],
    }).withResponse();
    expect(data.model).toBe('mock/echo');
    expect(data.id).toMatch(GEN_ID);
    expect(data.choices[0]!.message.content).toBe('echo: fallback');
    expect(response.headers.get('x-localrouter-attempts')).toBe('2');
    const sent = mock.seen.at(-1)!;
    expect(sent.body.model).toBe('echo');
    expect(sent.body.models).toBeUndefined();

    const none = await fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ models: [], messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(none.status).toBe(400);
    expect(((await none.json()) as { error: { param: string } }).error.param).toBe('model');
  });

  it('embeddings and the Anthropic Messages route carry the same identity', async () => {
    const emb = await client.embeddings.create({ model: 'mock/text-embedding-3-small', input: 'x' });
    expect(emb.model).toBe('mock/text-embedding-3-small');

    const anthropic = new Anthropic({ apiKey: fx.key, baseURL: origin(), maxRetries: 0 });
    const { data: msg, response } = await anthropic.messages.create({ model: 'mock/echo', max_tokens: 20, messages: [{ role: 'user', content: 'hey' }] }).withResponse();
    expect(msg.id).toMatch(GEN_ID);
    expect(msg.id).toBe(response.headers.get('x-localrouter-generation-id'));
    expect(msg.model).toBe('mock/echo');
    const stream = anthropic.messages.stream({ model: 'mock/echo', max_tokens: 20, messages: [{ role: 'user', content: 'hey' }] });
    const final = await stream.finalMessage();
    expect(final.id).toMatch(GEN_ID);
    expect(final.model).toBe('mock/echo');
  });

  it('an OpenRouter-style client works against /api/v1 unchanged: chat, /models and /key in OpenRouter\'s shapes', async () => {
    const openrouter = new OpenAI({ apiKey: limited.key, baseURL: `${origin()}/api/v1`, maxRetries: 0 });
    const res = await openrouter.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'via api' }] });
    expect(res.id).toMatch(GEN_ID);
    expect(res.model).toBe('mock/echo');

    // openrouter.ai/docs/api-reference/models/get-models: { data: Model[] }, prices as strings per token.
    const models = await get('/api/v1/models', limited.key);
    expect(models.status).toBe(200);
    const list = ((await models.json()) as { data: Record<string, any>[] }).data;
    const echo = list.find((m) => m.id === 'mock/echo')!;
    expect(echo).toMatchObject({
      id: 'mock/echo', canonical_slug: 'mock/echo', name: expect.any(String), created: expect.any(Number), description: expect.any(String),
      architecture: { input_modalities: expect.any(Array), output_modalities: expect.any(Array), tokenizer: expect.any(String) },
      pricing: { prompt: '0.000001', completion: '0.000002' },
      top_provider: { is_moderated: false }, per_request_limits: null, supported_parameters: expect.arrayContaining(['max_tokens', 'temperature']),
    });
    expect('context_length' in echo).toBe(true);
    expect(list.every((m) => typeof m.id === 'string' && m.id.includes('/'))).toBe(true);

    // openrouter.ai/docs/api-reference/api-keys/get-current-key: the calling key's usage and limits.
    let key: Record<string, any> = {};
    await expect.poll(async () => {
      key = ((await (await get('/api/v1/key', limited.key)).json()) as { data: Record<string, any> }).data;
      return key.usage;
    }, { timeout: 5000 }).toBeGreaterThan(0);
    expect(key).toMatchObject({
      label: 'limited', limit: 5, limit_reset: 'daily', is_free_tier: false, is_provisioning_key: false,
      rate_limit: { requests: 100, interval: '1m' },
    });
    expect(key.usage).toBeCloseTo(25 / 1e6, 12);
    expect(key.usage_daily).toBe(key.usage);
    expect(key.limit_remaining).toBeLessThan(5);
    expect(key.limit_remaining).toBeGreaterThan(4.99);

    // A key without limits: no limit, no remaining.
    const plain = ((await (await get('/api/v1/key')).json()) as { data: Record<string, any> }).data;
    expect(plain).toMatchObject({ label: 'test', limit: null, limit_remaining: null, limit_reset: null, is_free_tier: false });
    expect((await fetch(`${origin()}/api/v1/key`)).status).toBe(401);
  });
});
