import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

// The same behaviour is required of every execution mode, `auto` planned for a small machine (every
// call on the main thread) and for a larger one (calls that overlap go to the actors).
describe.each([['auto', 2], ['auto', 8], ['workers', undefined], ['inline', undefined]] as const)('chat completions through the gateway (%s mode, %s cores)', (execution, cores) => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, { execution, cores });
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('answers a non-streaming request with the upstream completion and usage', async () => {
    const res = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hello' }] });
    expect(res.choices[0]!.message.content).toBe('echo: hello');
    expect(res.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    const sent = mock.seen.at(-1)!;
    expect(sent.body.model).toBe('echo');
    expect(sent.headers.authorization).toBe('Bearer sk-upstream-test');
  });

  it('resolves a bare model id listed by a provider', async () => {
    const res = await client.chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0]!.message.content).toBe('echo: x');
    expect(mock.seen.at(-1)!.body.model).toBe('gpt-test');
  });

  it('streams deltas incrementally and ends with [DONE]; no usage chunk unless asked', async () => {
    const stream = await client.chat.completions.create({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'stream me please' }] });
    const deltas: string[] = [];
    let usageSeen = false;
    for await (const chunk of stream) {
      if (chunk.usage) usageSeen = true;
      const d = chunk.choices[0]?.delta?.content;
      if (d) deltas.push(d);
    }
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('echo: stream me please');
    expect(usageSeen).toBe(false);
    // The gateway still asked upstream for usage, so it knows the real token counts.
    expect(mock.seen.at(-1)!.body.stream_options).toEqual({ include_usage: true });
  });

  it('passes the usage chunk through when the client asks for it', async () => {
    const stream = await client.chat.completions.create({
      model: 'mock/echo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'u' }],
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
    expect(usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
  });

  it('the raw stream is byte-exact SSE ending in data: [DONE]', async () => {
    const res = await fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', stream: true, messages: [{ role: 'user', content: 'ab' }] }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(text).not.toContain('"usage"');
    for (const ev of text.trim().split('\n\n')) expect(ev.startsWith('data: ')).toBe(true);
  });

  it('sends tools upstream and returns tool calls, streaming and not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const res = await client.chat.completions.create({ model: 'mock/tools', tools, messages: [{ role: 'user', content: 'weather?' }] });
    expect(mock.seen.at(-1)!.body.tools).toEqual(tools);
    expect(res.choices[0]!.finish_reason).toBe('tool_calls');
    expect(res.choices[0]!.message.tool_calls![0]).toMatchObject({ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });

    const stream = await client.chat.completions.create({ model: 'mock/tools', tools, stream: true, messages: [{ role: 'user', content: 'weather?' }] });
    const calls: unknown[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      calls.push(...(chunk.choices[0]?.delta?.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(calls[0]).toMatchObject({ index: 0, id: 'call_1', function: { name: 'get_weather' } });
    expect(finish).toBe('tool_calls');
  });

  it('passes an upstream 4xx through with its status and message', async () => {
    const err = await client.chat.completions.create({ model: 'mock/error-422', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(422);
    expect((err as InstanceType<typeof OpenAI.APIError>).message).toContain('mock failure 422');
  });

  it('turns an upstream 5xx into a 502 with an OpenAI-shaped error naming the provider', async () => {
    const res = await fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/error-503', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(502);
    const body = await res.json() as { error: { message: string; type: string; code: string; param: null } };
    expect(body.error).toEqual({ message: expect.stringContaining('provider "mock" returned 503: mock failure 503'), type: 'upstream_error', param: null, code: 'LR_ERR_UPSTREAM_STATUS' });
  });

  it('streaming request to a failing upstream gets an HTTP error, not a broken stream', async () => {
    const err = await client.chat.completions.create({ model: 'mock/error-500', stream: true, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });

  it('cancels the upstream request when the client disconnects mid-stream', async () => {
    const before = mock.aborted.length;
    const ac = new AbortController();
    const stream = await client.chat.completions.create({ model: 'mock/slow-stream', stream: true, messages: [{ role: 'user', content: 'x' }] }, { signal: ac.signal });
    let n = 0;
    for await (const _ of stream) {
      if (++n === 3) {
        ac.abort();
        break;
      }
    }
    expect(n).toBe(3);
    await expect.poll(() => mock.aborted.length, { timeout: 3000 }).toBe(before + 1);
    await expect.poll(() => fx.gw.state.engine.stats().inflight, { timeout: 3000 }).toBe(0);
  });

  it('creates embeddings through the provider', async () => {
    const res = await client.embeddings.create({ model: 'mock/gpt-test', input: ['one two', 'three'], encoding_format: 'float' });
    expect(res.data.map((d) => d.embedding)).toEqual([[0.7, 0.5, -0.25], [0.5, 0.5, -0.25]]);
    expect(res.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    expect(mock.seen.at(-1)!.body).toEqual({ model: 'gpt-test', input: ['one two', 'three'], encoding_format: 'float' });
  });

  it('lists the provider models as provider/model', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id).sort()).toEqual(['mock/echo', 'mock/gpt-test']);
  });
});

describe('unreachable upstream', () => {
  it('a refused connection gives 502 with an OpenAI-shaped error', async () => {
    const mock = await startMockOpenAI();
    const deadUrl = mock.url;
    await mock.close();
    const fx = await startGatewayFixture(deadUrl);
    try {
      const client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
      const err = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(502);
      expect(err.message).toContain('connection refused');
      expect((err.error as { code: string }).code).toBe('LR_ERR_UPSTREAM_UNREACHABLE');
    } finally {
      await fx.close();
    }
  });
});
