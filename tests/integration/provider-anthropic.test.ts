import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnthropicGatewayFixture } from '../helpers/anthropic-gateway-fixture.js';
import type { GatewayFixture } from '../helpers/gateway-fixture.js';
import { MOCK_ANTHROPIC_KEY, startMockAnthropic, type MockAnthropic } from '../helpers/mock-anthropic.js';

const PNG_1PX = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const weatherTool: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe.each(['workers', 'inline'] as const)('anthropic provider through the gateway (%s mode)', (execution) => {
  let mock: MockAnthropic;
  let fx: GatewayFixture;
  let client: OpenAI;
  const sent = (): any => mock.seen.at(-1)!;

  beforeAll(async () => {
    mock = await startMockAnthropic();
    fx = await startAnthropicGatewayFixture(mock.url, { execution });
    client = new OpenAI({ apiKey: fx.key, baseURL: fx.baseURL, maxRetries: 0 });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('translates a text request (systems hoisted, default max_tokens, headers) and the answer with usage', async () => {
    const res = await client.chat.completions.create({
      model: 'claude/claude-echo',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: 'hello' },
        { role: 'assistant', content: 'hi!' },
        { role: 'user', content: 'Grüße 🌍' },
      ],
      temperature: 0.3,
      stop: ['STOP'],
      user: 'u-42',
    });
    expect(res.choices[0]!.message.content).toBe('echo: Grüße 🌍');
    expect(res.choices[0]!.finish_reason).toBe('stop');
    expect(res.usage).toMatchObject({ prompt_tokens: 28, completion_tokens: 9, total_tokens: 37, prompt_tokens_details: { cached_tokens: 5 } });
    const req = sent();
    expect(req.url).toBe('/v1/messages');
    expect(req.headers['x-api-key']).toBe(MOCK_ANTHROPIC_KEY);
    expect(req.headers['anthropic-version']).toBe('2023-06-01');
    expect(req.headers.authorization).toBeUndefined();
    expect(req.body).toEqual({
      model: 'claude-echo', max_tokens: 4096,
      system: [{ type: 'text', text: 'Be brief.' }, { type: 'text', text: 'Answer in English.' }],
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'hello' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'hi!' }] },
        { role: 'user', content: [{ type: 'text', text: 'Grüße 🌍' }] },
      ],
      temperature: 0.3, stop_sequences: ['STOP'], metadata: { user_id: 'u-42' },
    });
  });

  it('maps stop reasons: stop_sequence, max_tokens and refusal', async () => {
    const stopped = await client.chat.completions.create({ model: 'claude/claude-echo', max_tokens: 50, stop: 'XY', messages: [{ role: 'user', content: 'abXYcd' }] });
    expect(stopped.choices[0]!.message.content).toBe('echo: ab');
    expect(stopped.choices[0]!.finish_reason).toBe('stop');
    expect(sent().body.max_tokens).toBe(50);
    const long = await client.chat.completions.create({ model: 'claude/claude-max', max_completion_tokens: 7, messages: [{ role: 'user', content: 'x' }] });
    expect(long.choices[0]!.finish_reason).toBe('length');
    expect(sent().body.max_tokens).toBe(7);
    const refused = await client.chat.completions.create({ model: 'claude/claude-refuse', messages: [{ role: 'user', content: 'x' }] });
    expect(refused.choices[0]!.finish_reason).toBe('content_filter');
  });

  it('streams deltas split across frames and multi-byte characters, ending with [DONE]', async () => {
    const stream = await client.chat.completions.create({ model: 'claude/claude-echo', stream: true, messages: [{ role: 'user', content: 'Grüße 🌍 日本語 stream' }] });
    const deltas: string[] = [];
    let finish: string | null = null;
    let usageSeen = false;
    for await (const chunk of stream) {
      if (chunk.usage) usageSeen = true;
      const c = chunk.choices[0];
      if (c?.delta?.content) deltas.push(c.delta.content);
      if (c?.finish_reason) finish = c.finish_reason;
    }
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe('echo: Grüße 🌍 日本語 stream');
    expect(finish).toBe('stop');
    expect(usageSeen).toBe(false);
    expect(sent().body.stream).toBe(true);
    expect(sent().headers.accept).toBe('text/event-stream');
  });

  it('sends the usage chunk when asked, and the raw stream is OpenAI SSE ending in [DONE]', async () => {
    const res = await fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude/claude-echo', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'u' }] }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    const events = text.trim().split('\n\n');
    for (const ev of events) expect(ev.startsWith('data: ')).toBe(true);
    const usage = JSON.parse(events.at(-2)!.slice(6));
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toMatchObject({ prompt_tokens: 28, completion_tokens: 9, prompt_tokens_details: { cached_tokens: 5, cache_write_tokens: 3 } });
  });

  it('round-trips tools: tool_choice and parallel flag go up, tool calls come back, results go up as tool_result', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris and Zürich?' }];
    const first = await client.chat.completions.create({ model: 'claude/claude-tools-parallel', tools: [weatherTool], tool_choice: 'auto', messages });
    expect(sent().body.tools).toEqual([{ name: 'get_weather', description: 'Weather in a city', input_schema: weatherTool.function.parameters }]);
    expect(sent().body.tool_choice).toEqual({ type: 'auto' });
    const choice = first.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBeNull();
    const calls = choice.message.tool_calls as OpenAI.ChatCompletionMessageFunctionToolCall[];
    expect(calls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ['toolu_mock0', 'get_weather', { city: 'Paris' }], ['toolu_mock1', 'get_weather', { city: 'Zürich' }],
    ]);
    messages.push(choice.message, { role: 'tool', tool_call_id: 'toolu_mock0', content: 'sunny' }, { role: 'tool', tool_call_id: 'toolu_mock1', content: 'snow' });
    const second = await client.chat.completions.create({ model: 'claude/claude-tools-parallel', tools: [weatherTool], messages });
    expect(second.choices[0]!.message.content).toBe('tool said: sunny | snow');
    expect(sent().body.messages.at(-1)).toEqual({ role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'toolu_mock0', content: 'sunny' }, { type: 'tool_result', tool_use_id: 'toolu_mock1', content: 'snow' },
    ] });

    const single = await client.chat.completions.create({
      model: 'claude/claude-tools-parallel', tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false, messages: [{ role: 'user', content: 'one call' }],
    });
    expect(sent().body.tool_choice).toEqual({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true });
    expect(single.choices[0]!.message.tool_calls).toHaveLength(1);
    await client.chat.completions.create({ model: 'claude/claude-tools', tools: [weatherTool], tool_choice: 'required', messages: [{ role: 'user', content: 'x' }] });
    expect(sent().body.tool_choice).toEqual({ type: 'any' });
    const none = await client.chat.completions.create({ model: 'claude/claude-tools', tools: [weatherTool], tool_choice: 'none', messages: [{ role: 'user', content: 'x' }] });
    expect(sent().body.tool_choice).toEqual({ type: 'none' });
    expect(none.choices[0]!.finish_reason).toBe('stop');
  });

  it('streams tool calls with their arguments as deltas', async () => {
    const stream = await client.chat.completions.create({ model: 'claude/claude-tools-parallel', stream: true, tools: [weatherTool], messages: [{ role: 'user', content: 'w?' }] });
    const calls: { id?: string; name?: string; args: string }[] = [];
    let finish: string | null = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      for (const tc of c?.delta?.tool_calls ?? []) {
        calls[tc.index] ??= { args: '' };
        if (tc.id) calls[tc.index]!.id = tc.id;
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        calls[tc.index]!.args += tc.function?.arguments ?? '';
      }
      if (c?.finish_reason) finish = c.finish_reason;
    }
    expect(finish).toBe('tool_calls');
    expect(calls.map((c) => [c.id, c.name, JSON.parse(c.args)])).toEqual([
      ['toolu_mock0', 'get_weather', { city: 'Paris' }], ['toolu_mock1', 'get_weather', { city: 'Zürich' }],
    ]);
  });

  it('sends images as base64 and url sources', async () => {
    const res = await client.chat.completions.create({
      model: 'claude/claude-echo',
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_1PX}` } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg', detail: 'high' } },
      ] }],
    });
    expect(res.choices[0]!.message.content).toBe('echo: what is this? [image image/png 70 bytes] [image url https://example.com/cat.jpg]');
    expect(sent().body.messages[0].content.slice(1)).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_1PX } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('maps a JSON schema response_format to output_config.format', async () => {
    const schema = { type: 'object', properties: { city: { type: 'string' }, temp: { type: 'number' } }, required: ['city', 'temp'], additionalProperties: false };
    const res = await client.chat.completions.create({
      model: 'claude/claude-echo', messages: [{ role: 'user', content: 'weather as JSON' }],
      response_format: { type: 'json_schema', json_schema: { name: 'weather', schema, strict: true } },
    });
    expect(JSON.parse(res.choices[0]!.message.content!)).toEqual({ city: 'Paris', temp: 42 });
    expect(sent().body.output_config).toEqual({ format: { type: 'json_schema', schema } });
  });

  it('maps reasoning_effort to a thinking budget (older models) or adaptive effort, and returns the thinking', async () => {
    const res = await client.chat.completions.create({ model: 'claude/claude-sonnet-4-5-echo', reasoning_effort: 'medium', messages: [{ role: 'user', content: 'think' }] });
    expect(sent().body.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 });
    expect(sent().body.max_tokens).toBe(8192 + 4096);
    const msg = res.choices[0]!.message as OpenAI.ChatCompletionMessage & { reasoning_content?: string; thinking_blocks?: unknown[] };
    expect(msg.content).toBe('echo: think');
    expect(msg.reasoning_content).toBe('Let me think… 🤔 step by step.');
    expect(msg.thinking_blocks).toEqual([{ type: 'thinking', thinking: 'Let me think… 🤔 step by step.', signature: 'sig-mock-Ew8KBhgC' }]);
    expect(res.usage?.completion_tokens_details?.reasoning_tokens).toBe(4);

    await client.chat.completions.create({ model: 'claude/claude-opus-4-7-echo', reasoning_effort: 'high', max_completion_tokens: 20000, messages: [{ role: 'user', content: 'think' }] });
    expect(sent().body).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' }, max_tokens: 20000 });
  });

  it('streams thinking as reasoning_content deltas, then the signed block, and sends it back in a tool loop', async () => {
    const stream = await client.chat.completions.create({
      model: 'claude/claude-sonnet-4-5-tools', reasoning_effort: 'low', stream: true, tools: [weatherTool], messages: [{ role: 'user', content: 'w?' }],
    });
    let reasoning = '';
    const blocks: unknown[] = [];
    let call: { id: string; name: string; args: string } | null = null;
    for await (const chunk of stream) {
      const d = chunk.choices[0]?.delta as (OpenAI.ChatCompletionChunk.Choice.Delta & { reasoning_content?: string; thinking_blocks?: unknown[] }) | undefined;
      if (d?.reasoning_content) reasoning += d.reasoning_content;
      if (d?.thinking_blocks) blocks.push(...d.thinking_blocks);
      const tc = d?.tool_calls?.[0];
      if (tc?.id) call = { id: tc.id, name: tc.function!.name!, args: '' };
      if (tc?.function?.arguments) call!.args += tc.function.arguments;
    }
    expect(reasoning).toBe('Let me think… 🤔 step by step.');
    expect(blocks).toEqual([{ type: 'thinking', thinking: reasoning, signature: 'sig-mock-Ew8KBhgC' }]);
    const res = await client.chat.completions.create({
      model: 'claude/claude-sonnet-4-5-tools', reasoning_effort: 'low', tools: [weatherTool],
      messages: [
        { role: 'user', content: 'w?' },
        { role: 'assistant', content: null, tool_calls: [{ id: call!.id, type: 'function', function: { name: call!.name, arguments: call!.args } }], thinking_blocks: blocks } as OpenAI.ChatCompletionAssistantMessageParam,
        { role: 'tool', tool_call_id: call!.id, content: 'sunny' },
      ],
    });
    expect(res.choices[0]!.message.content).toBe('tool said: sunny');
    expect(sent().body.messages[1].content).toEqual([
      { type: 'thinking', thinking: reasoning, signature: 'sig-mock-Ew8KBhgC' },
      { type: 'tool_use', id: 'toolu_mock0', name: 'get_weather', input: { city: 'Paris' } },
    ]);
  });

  it('rejects what Anthropic cannot express with a 400 naming the parameter, without calling upstream', async () => {
    const before = mock.seen.length;
    const cases: [Record<string, unknown>, string][] = [
      [{ n: 2 }, 'n'],
      [{ logprobs: true }, 'logprobs'],
      [{ presence_penalty: 0.5 }, 'presence_penalty'],
      [{ seed: 7 }, 'seed'],
      [{ temperature: 1.5 }, 'temperature'],
      [{ response_format: { type: 'json_object' } }, 'response_format'],
    ];
    for (const [extra, param] of cases) {
      const err = await client.chat.completions.create({ model: 'claude/claude-echo', messages: [{ role: 'user', content: 'x' }], ...extra } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
    }
    const audio = await client.chat.completions.create({
      model: 'claude/claude-echo', messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }],
    }).catch((e: unknown) => e);
    expect((audio as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('messages[0].content[0]');
    expect(mock.seen.length).toBe(before);
  });

  it('maps upstream errors: 4xx passed through in the OpenAI shape, 529 overloaded as 503, 500 as 502', async () => {
    const bad = await client.chat.completions.create({ model: 'claude/error-400', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).message).toContain('mock failure 400');
    expect((bad as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_request_error');
    const denied = await client.chat.completions.create({ model: 'claude/error-401', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(OpenAI.AuthenticationError);
    const overloaded = await client.chat.completions.create({ model: 'claude/error-529', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((overloaded as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((overloaded as InstanceType<typeof OpenAI.APIError>).message).toMatch(/overloaded.*mock failure 529/);
    const broken = await client.chat.completions.create({ model: 'claude/error-500', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect((broken as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
  });

  it('ends the stream with an error event on a mid-stream error and on a truncated upstream', async () => {
    for (const model of ['claude/claude-midstream-error', 'claude/claude-truncated']) {
      const res = await fetch(`${fx.baseURL}/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model, stream: true, messages: [{ role: 'user', content: 'abcdefghijkl' }] }),
      });
      expect(res.status).toBe(200);
      const events = (await res.text()).trim().split('\n\n');
      expect(JSON.parse(events[1]!.slice(6)).choices[0].delta.content).toBe('ech');
      const last = JSON.parse(events.at(-1)!.slice(6));
      expect(last.error.code).toBe(model.endsWith('error') ? 'LR_ERR_UPSTREAM_STATUS' : 'LR_ERR_UPSTREAM_BAD_RESPONSE');
      expect(events.some((e) => e === 'data: [DONE]')).toBe(false);
    }
  });

  it('lists the upstream models as claude/<id>', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude/claude-sonnet-4-5-20250929', 'claude/claude-echo']));
    const listCall = mock.seen.find((r) => r.method === 'GET');
    expect(listCall?.url).toBe('/v1/models?limit=1000');
  });
});
