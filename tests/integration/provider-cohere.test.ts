import OpenAI, { type APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayFixture } from '../helpers/gateway-fixture.js';
import { COHERE_KEY, startMockCohere, type MockCohere } from '../helpers/mock-cohere.js';
import { startNativeGateway } from '../helpers/native-gateway-fixture.js';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  for await (const c of stream) chunks.push(c);
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  const reasoning = chunks.map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '').join('');
  const finish = chunks.map((c) => c.choices[0]?.finish_reason).find((f) => f);
  return { chunks, text, reasoning, finish, usage: chunks.find((c) => c.usage)?.usage };
}

describe.each(['workers', 'inline'] as const)('Cohere v2 provider through the gateway (%s mode)', (execution) => {
  let mock: MockCohere;
  let fx: GatewayFixture;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockCohere();
    // `cohere` has the preset's base URL shape (…/v2); `cohere-root` the server root, which also reaches the v1 model list.
    fx = await startNativeGateway([
      { name: 'cohere', type: 'cohere', base_url: `${mock.url}/v2`, key: COHERE_KEY },
      { name: 'cohere-root', type: 'cohere', base_url: mock.url, key: COHERE_KEY },
    ], { execution });
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('answers text with billed usage, and sends Cohere a native v2 /chat body', async () => {
    const res = await client.chat.completions.create({
      model: 'cohere/command-a-03-2025', temperature: 0.3, top_p: 1, max_completion_tokens: 100, seed: 3, stop: ['END'],
      frequency_penalty: 0.2, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello' }],
    });
    expect(res.choices[0]!.message.content).toBe('echo: hello');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 9, total_tokens: 30 });
    const sent = mock.seen.at(-1)!;
    expect(sent.url).toBe('/v2/chat');
    expect(sent.headers.authorization).toBe(`Bearer ${COHERE_KEY}`);
    expect(sent.body).toEqual({
      model: 'command-a-03-2025', stream: false,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello' }],
      temperature: 0.3, p: 0.99, max_tokens: 100, seed: 3, stop_sequences: ['END'], frequency_penalty: 0.2,
    });
  });

  it('streams SSE events split mid-character, with the usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'cohere/unicode', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }],
    });
    const r = await collect(stream);
    expect(r.text).toBe('héllo wörld 🌍 — 日本語');
    expect(r.finish).toBe('stop');
    expect(r.usage).toMatchObject({ prompt_tokens: 21, completion_tokens: 9, total_tokens: 30 });
    const sent = mock.seen.at(-1)!;
    expect(sent.headers.accept).toBe('text/event-stream');
    expect(sent.body.stream).toBe(true);
    expect(sent.body.stream_options).toBeUndefined();
  });

  it('runs a tool round trip: plan as content, streamed arguments, results by tool_call_id', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const first = await client.chat.completions.create({ model: 'cohere/tools', tools, messages: [{ role: 'user', content: 'weather?' }] });
    const msg = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(msg.content).toBe('I will check the weather.');
    const call = msg.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call).toEqual({ id: 'get_weather_0abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });

    const second = await client.chat.completions.create({
      model: 'cohere/tools', tools,
      messages: [{ role: 'user', content: 'weather?' }, msg, { role: 'tool', tool_call_id: call.id, content: '{"temp":"21°C"}' }],
    });
    expect(second.choices[0]!.message.content).toBe('The tool said: {"temp":"21°C"}');
    const sent = mock.seen.at(-1)!.body;
    expect(sent.messages[1]).toEqual({ role: 'assistant', tool_plan: 'I will check the weather.', tool_calls: [{ id: 'get_weather_0abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] });
    expect(sent.messages[2]).toEqual({ role: 'tool', tool_call_id: 'get_weather_0abc', content: '{"temp":"21°C"}' });

    const stream = await client.chat.completions.create({
      model: 'cohere/tools', stream: true, messages: [{ role: 'user', content: 'go' }],
      tools: [...tools, { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } }],
    });
    const r = await collect(stream);
    expect(r.text).toBe('I will check the weather.');
    const deltas = r.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    const args = [0, 1].map((i) => deltas.filter((d) => d.index === i).map((d) => d.function?.arguments ?? '').join(''));
    expect(args).toEqual(['{"city":"Paris"}', '{"city":"Tōkyō"}']);
    expect(deltas.filter((d) => d.id).map((d) => [d.index, d.id, d.function?.name])).toEqual([[0, 'get_weather_0abc', 'get_weather'], [1, 'get_time_1abc', 'get_time']]);
    expect(r.finish).toBe('tool_calls');
  });

  it('maps tool_choice: required, none, and one named function', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'a', parameters: { type: 'object' } } },
      { type: 'function', function: { name: 'b', parameters: { type: 'object' } } },
    ];
    await client.chat.completions.create({ model: 'cohere/tools', tools, tool_choice: 'required', messages: [{ role: 'user', content: 'x' }] });
    expect(mock.seen.at(-1)!.body.tool_choice).toBe('REQUIRED');
    const none = await client.chat.completions.create({ model: 'cohere/tools', tools, tool_choice: 'none', messages: [{ role: 'user', content: 'x' }] });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    expect(mock.seen.at(-1)!.body.tool_choice).toBe('NONE');
    await client.chat.completions.create({ model: 'cohere/tools', tools, tool_choice: { type: 'function', function: { name: 'b' } }, messages: [{ role: 'user', content: 'x' }] });
    expect(mock.seen.at(-1)!.body.tools.map((t: any) => t.function.name)).toEqual(['b']);
    expect(mock.seen.at(-1)!.body.tool_choice).toBe('REQUIRED');
  });

  it('sends images as image_url content blocks, web URLs and data URLs alike', async () => {
    const res = await client.chat.completions.create({
      model: 'cohere/command-a-vision-07-2025',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'compare' },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
      ] }],
    });
    expect(res.choices[0]!.message.content).toBe('I see 2 image(s): https://example.com/cat.png, inline');
    expect(mock.seen.at(-1)!.body.messages[0].content).toEqual([
      { type: 'text', text: 'compare' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
    ]);
  });

  it('maps JSON-schema structured output and JSON mode to response_format json_object', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] };
    const res = await client.chat.completions.create({
      model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'who?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema } },
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ name: 'Ada', age: 36 });
    expect(mock.seen.at(-1)!.body.response_format).toEqual({ type: 'json_object', json_schema: schema });
    await client.chat.completions.create({ model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'j' }], response_format: { type: 'json_object' } });
    expect(mock.seen.at(-1)!.body.response_format).toEqual({ type: 'json_object' });
  });

  it('maps reasoning_effort to a thinking budget and returns thinking as reasoning_content', async () => {
    const res = await client.chat.completions.create({ model: 'cohere/command-a-reasoning-08-2025', reasoning_effort: 'low', messages: [{ role: 'user', content: 'why?' }] });
    expect((res.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe('Budget 2048: let me think.');
    expect(res.choices[0]!.message.content).toBe('echo: why?');
    expect(mock.seen.at(-1)!.body.thinking).toEqual({ type: 'enabled', token_budget: 2048 });

    const stream = await client.chat.completions.create({ model: 'cohere/command-a-reasoning-08-2025', stream: true, reasoning_effort: 'high', messages: [{ role: 'user', content: 'why?' }] });
    const r = await collect(stream);
    expect(r.reasoning).toBe('Budget 16384: let me think.');
    expect(r.text).toBe('echo: why?');

    const off = await client.chat.completions.create({ model: 'cohere/command-a-reasoning-08-2025', reasoning_effort: 'none', messages: [{ role: 'user', content: 'x' }] });
    expect((off.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBeUndefined();
    expect(mock.seen.at(-1)!.body.thinking).toEqual({ type: 'disabled' });
  });

  it('reports MAX_TOKENS as finish_reason "length"', async () => {
    const res = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', max_tokens: 2, messages: [{ role: 'user', content: 'x' }] });
    expect(res.choices[0]!.finish_reason).toBe('length');
  });

  it('refuses what Cohere cannot express, before calling it', async () => {
    const before = mock.seen.length;
    for (const extra of [{ n: 3 }, { logprobs: true }, { parallel_tool_calls: false }, { logit_bias: { 1: 2 } }] as const) {
      const err = await client.chat.completions.create({ model: 'cohere/command-a-03-2025', messages: [{ role: 'user', content: 'x' }], ...(extra as object) } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as APIError).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
    }
    expect(mock.seen.length).toBe(before);
  });

  it('passes upstream errors through: 4xx with their status, 5xx as 502', async () => {
    const missing = await client.chat.completions.create({ model: 'cohere/command-z', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as APIError).message).toMatch(/model 'command-z' not found/);
    const limited = await client.chat.completions.create({ model: 'cohere/error-429', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    const down = await client.chat.completions.create({ model: 'cohere/error-500', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((down as APIError).status).toBe(502);
    expect((down as APIError).message).toMatch(/mock failure 500/);
  });

  it('ends a stream with an error event when Cohere ends the generation with ERROR', async () => {
    const stream = await client.chat.completions.create({ model: 'cohere/midstream-error', stream: true, messages: [{ role: 'user', content: 'abcdefgh' }] });
    const got: string[] = [];
    const err = await (async () => { for await (const c of stream) got.push(c.choices[0]?.delta?.content ?? ''); })().catch((e: unknown) => e);
    expect(got.join('')).toBe('echo: abcdef');
    expect(String((err as Error).message)).toMatch(/internal model failure/);
  });

  it('turns a cut stream and a TIMEOUT generation into errors', async () => {
    const cut = await client.chat.completions.create({ model: 'cohere/cut-stream', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const err = await (async () => { for await (const _ of cut) { /* drain */ } })().catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/before message-end/);
    const timeout = await client.chat.completions.create({ model: 'cohere/timeout', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((timeout as APIError).status).toBe(504);
  });

  it('embeds with a documented input_type default, as floats or as OpenAI base64', async () => {
    const res = await client.embeddings.create({ model: 'cohere/embed-v4.0', input: ['abcd', 'ab'], encoding_format: 'float', dimensions: 2 });
    expect(res.data.map((d) => d.embedding)).toEqual([[1, 0.75], [0.5, 0.25]]);
    expect(res.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(mock.seen.at(-1)!.url).toBe('/v2/embed');
    expect(mock.seen.at(-1)!.body).toEqual({ model: 'embed-v4.0', texts: ['abcd', 'ab'], input_type: 'search_document', embedding_types: ['float'], output_dimension: 2 });
    const b64 = await client.embeddings.create({ model: 'cohere/embed-v4.0', input: 'abcd' });
    expect(b64.data[0]!.embedding).toEqual([1, 0.75, 0.5, 0.25]);
  });

  it('lists chat and embed models from the v1 list (rerank-only models left out)', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain('cohere-root/command-a-03-2025');
    expect(ids).toContain('cohere-root/embed-v4.0');
    expect(ids).not.toContain('cohere-root/rerank-v3.5');
    expect(mock.seen.some((s) => s.url === '/v1/models?page_size=1000')).toBe(true);
  });
});
