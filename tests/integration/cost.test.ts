import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { startAnthropicGatewayFixture } from '../helpers/anthropic-gateway-fixture.js';
import { MOCK_USAGE, startMockAnthropic } from '../helpers/mock-anthropic.js';

// The mock reports prompt 11 (3 cached) and completion 7 (2 of them reasoning) on every answer.
// With input $1, cached input $0.50 and output $2 per million tokens:
// (11 - 3) * 1 + 3 * 0.5 + 7 * 2 = 23.5 per million → $0.0000235.
const EXPECTED_COST = 0.0000235;

describe('cost per request from real usage and model prices', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, {
      priceOverrides: { 'mock/echo': { input_per_mtok: 1, output_per_mtok: 2, cached_input_per_mtok: 0.5 } },
    });
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('returns usage.cost in USD on non-streamed answers', async () => {
    const res = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] });
    expect((res.usage as unknown as { cost: number }).cost).toBeCloseTo(EXPECTED_COST, 12);
    expect(res.usage!.prompt_tokens).toBe(11);
  });

  it('returns usage.cost in the streamed usage chunk when the client asked for usage', async () => {
    const stream = await client.chat.completions.create({ model: 'mock/echo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'x' }] });
    let cost: number | undefined;
    for await (const chunk of stream) if (chunk.usage) cost = (chunk.usage as unknown as { cost: number }).cost;
    expect(cost).toBeCloseTo(EXPECTED_COST, 12);
  });

  it('leaves usage.cost out when the price is unknown', async () => {
    const res = await client.chat.completions.create({ model: 'mock/gpt-test', messages: [{ role: 'user', content: 'x' }] });
    expect(res.usage).not.toHaveProperty('cost');
  });

  it('lists prices (with their source) and catalog facts in /v1/models', async () => {
    const list = await client.models.list();
    const echo = list.data.find((m) => m.id === 'mock/echo') as unknown as { pricing: Record<string, unknown> };
    expect(echo.pricing).toEqual({ input_per_mtok: 1, output_per_mtok: 2, cache_read_per_mtok: 0.5, source: 'override' });
    const other = list.data.find((m) => m.id === 'mock/gpt-test') as unknown as Record<string, unknown>;
    expect(other).not.toHaveProperty('pricing');
  });

  it('counts the cost in /metrics', async () => {
    const before = await (await fetch(`http://127.0.0.1:${fx.gw.port}/metrics`)).text();
    // One sample per client/provider/model: the total is their sum.
    const read = (t: string): number => t.split('\n').filter((l) => l.startsWith('localrouter_cost_usd_total{')).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] });
    const after = await (await fetch(`http://127.0.0.1:${fx.gw.port}/metrics`)).text();
    expect(read(after) - read(before)).toBeCloseTo(EXPECTED_COST, 12);
  });
});

describe('cost of a translated (Anthropic) stream', () => {
  it('reports the cost of the final usage in the usage chunk', async () => {
    const mock = await startMockAnthropic();
    const fx = await startAnthropicGatewayFixture(mock.url, { priceOverrides: { 'claude/claude-echo': { input_per_mtok: 3, output_per_mtok: 15, cached_input_per_mtok: 0.3, cache_write_per_mtok: 3.75 } } });
    try {
      const client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
      const stream = await client.chat.completions.create({ model: 'claude/claude-echo', stream: true, stream_options: { include_usage: true }, max_tokens: 50, messages: [{ role: 'user', content: 'x' }] });
      let usage: (OpenAI.CompletionUsage & { cost?: number }) | undefined;
      for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
      const u = MOCK_USAGE;
      expect(usage!.completion_tokens).toBe(u.output_tokens);
      // Each kind of input token at its own price: cache writes at the cache-write price, not the input price.
      expect(u.cache_creation_input_tokens).toBeGreaterThan(0);
      const expected = (u.input_tokens * 3 + u.cache_creation_input_tokens * 3.75 + u.cache_read_input_tokens * 0.3 + u.output_tokens * 15) / 1e6;
      expect(usage!.cost).toBeCloseTo(expected, 12);
    } finally {
      await fx.close();
      await mock.close();
    }
  });
});
