import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

// `auto` planned for a small machine (every call on the main thread) and for a larger one (calls
// that overlap go to the actors).
describe.each([['auto', 2], ['auto', 8], ['workers', undefined], ['inline', undefined]] as const)('fallback across candidates (%s mode, %s cores)', (execution, cores) => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    const dead = await startMockOpenAI();
    const deadUrl = dead.url;
    await dead.close();
    fx = await startGatewayFixture(mock.url, {
      execution,
      cores,
      // These tests fail providers on purpose; breakers have their own test.
      server: { breaker_failure_threshold: 1000 },
      providers: [
        { name: 'dead', type: 'openai-compatible', base_url: deadUrl, models: ['echo'] },
        { name: 'slow', type: 'openai-compatible', base_url: mock.url, models: ['hang'], timeouts: { first_byte_ms: 300 } },
        // A 429 with Retry-After opens this provider's breaker: keep it apart from `mock`.
        { name: 'limited', type: 'openai-compatible', base_url: mock.url, models: ['error-429'] },
      ],
    });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  const send = (body: object): Promise<Response> => fetch(`${fx.baseURL}/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  });

  async function expectServedBySecond(first: string): Promise<Response> {
    const before = mock.seen.length;
    const res = await send({ model: first, models: ['mock/echo'] });
    expect(res.status).toBe(200);
    expect(((await res.clone().json()) as { choices: { message: { content: string } }[] }).choices[0]!.message.content).toBe('echo: hi');
    expect(res.headers.get('x-localrouter-attempts')).toBe('2');
    expect(res.headers.get('x-localrouter-provider')).toBe('mock');
    expect(res.headers.get('x-localrouter-model')).toBe('mock/echo');
    // The fallback body names the second candidate's model, and no `models` field goes upstream.
    const last = mock.seen.at(-1)!.body;
    expect(last.model).toBe('echo');
    expect(last.models).toBeUndefined();
    expect(mock.seen.length).toBeGreaterThan(before);
    return res;
  }

  it('500 from the first candidate → the second answers', async () => { await expectServedBySecond('mock/error-500'); });
  it('429 from the first candidate → the second answers', async () => { await expectServedBySecond('limited/error-429'); });
  it('context-length 400 from the first candidate → the second answers', async () => { await expectServedBySecond('mock/error-context'); });
  it('refused connection → the second answers', async () => { await expectServedBySecond('dead/echo'); });
  it('first-byte timeout → the second answers', async () => { await expectServedBySecond('slow/hang'); });

  it('a non-retryable 4xx is passed through without trying further', async () => {
    const before = mock.seen.length;
    const res = await send({ model: 'mock/error-422', models: ['mock/echo'] });
    expect(res.status).toBe(422);
    expect(res.headers.get('x-localrouter-attempts')).toBe('1');
    expect(mock.seen.length).toBe(before + 1);
  });

  it('when every candidate fails, the last failure is the answer', async () => {
    const res = await send({ model: 'mock/error-500', models: ['mock/error-422'] });
    expect(res.status).toBe(422);
    expect(res.headers.get('x-localrouter-attempts')).toBe('2');
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('mock failure 422');
  });

  it('streams fall back too, before the first byte', async () => {
    const client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'dead/echo', models: ['mock/echo'], stream: true, messages: [{ role: 'user', content: 'abc' }] } as never) as unknown as AsyncIterable<OpenAI.ChatCompletionChunk>;
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('echo: abc');
  });

  it('an error after the first streamed byte ends the stream with an error event', async () => {
    const res = await send({ model: 'mock/break-stream', models: ['mock/echo'], stream: true });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('"content":"partial"');
    expect(text).toMatch(/data: \{"error":\{"message":"provider \\"mock\\" is unreachable: connection reset"/);
    expect(text).not.toContain('echo:');
    expect(res.headers.get('x-localrouter-attempts')).toBe('1');
  });

  it('reports the gateway overhead per response', async () => {
    const res = await send({ model: 'mock/echo' });
    const overhead = Number(res.headers.get('x-localrouter-overhead-ms'));
    expect(overhead).toBeGreaterThanOrEqual(0);
    expect(overhead).toBeLessThan(1000);
  });
});
