import OpenAI, { type APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayFixture } from '../helpers/gateway-fixture.js';
import { startMockOllama, type MockOllama } from '../helpers/mock-ollama.js';
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

describe.each(['workers', 'inline'] as const)('Ollama native provider through the gateway (%s mode)', (execution) => {
  let mock: MockOllama;
  let fx: GatewayFixture;
  let client: OpenAI;

  beforeAll(async () => {
    mock = await startMockOllama();
    fx = await startNativeGateway([{ name: 'ollama', type: 'ollama', base_url: mock.url }], { execution });
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('answers text with usage, and sends Ollama a native /api/chat body', async () => {
    const res = await client.chat.completions.create({
      model: 'ollama/llama3.2', temperature: 0.2, top_p: 0.9, max_tokens: 64, seed: 7, stop: 'END',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'system', content: 'Be kind.' }, { role: 'user', content: 'hello' }],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message.content).toBe('echo: hello');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
    const sent = mock.seen.at(-1)!;
    expect(sent.url).toBe('/api/chat');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      model: 'llama3.2', stream: false,
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'system', content: 'Be kind.' }, { role: 'user', content: 'hello' }],
      options: { temperature: 0.2, top_p: 0.9, num_predict: 64, seed: 7, stop: ['END'] },
    });
  });

  it('streams text split across NDJSON lines and multi-byte characters, with the usage chunk when asked', async () => {
    const stream = await client.chat.completions.create({
      model: 'ollama/unicode', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }],
    });
    const r = await collect(stream);
    expect(r.text).toBe('héllo wörld 🌍 — 日本語');
    expect(r.finish).toBe('stop');
    expect(r.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 });
    expect(mock.seen.at(-1)!.body.stream).toBe(true);
  });

  it('runs a tool round trip: tool calls with ids and JSON-string arguments, then the result by tool name', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
    ];
    const first = await client.chat.completions.create({ model: 'ollama/tools', tools, messages: [{ role: 'user', content: 'weather?' }] });
    const msg = first.choices[0]!.message;
    expect(first.choices[0]!.finish_reason).toBe('tool_calls');
    expect(msg.content).toBeNull();
    expect(msg.tool_calls).toHaveLength(2);
    const call = msg.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.id).toMatch(/^call_/);
    expect(call.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(mock.seen.at(-1)!.body.tools[0]).toEqual({ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } });

    const second = await client.chat.completions.create({
      model: 'ollama/tools', tools,
      messages: [{ role: 'user', content: 'weather?' }, msg, { role: 'tool', tool_call_id: call.id, content: '21°C' }],
    });
    expect(second.choices[0]!.message.content).toBe('The tool get_weather said: 21°C');
    const sent = mock.seen.at(-1)!.body;
    expect(sent.messages[1].tool_calls[0]).toEqual({ function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } });
    expect(sent.messages[2]).toEqual({ role: 'tool', content: '21°C', tool_name: 'get_weather' });
  });

  it('streams tool calls as OpenAI deltas with indexes', async () => {
    const stream = await client.chat.completions.create({
      model: 'ollama/tools', stream: true, messages: [{ role: 'user', content: 'go' }],
      tools: [{ type: 'function', function: { name: 'a', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'b', parameters: { type: 'object' } } }],
    });
    const r = await collect(stream);
    const calls = r.chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls.map((c) => [c.index, c.function?.name, c.function?.arguments])).toEqual([[0, 'a', '{"city":"Paris"}'], [1, 'b', '{"city":"Tōkyō"}']]);
    expect(r.finish).toBe('tool_calls');
  });

  it('sends data: URL images as base64 and refuses web URLs with a 400', async () => {
    const res = await client.chat.completions.create({
      model: 'ollama/llava',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } }] }],
    });
    expect(res.choices[0]!.message.content).toBe('I see 1 image(s), 70 bytes');
    expect(mock.seen.at(-1)!.body.messages[0]).toEqual({ role: 'user', content: 'what is this?', images: [PNG_1PX] });

    const before = mock.seen.length;
    const err = await client.chat.completions.create({
      model: 'ollama/llava', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/cat.png' } }] }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as APIError).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
    expect((err as APIError).message).toMatch(/base64/);
    expect(mock.seen.length).toBe(before);
  });

  it('maps JSON mode and JSON-schema structured outputs to "format"', async () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } }, required: ['name', 'age'] };
    const res = await client.chat.completions.create({
      model: 'ollama/llama3.2', messages: [{ role: 'user', content: 'who?' }],
      response_format: { type: 'json_schema', json_schema: { name: 'person', schema, strict: true } },
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ name: 'Ada', age: 36 });
    expect(mock.seen.at(-1)!.body.format).toEqual(schema);

    await client.chat.completions.create({ model: 'ollama/llama3.2', messages: [{ role: 'user', content: 'json' }], response_format: { type: 'json_object' } });
    expect(mock.seen.at(-1)!.body.format).toBe('json');
  });

  it('maps reasoning_effort to "think" and returns the thinking as reasoning_content', async () => {
    const res = await client.chat.completions.create({ model: 'ollama/qwen3:8b', reasoning_effort: 'high', messages: [{ role: 'user', content: 'why?' }] });
    expect((res.choices[0]!.message as { reasoning_content?: string }).reasoning_content).toBe('Thinking (high) about it.');
    expect(mock.seen.at(-1)!.body.think).toBe('high');

    const stream = await client.chat.completions.create({ model: 'ollama/qwen3:8b', stream: true, reasoning_effort: 'low', messages: [{ role: 'user', content: 'why?' }] });
    const r = await collect(stream);
    expect(r.reasoning).toBe('Thinking (low) about it.');
    expect(r.text).toBe('echo: why?');
  });

  it('reports a length stop as finish_reason "length"', async () => {
    const res = await client.chat.completions.create({ model: 'ollama/long', max_completion_tokens: 3, messages: [{ role: 'user', content: 'count' }] });
    expect(res.choices[0]!.finish_reason).toBe('length');
    expect(mock.seen.at(-1)!.body.options).toEqual({ num_predict: 3 });
  });

  it('refuses parameters Ollama cannot express, before calling it', async () => {
    const before = mock.seen.length;
    for (const extra of [{ n: 2 }, { tool_choice: 'required' }, { logit_bias: { 42: 1 } }, { frequency_penalty: 0.1, audio: { voice: 'x' } }] as const) {
      const err = await client.chat.completions.create({ model: 'ollama/llama3.2', messages: [{ role: 'user', content: 'x' }], ...(extra as object) } as OpenAI.ChatCompletionCreateParamsNonStreaming)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as APIError).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
    }
    expect(mock.seen.length).toBe(before);
  });

  it('passes upstream errors through with their status in the OpenAI shape', async () => {
    const missing = await client.chat.completions.create({ model: 'ollama/nope', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missing as APIError).code).toBe('model_not_found');
    expect((missing as APIError).message).toMatch(/try pulling it first/);

    const overloaded = await client.chat.completions.create({ model: 'ollama/error-503', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((overloaded as APIError).status).toBe(502);
    expect((overloaded as APIError).message).toMatch(/mock failure 503/);
  });

  it('ends a stream with an error event when Ollama fails mid-stream, after the text it had sent', async () => {
    const stream = await client.chat.completions.create({ model: 'ollama/midstream-error', stream: true, messages: [{ role: 'user', content: 'abcdefghi' }] });
    const got: string[] = [];
    const err = await (async () => {
      for await (const c of stream) got.push(c.choices[0]?.delta?.content ?? '');
    })().catch((e: unknown) => e);
    expect(got.join('')).toBe('echo: ');
    expect(String((err as Error).message)).toMatch(/an error was encountered while running the model/);
  });

  it('ends a cut stream with an error instead of a silent stop', async () => {
    const stream = await client.chat.completions.create({ model: 'ollama/cut-stream', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const err = await (async () => { for await (const _ of stream) { /* drain */ } })().catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/before its final message/);
  });

  it('embeds through /api/embed, as floats or as OpenAI base64', async () => {
    const res = await client.embeddings.create({ model: 'ollama/nomic-embed-text', input: ['ab', 'abcd'], encoding_format: 'float', dimensions: 3 });
    expect(res.data.map((d) => d.embedding)).toEqual([[0.25, 0.375, 0.5], [0.5, 0.625, 0.75]]);
    expect(res.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });
    expect(mock.seen.at(-1)!.body).toEqual({ model: 'nomic-embed-text', input: ['ab', 'abcd'], dimensions: 3 });
    // The SDK asks for base64 by default and decodes it itself.
    const b64 = await client.embeddings.create({ model: 'ollama/nomic-embed-text', input: 'ab' });
    expect(b64.data[0]!.embedding).toEqual([0.25, 0.375, 0.5, 0.625]);
  });

  it('lists the models from /api/tags', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain('ollama/llama3.2:latest');
    expect(ids).toContain('ollama/qwen3:8b');
    expect(mock.seen.some((s) => s.method === 'GET' && s.url === '/api/tags')).toBe(true);
  });
});
