import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicGatewayFixture } from '../helpers/anthropic-gateway-fixture.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { MOCK_ANTHROPIC_KEY, startMockAnthropic, type MockAnthropic } from '../helpers/mock-anthropic.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const weatherTool: Anthropic.Tool = { name: 'get_weather', description: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } };

// The Anthropic SDK sends `Authorization: Bearer <key>` by default, which the gateway accepts like x-api-key.
function sdk(fx: GatewayFixture): Anthropic {
  return new Anthropic({ apiKey: fx.key, baseURL: `http://127.0.0.1:${fx.gw.port}`, maxRetries: 0 });
}

describe('POST /v1/messages routed to an OpenAI-compatible upstream', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url);
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('answers text with Anthropic usage', async () => {
    const msg = await sdk(fx).messages.create({ model: 'mock/echo', max_tokens: 100, system: 'terse', messages: [{ role: 'user', content: 'hello' }] });
    expect(msg.type).toBe('message');
    expect(msg.content).toEqual([expect.objectContaining({ type: 'text', text: 'echo: hello' })]);
    expect(msg.stop_reason).toBe('end_turn');
    expect(msg.usage.output_tokens).toBe(7);
    expect(msg.usage.input_tokens + (msg.usage.cache_read_input_tokens ?? 0)).toBe(11);
    const sent = mock.seen.at(-1)!.body;
    expect(sent.messages[0]).toEqual({ role: 'system', content: 'terse' });
    expect(sent.max_completion_tokens ?? sent.max_tokens).toBe(100);
  });

  it('streams with the messages.stream() helper', async () => {
    const stream = sdk(fx).messages.stream({ model: 'mock/echo', max_tokens: 50, messages: [{ role: 'user', content: 'streamed text' }] });
    const pieces: string[] = [];
    stream.on('text', (t) => pieces.push(t));
    const final = await stream.finalMessage();
    expect(pieces.length).toBeGreaterThan(2);
    expect(pieces.join('')).toBe('echo: streamed text');
    expect(final.usage.output_tokens).toBe(7);
    expect(final.stop_reason).toBe('end_turn');
  });

  it('returns tool_use blocks', async () => {
    const msg = await sdk(fx).messages.create({ model: 'mock/tools', max_tokens: 100, tools: [weatherTool], messages: [{ role: 'user', content: 'weather?' }] });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content.find((b) => b.type === 'tool_use')).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
  });

  it('count_tokens is refused for a target that cannot count', async () => {
    const err = await sdk(fx).messages.countTokens({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(400);
    expect((err.error as { error: { message: string } }).error.message).toMatch(/does not offer count_tokens|not supported|count_tokens/);
  });

  it('answers errors in the Anthropic shape', async () => {
    const err = await sdk(fx).messages.create({ model: 'mock/error-422', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof Anthropic.APIError>;
    expect(err.status).toBe(422);
    expect((err.error as { type: string; error: { type: string; message: string } }).type).toBe('error');
    const unauth = await new Anthropic({ apiKey: 'lr-wrong', baseURL: `http://127.0.0.1:${fx.gw.port}`, maxRetries: 0 })
      .messages.create({ model: 'mock/echo', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof Anthropic.APIError>;
    expect(unauth.status).toBe(401);
    expect((unauth.error as { error: { type: string } }).error.type).toBe('authentication_error');
  });
});

describe('POST /v1/messages routed to the Anthropic mock', () => {
  let mock: MockAnthropic;
  let fx: GatewayFixture;
  beforeAll(async () => {
    mock = await startMockAnthropic();
    fx = await startAnthropicGatewayFixture(mock.url);
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('text, stream, tools and usage reach the Anthropic client', async () => {
    const client = sdk(fx);
    const msg = await client.messages.create({ model: 'claude/claude-echo', max_tokens: 64, messages: [{ role: 'user', content: 'ping' }] });
    expect(msg.content[0]).toMatchObject({ type: 'text' });
    expect((msg.content[0] as Anthropic.TextBlock).text).toContain('ping');
    expect(msg.usage).toMatchObject({ output_tokens: 9 });

    const stream = client.messages.stream({ model: 'claude/claude-echo', max_tokens: 64, messages: [{ role: 'user', content: 'stream ping' }] });
    const final = await stream.finalMessage();
    expect((final.content[0] as Anthropic.TextBlock).text).toContain('stream ping');

    const tools = await client.messages.create({ model: 'claude/claude-tools', max_tokens: 64, tools: [weatherTool], messages: [{ role: 'user', content: 'weather?' }] });
    expect(tools.content.some((b) => b.type === 'tool_use' && b.name === 'get_weather')).toBe(true);
    expect(mock.seen.at(-1)!.body.tools[0].name).toBe('get_weather');
  });

  it('passes the upstream stream and message through byte for byte (but the gateway\'s id and provider/model), with the exact usage in message_start', async () => {
    const post = (url: string, headers: Record<string, string>, body: unknown): Promise<Response> =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const gateway = (body: object): Promise<Response> => post(`http://127.0.0.1:${fx.gw.port}/v1/messages`, { authorization: `Bearer ${fx.key}` }, body);
    // What the mock answers the request the gateway sent, asked directly.
    const direct = (): Promise<string> => post(`${mock.url}/messages`, { 'x-api-key': MOCK_ANTHROPIC_KEY, 'anthropic-version': '2023-06-01' }, mock.seen.at(-1)!.body).then((r) => r.text());
    for (const stream of [true, false]) {
      const via = await gateway({ model: 'claude/claude-echo', max_tokens: 64, stream, messages: [{ role: 'user', content: 'Grüße, bytes 🌍' }] });
      const id = via.headers.get('x-localrouter-generation-id')!;
      expect(id).toMatch(/^gen-[0-9a-f]{32}$/);
      const upstream = await direct();
      expect(upstream).toContain('"id":"msg_mock01"');
      expect(await via.text()).toBe(upstream.replace('"id":"msg_mock01"', `"id":"${id}"`).replace('"model":"claude-echo"', '"model":"claude/claude-echo"'));
    }

    const stream = sdk(fx).messages.stream({ model: 'claude/claude-echo', max_tokens: 64, messages: [{ role: 'user', content: 'usage please' }] });
    const events: Anthropic.MessageStreamEvent[] = [];
    for await (const ev of stream) events.push(ev);
    expect(events[0]).toMatchObject({ type: 'message_start', message: { id: expect.stringMatching(/^gen-[0-9a-f]{32}$/), model: 'claude/claude-echo', usage: { input_tokens: 20, cache_creation_input_tokens: 3, cache_read_input_tokens: 5 } } });
    expect((await stream.finalMessage()).usage).toMatchObject({ input_tokens: 20, cache_creation_input_tokens: 3, cache_read_input_tokens: 5, output_tokens: 9 });
  });

  it('count_tokens is answered by the Anthropic upstream', async () => {
    const r = await sdk(fx).messages.countTokens({ model: 'claude/claude-echo', system: 'sys', messages: [{ role: 'user', content: 'count these words please' }] });
    expect(r.input_tokens).toBeGreaterThan(5);
    const sent = mock.seen.at(-1)!;
    expect(sent.body.max_tokens).toBeUndefined();
    expect(sent.body.model).toBe('claude-echo');
  });
});
