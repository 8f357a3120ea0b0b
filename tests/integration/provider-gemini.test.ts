import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SKIP_SIGNATURE } from '../../src/providers/gemini/index.js';
import { startGeminiGateway } from '../helpers/gemini-gateway-fixture.js';
import type { GatewayFixture } from '../helpers/gateway-fixture.js';
import { MOCK_GEMINI_KEY, startMockGemini, type MockGemini } from '../helpers/mock-gemini.js';

const weather: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const time: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_time', parameters: { type: 'object', properties: { zone: { type: 'string', enum: ['UTC', 'CET'] } } } },
};

async function collect(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): Promise<{ chunks: OpenAI.ChatCompletionChunk[]; error: unknown }> {
  const chunks: OpenAI.ChatCompletionChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (err) {
    return { chunks, error: err };
  }
  return { chunks, error: null };
}

const text = (chunks: OpenAI.ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');

describe.each(['workers', 'inline'] as const)('Gemini provider through the gateway (%s mode)', (execution) => {
  let mock: MockGemini;
  let fx: GatewayFixture;
  let client: OpenAI;
  const upstream = () => mock.seen.at(-1)!;

  beforeAll(async () => {
    mock = await startMockGemini();
    fx = await startGeminiGateway(mock.url, { execution });
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });
  beforeEach(() => { mock.seen.length = 0; });

  it('answers text, with system messages as systemInstruction parts and assistant turns as role model', async () => {
    const res = await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash', temperature: 0.3, max_tokens: 100, stop: ['END'],
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'hello' },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: 'how are you' },
      ],
    });
    expect(res.object).toBe('chat.completion');
    expect(res.choices[0]!.message.content).toBe('echo: how are you');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3 } });
    // Priced from the bundled catalog: 8 fresh + 3 cached input tokens, 7 output tokens.
    expect((res.usage as { cost?: number }).cost).toBeCloseTo((8 * 0.3 + 3 * 0.075 + 7 * 2.5) / 1e6, 12);
    const sent = upstream();
    expect(sent.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(sent.headers['x-goog-api-key']).toBe(MOCK_GEMINI_KEY);
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body).toEqual({
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'hello' }] },
        { role: 'user', parts: [{ text: 'how are you' }] },
      ],
      systemInstruction: { parts: [{ text: 'Be brief.' }, { text: 'Answer in English.' }] },
      generationConfig: { maxOutputTokens: 100, temperature: 0.3, stopSequences: ['END'] },
    });
  });

  it('streams deltas from split SSE frames and ends with [DONE]; usage only when asked', async () => {
    const stream = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'stream me, naïve 😀' }] });
    const { chunks, error } = await collect(stream);
    expect(error).toBeNull();
    expect(upstream().url).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(chunks.length).toBeGreaterThan(3);
    expect(text(chunks)).toBe('echo: stream me, naïve 😀');
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.some((c) => c.usage)).toBe(false);

    const withUsage = await collect(await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'u' }],
    }));
    expect(withUsage.chunks.at(-1)!.choices).toEqual([]);
    expect(withUsage.chunks.at(-1)!.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });
    expect((withUsage.chunks.at(-1)!.usage as { cost?: number }).cost).toBeCloseTo((8 * 0.3 + 3 * 0.075 + 7 * 2.5) / 1e6, 12);
  });

  it('the raw stream is OpenAI SSE ending in data: [DONE]', async () => {
    const res = await fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gem/gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'ab' }] }),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await res.text();
    expect(body.endsWith('data: [DONE]\n\n')).toBe(true);
    for (const ev of body.trim().split('\n\n')) expect(ev.startsWith('data: ')).toBe(true);
  });

  it('round-trips parallel tool calls: functionCall parts → tool_calls → functionResponse parts by name', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather and time?' }];
    const first = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash-tools', tools: [weather, time], messages });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    const calls = choice.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => c.function.name)).toEqual(['get_weather', 'get_time']);
    expect(JSON.parse(calls[0]!.function.arguments)).toEqual({ city: 'Paris' });
    expect(JSON.parse(calls[1]!.function.arguments)).toEqual({ zone: 'UTC' });
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect((calls[0] as any).extra_content).toEqual({ google: { thought_signature: Buffer.from('sig-get_weather').toString('base64') } });
    expect(upstream().body.tools).toEqual([{ functionDeclarations: [
      { name: 'get_weather', description: 'Weather in a city', parametersJsonSchema: weather.function.parameters },
      { name: 'get_time', parametersJsonSchema: time.function.parameters },
    ] }]);

    messages.push(choice.message as OpenAI.ChatCompletionMessageParam);
    // Answered out of order: matched by id, sent by name.
    messages.push({ role: 'tool', tool_call_id: calls[1]!.id, content: 'noon' });
    messages.push({ role: 'tool', tool_call_id: calls[0]!.id, content: '{"temp":20}' });
    const second = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash-tools', tools: [weather, time], messages });
    expect(second.choices[0]!.message.content).toBe('results: [["get_time",{"output":"noon"}],["get_weather",{"temp":20}]]');
    const contents = upstream().body.contents;
    expect(contents).toHaveLength(3);
    expect(contents[1]).toEqual({ role: 'model', parts: [
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: Buffer.from('sig-get_weather').toString('base64') },
      { functionCall: { name: 'get_time', args: { zone: 'UTC' } } },
    ] });
    expect(contents[2]).toEqual({ role: 'user', parts: [
      { functionResponse: { name: 'get_time', response: { output: 'noon' } } },
      { functionResponse: { name: 'get_weather', response: { temp: 20 } } },
    ] });
  });

  it('streams tool calls as indexed tool_calls deltas', async () => {
    const { chunks, error } = await collect(await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash-tools', stream: true, tools: [weather, time], messages: [{ role: 'user', content: 'go' }],
    }));
    expect(error).toBeNull();
    const deltas = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(deltas.map((d) => [d.index, d.function?.name])).toEqual([[0, 'get_weather'], [1, 'get_time']]);
    expect(deltas.every((d) => typeof d.id === 'string' && d.id.startsWith('call_'))).toBe(true);
    expect(chunks.at(-1)!.choices[0]!.finish_reason).toBe('tool_calls');
  });

  it('keeps Gemini 3 thought signatures across turns, and fills in the placeholder when a client dropped them', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'weather?' }];
    const first = await client.chat.completions.create({ model: 'gem/gemini-3-pro-tools', tools: [weather], messages });
    const assistant = first.choices[0]!.message;
    const call = assistant.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    const withSig = [...messages, assistant as OpenAI.ChatCompletionMessageParam, { role: 'tool' as const, tool_call_id: call.id, content: 'sunny' }];
    await client.chat.completions.create({ model: 'gem/gemini-3-pro-tools', tools: [weather], messages: withSig });
    expect(upstream().body.contents[1].parts[0].thoughtSignature).toBe(Buffer.from('sig-get_weather').toString('base64'));

    const stripped: OpenAI.ChatCompletionMessageParam[] = [...messages,
      { role: 'assistant', content: null, tool_calls: [{ id: call.id, type: 'function', function: call.function }] },
      { role: 'tool', tool_call_id: call.id, content: 'sunny' }];
    const res = await client.chat.completions.create({ model: 'gem/gemini-3-pro-tools', tools: [weather], messages: stripped });
    expect(res.choices[0]!.message.content).toContain('sunny');
    expect(upstream().body.contents[1].parts[0].thoughtSignature).toBe(SKIP_SIGNATURE);
  });

  it('maps tool_choice to functionCallingConfig', async () => {
    await client.chat.completions.create({ model: 'gem/gemini-2.5-flash-tools', tools: [weather, time], tool_choice: 'required', messages: [{ role: 'user', content: 'x' }] });
    expect(upstream().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    const named = await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash-tools', tools: [weather, time], tool_choice: { type: 'function', function: { name: 'get_time' } }, messages: [{ role: 'user', content: 'x' }],
    });
    expect(upstream().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_time'] } });
    expect(named.choices[0]!.message.tool_calls!.map((c) => (c as OpenAI.ChatCompletionMessageFunctionToolCall).function.name)).toEqual(['get_time']);
    const none = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash-tools', tools: [weather], tool_choice: 'none', messages: [{ role: 'user', content: 'x' }] });
    expect(upstream().body.toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
  });

  it('sends images: data URLs as inlineData, http(s) URLs as fileData; rejects a URL of unknown type', async () => {
    const res = await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'compare ' },
        { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.JPG', detail: 'high' } },
      ] }],
    });
    expect(res.choices[0]!.message.content).toBe('echo: compare [inline image/png][file image/jpeg https://example.com/cat.JPG]');
    expect(upstream().body.contents[0].parts).toEqual([
      { text: 'compare ' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.JPG' } },
    ]);
    expect(upstream().body.generationConfig).toEqual({ mediaResolution: 'MEDIA_RESOLUTION_HIGH' });

    mock.seen.length = 0;
    const err = await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/image?id=3' } }] }],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
    expect((err as InstanceType<typeof OpenAI.APIError>).param).toBe('messages[0].content[0].image_url.url');
    expect((err as Error).message).toMatch(/MIME type/);
    expect(mock.seen).toHaveLength(0);
  });

  it('JSON schema output: responseMimeType + responseJsonSchema, answer parses against the schema', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' }, unit: { type: 'string', enum: ['C', 'F'] } }, required: ['city', 'temp', 'unit'], additionalProperties: false };
    const res = await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash', messages: [{ role: 'user', content: 'weather as JSON' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', strict: true, schema } },
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ city: 'Paris', temp: 42, unit: 'C' });
    expect(upstream().body.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });

    await client.chat.completions.create({ model: 'gem/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }], response_format: { type: 'json_object' } });
    expect(upstream().body.generationConfig).toEqual({ responseMimeType: 'application/json' });

    const strictErr = await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }],
      response_format: { type: 'json_schema', json_schema: { name: 'n', strict: true, schema: { type: 'object', properties: { id: { type: 'string', minLength: 3 } } } } },
    }).catch((e: unknown) => e);
    expect(strictErr).toBeInstanceOf(OpenAI.BadRequestError);
    expect((strictErr as Error).message).toMatch(/"minLength"/);
  });

  it('reasoning: reasoning_effort → thinkingConfig; thoughts come back as reasoning_content, counted in completion tokens', async () => {
    const res = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash', reasoning_effort: 'high', messages: [{ role: 'user', content: 'think' }] });
    expect(upstream().body.generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 24576, includeThoughts: true } });
    const msg = res.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string };
    expect(msg.reasoning_content).toBe('Let me think about it. ');
    expect(msg.content).toBe('echo: think');
    expect(res.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 12, total_tokens: 23, completion_tokens_details: { reasoning_tokens: 5 } });
    // Thought tokens are billed as output.
    expect((res.usage as { cost?: number }).cost).toBeCloseTo((8 * 0.3 + 3 * 0.075 + 12 * 2.5) / 1e6, 12);

    await client.chat.completions.create({ model: 'gem/gemini-3-pro-preview', reasoning_effort: 'low', messages: [{ role: 'user', content: 'think' }] });
    expect(upstream().body.generationConfig).toEqual({ thinkingConfig: { thinkingLevel: 'low', includeThoughts: true } });

    const { chunks } = await collect(await client.chat.completions.create({
      model: 'gem/gemini-2.5-flash', stream: true, reasoning_effort: 'medium', messages: [{ role: 'user', content: 'think' }],
    }));
    const reasoning = chunks.map((c) => (c.choices[0]?.delta as { reasoning_content?: string } | undefined)?.reasoning_content ?? '').join('');
    expect(reasoning).toBe('Let me think about it. ');
    expect(text(chunks)).toBe('echo: think');
  });

  it('maps finish reasons: SAFETY and a blocked prompt → content_filter, MAX_TOKENS → length, MALFORMED_FUNCTION_CALL → 502', async () => {
    const safety = await client.chat.completions.create({ model: 'gem/safety', messages: [{ role: 'user', content: 'x' }] });
    expect(safety.choices[0]!.finish_reason).toBe('content_filter');
    const blocked = await client.chat.completions.create({ model: 'gem/blocked-prompt', messages: [{ role: 'user', content: 'x' }] });
    expect(blocked.choices[0]!.finish_reason).toBe('content_filter');
    expect(blocked.choices[0]!.message.content).toBeNull();
    const long = await client.chat.completions.create({ model: 'gem/max-tokens', messages: [{ role: 'user', content: 'x' }] });
    expect(long.choices[0]!.finish_reason).toBe('length');
    const malformed = await client.chat.completions.create({ model: 'gem/malformed-call', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((malformed as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
    expect((malformed as Error).message).toMatch(/MALFORMED_FUNCTION_CALL/);
  });

  it('maps upstream errors to OpenAI errors with the right status and type', async () => {
    const e400 = await client.chat.completions.create({ model: 'gem/error-400', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(e400).toBeInstanceOf(OpenAI.BadRequestError);
    expect(e400.error).toMatchObject({ message: 'mock failure 400', type: 'invalid_request_error', code: 'invalid_argument' });
    const e429 = await client.chat.completions.create({ model: 'gem/error-429', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(e429).toBeInstanceOf(OpenAI.RateLimitError);
    expect(e429.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    const e500 = await client.chat.completions.create({ model: 'gem/error-500', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(e500.status).toBe(502);
    expect(e500.message).toMatch(/returned 500 INTERNAL: mock failure 500/);
    const unsupportedParam = await client.chat.completions.create({ model: 'gem/gemini-2.5-flash', logprobs: true, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e) as InstanceType<typeof OpenAI.APIError>;
    expect(unsupportedParam.status).toBe(400);
    expect(unsupportedParam.param).toBe('logprobs');
  });

  it('ends a stream with an error event when the upstream fails mid-stream or stops early', async () => {
    const failed = await collect(await client.chat.completions.create({ model: 'gem/stream-error', stream: true, messages: [{ role: 'user', content: 'abcdefgh' }] }));
    expect(text(failed.chunks)).toBe('echo: ab');
    expect(failed.error).toBeInstanceOf(OpenAI.APIError);
    expect((failed.error as Error).message).toMatch(/overloaded/);
    const cut = await collect(await client.chat.completions.create({ model: 'gem/stream-abrupt', stream: true, messages: [{ role: 'user', content: 'abcdefgh' }] }));
    expect(text(cut.chunks)).toBe('echo: abcdef');
    expect((cut.error as Error).message).toMatch(/before the answer was finished/);
  });

  it('embeds one string with embedContent and a list with batchEmbedContents, floats or base64', async () => {
    const one = await client.embeddings.create({ model: 'gem/gemini-embedding-001', input: 'abcd', encoding_format: 'float', dimensions: 3 });
    expect(one.data).toEqual([{ object: 'embedding', index: 0, embedding: [0.4, 0.5, -0.25] }]);
    expect(upstream().url).toBe('/v1beta/models/gemini-embedding-001:embedContent');
    expect(upstream().body).toEqual({ content: { parts: [{ text: 'abcd' }] }, outputDimensionality: 3 });

    // The SDK asks for base64 by default and decodes it.
    const many = await client.embeddings.create({ model: 'gem/gemini-embedding-001', input: ['a', 'abcdefghij'] });
    expect(many.data.map((d) => d.embedding)).toEqual([[0.10000000149011612, 0.5, -0.25, 0.125], [1, 0.5, -0.25, 0.125]]);
    expect(upstream().url).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
    expect(upstream().body.requests[1]).toEqual({ model: 'models/gemini-embedding-001', content: { parts: [{ text: 'abcdefghij' }] } });
  });

  it('lists the upstream models without the models/ prefix', async () => {
    const list = await client.models.list();
    const ids = list.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['gem/gemini-2.5-flash', 'gem/gemini-embedding-001']));
  });
});
