import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

describe('POST /v1/responses and /v1/completions through the gateway', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url);
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('answers a Responses request with text and usage, routed as chat upstream', async () => {
    const r = await client.responses.create({ model: 'mock/echo', instructions: 'be brief', input: 'hello there' });
    expect(r.object).toBe('response');
    expect(r.output_text).toBe('echo: hello there');
    expect(r.instructions).toBe('be brief');
    expect(r.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, total_tokens: 18 });
    const sent = mock.seen.at(-1)!.body;
    expect(sent.messages).toEqual([{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hello there' }]);
  });

  it('streams Responses events the SDK assembles', async () => {
    const stream = client.responses.stream({ model: 'mock/echo', input: 'stream this' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const final = await stream.finalResponse();
    expect(deltas.length).toBeGreaterThan(2);
    expect(final.output_text).toBe('echo: stream this');
    expect(final.usage?.total_tokens).toBe(18);
  });

  it('returns function calls from tools', async () => {
    const r = await client.responses.create({
      model: 'mock/tools', input: 'weather?',
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }],
    });
    const call = r.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', call_id: 'call_1' });
  });

  it('rejects stateful Responses features with a clear 400', async () => {
    const err = await client.responses.create({ model: 'mock/echo', input: 'x', previous_response_id: 'resp_1' }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(400);
    expect((err.error as { param: string }).param).toBe('previous_response_id');
  });

  it('maps legacy completions onto chat, streaming and not', async () => {
    const c = await client.completions.create({ model: 'mock/echo', prompt: 'say hi', max_tokens: 20 });
    expect(c.object).toBe('text_completion');
    expect(c.choices[0]!.text).toBe('echo: say hi');
    expect(mock.seen.at(-1)!.body.messages).toEqual([{ role: 'user', content: 'say hi' }]);
    const stream = await client.completions.create({ model: 'mock/echo', prompt: 'abc', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('echo: abc');
  });
});
