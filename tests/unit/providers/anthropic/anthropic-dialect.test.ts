import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicDialect, fromAnthropicRequest, toAnthropicRequest } from '../../../../src/providers/anthropic/index.js';
import type { TranslateContext } from '../../../../src/providers/index.js';
import { validateMessagesRequest } from '../../../helpers/mock-anthropic-validate.js';
import { dialectContext, openAIUpstream } from '../responses/dialect-context.js';

const dir = new URL('../../../golden/providers/anthropic/', import.meta.url);
const text = (name: string): string => fs.readFileSync(new URL(name, dir), 'utf8');
const ctx: TranslateContext = { ...dialectContext({ clientWantsUsage: true }), model: 'claude/claude-sonnet-4-5', newId: (p: string) => `${p}test` };
/** An OpenAI upstream's answer for an Anthropic-SDK client, as the engine runs it. */
const viaOpenAI = () => openAIUpstream(anthropicDialect, ctx);
const rejection = (fn: () => unknown): { code?: string; param?: string; message?: string } => {
  try {
    fn();
  } catch (err) {
    return err as { code: string };
  }
  throw new Error('expected a rejection');
};

/** An Anthropic request using most of what the translation carries. */
const anthropicRequest = {
  model: 'claude-sonnet-4-5',
  max_tokens: 20000,
  system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: [
      { type: 'text', text: 'Weather here?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/sky.jpg' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' }, title: 'forecast.pdf' },
    ] },
    { role: 'assistant', content: [
      { type: 'thinking', thinking: 'Need the tool.', signature: 'sig-A' },
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ] },
    { role: 'user', content: [
      { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'rain' }], is_error: true },
      { type: 'text', text: 'And tomorrow?', cache_control: { type: 'ephemeral' } },
    ] },
  ],
  tools: [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, cache_control: { type: 'ephemeral' } }],
  tool_choice: { type: 'auto', disable_parallel_tool_use: true },
  thinking: { type: 'enabled', budget_tokens: 10000 },
  stop_sequences: ['###'],
  metadata: { user_id: 'user-7' },
  stream: true,
};

describe('fromAnthropicRequest', () => {
  it('validates like the Messages API, with Anthropic-style messages', () => {
    expect(rejection(() => fromAnthropicRequest({ model: 'm', messages: [] }))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', message: 'max_tokens: Field required' });
    expect(rejection(() => fromAnthropicRequest({ model: 'm', max_tokens: 5 })).message).toBe('messages: Field required');
    expect(rejection(() => fromAnthropicRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'bot', content: 'x' }] })).message)
      .toBe("messages.0.role: Input should be 'user' or 'assistant'");
    expect(rejection(() => fromAnthropicRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], foo: 1 })).message)
      .toBe('foo: Extra inputs are not permitted');
    expect(rejection(() => fromAnthropicRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], mcp_servers: [{}] })))
      .toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'mcp_servers' });
    expect(rejection(() => fromAnthropicRequest({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] })))
      .toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'tools.0' });
  });

  it('translates for any provider: tool results as tool messages, thinking as reasoning_effort, Anthropic-only hints left out', () => {
    const out = fromAnthropicRequest(anthropicRequest);
    expect(out).toEqual({
      model: 'claude-sonnet-4-5',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'You are terse.' }] },
        { role: 'user', content: [
          { type: 'text', text: 'Weather here?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/sky.jpg' } },
          { type: 'file', file: { filename: 'forecast.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
        ] },
        { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'rain' },
        { role: 'user', content: 'And tomorrow?' },
      ],
      max_completion_tokens: 20000,
      stream: true,
      stream_options: { include_usage: true },
      stop: ['###'],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, description: 'Weather' } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning_effort: 'medium',
      user: 'user-7',
    });
    expect(rejection(() => fromAnthropicRequest({ ...anthropicRequest, top_k: 5 })).param).toBe('top_k');
    const adaptive = fromAnthropicRequest({ ...anthropicRequest, thinking: { type: 'adaptive' }, output_config: { effort: 'low', format: { type: 'json_schema', schema: { type: 'object' } } } });
    expect(adaptive).toMatchObject({ reasoning_effort: 'low', response_format: { type: 'json_schema', json_schema: { name: 'output', schema: { type: 'object' }, strict: true } } });
  });

  it('round-trips exactly to an Anthropic upstream when extensions are kept', () => {
    const openAI = fromAnthropicRequest(anthropicRequest, { keepAnthropicExtensions: true });
    const back = toAnthropicRequest(openAI, 'claude-sonnet-4-5', true);
    expect(validateMessagesRequest(back)).toBeNull();
    expect(back).toEqual({
      ...anthropicRequest,
      messages: [
        anthropicRequest.messages[0],
        anthropicRequest.messages[1],
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: 'rain', is_error: true },
          { type: 'text', text: 'And tomorrow?', cache_control: { type: 'ephemeral' } },
        ] },
      ],
    });
    const { thinking: _, ...sampled } = anthropicRequest;
    expect(toAnthropicRequest(fromAnthropicRequest({ ...sampled, top_k: 5, temperature: 0.2 }, { keepAnthropicExtensions: true }), 'm', false))
      .toMatchObject({ top_k: 5, temperature: 0.2 });
  });
});

describe('toAnthropicResponse', () => {
  it('rebuilds the Anthropic message from a translated completion (thinking with signatures, text, tool use, usage)', () => {
    const msg = JSON.parse(viaOpenAI().response(text('message.expected.json')).body);
    const upstream = JSON.parse(text('message.upstream.json'));
    expect(msg).toEqual({
      id: 'msg_test', type: 'message', role: 'assistant', model: upstream.model,
      content: [upstream.content[0], upstream.content[1], upstream.content[2], { type: 'text', text: 'Checking Zürich now. ❄️' }, upstream.content[5]],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 2095, cache_creation_input_tokens: 0, cache_read_input_tokens: 1800, output_tokens: 503 },
    });
  });

  it('turns unsigned reasoning (DeepSeek/vLLM style) into a thinking block, and maps finish reasons', () => {
    const completion = { id: 'c', object: 'chat.completion', created: 1, model: '', choices: [{ index: 0, message: { role: 'assistant', content: 'ok', reasoning_content: 'hmm' }, logprobs: null, finish_reason: 'length' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } };
    const out = JSON.parse(viaOpenAI().response(JSON.stringify(completion)).body);
    expect(out.model).toBe('claude/claude-sonnet-4-5');
    expect(out.content).toEqual([{ type: 'thinking', thinking: 'hmm', signature: '' }, { type: 'text', text: 'ok' }]);
    expect(out.stop_reason).toBe('max_tokens');
    expect(out.usage).toEqual({ input_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 2 });
  });
});

describe('OpenAI upstream → Anthropic stream', () => {
  const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-x', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const events = (sse: string) => sse.trim().split('\n\n').map((e) => {
    const [ev, data] = e.split('\n');
    return [ev!.slice(7), JSON.parse(data!.slice(6))] as [string, any];
  });

  it('handles whole tool calls in one chunk, text after tools, and [DONE] without a usage chunk', () => {
    const s = viaOpenAI().stream();
    const out = s.feed(chunk({ role: 'assistant', content: '' }) + chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] })
      + chunk({ content: 'done' }) + chunk({}, 'tool_calls') + 'data: [DONE]\n\n') + s.end();
    expect(events(out).map(([name, d]) => [name, d.index ?? null, d.delta?.type ?? d.content_block?.type ?? null])).toEqual([
      ['message_start', null, null],
      ['content_block_start', 0, 'tool_use'], ['content_block_delta', 0, 'input_json_delta'],
      ['content_block_stop', 0, null],
      ['content_block_start', 1, 'text'], ['content_block_delta', 1, 'text_delta'], ['content_block_stop', 1, null],
      ['message_delta', null, null], ['message_stop', null, null],
    ]);
    expect(events(out)[0]![1].message).toMatchObject({ id: 'msg_test', model: 'gpt-x', usage: { input_tokens: 0, output_tokens: 0 } });
    expect(events(out).at(-2)![1]).toEqual({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 } });
  });

  it('ends with an error event on an upstream error chunk; an upstream cut before its finish reason fails the stream', () => {
    const a = viaOpenAI().stream();
    const outA = a.feed(chunk({ content: 'x' }) + 'data: {"error":{"message":"Overloaded","type":"server_error","code":null}}\n\n' + chunk({ content: 'ignored' }));
    expect(events(outA).at(-1)).toEqual(['error', { type: 'error', error: { type: 'api_error', message: 'Overloaded' } }]);
    expect(outA).not.toContain('ignored');
    // The call still fails, with the upstream's error, marked as relayed (the client has its event).
    expect(() => a.end()).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_STATUS', message: 'Overloaded', relayed: true }));
    const rateLimited = viaOpenAI().stream();
    const outR = rateLimited.feed('data: {"error":{"message":"slow down","type":"rate_limit_error","code":"rate_limit_exceeded"}}\n\n');
    expect(events(outR).at(-1)).toEqual(['error', { type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } }]);
    const b = viaOpenAI().stream();
    expect(b.feed(chunk({ content: 'partial' }))).not.toContain('message_stop');
    expect(() => b.end()).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
    // The encoder on its own ends an answer whose parts stopped early with an api_error event.
    const enc = anthropicDialect.encodeStream(ctx, () => null);
    const outE = enc.part({ type: 'text-delta', text: 'partial' }) + enc.end();
    expect(events(outE).at(-1)![1].error.type).toBe('api_error');
    expect(outE).not.toContain('message_stop');
  });
});

describe('the real @anthropic-ai/sdk reads the translated answers', () => {
  let server: http.Server;
  let client: Anthropic;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => { raw += c.toString(); });
      req.on('end', () => {
        if ((JSON.parse(raw) as { stream?: boolean }).stream !== true) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(viaOpenAI().response(text('message.expected.json')).body);
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const s = viaOpenAI().stream();
        // Deliver in small pieces, as the ingress would.
        const sse = s.feed(text('thinking-text-tool.client-usage.expected.sse')) + s.end();
        for (let i = 0; i < sse.length; i += 50) res.write(sse.slice(i, i + 50));
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new Anthropic({ apiKey: 'sk-test', baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, maxRetries: 0 });
  });
  afterAll(async () => { await new Promise((r) => server.close(r)); });

  it('messages.create()', async () => {
    const msg = await client.messages.create({ model: 'claude-opus-5', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'redacted_thinking', 'thinking', 'text', 'tool_use']);
  });

  it('messages.stream() accumulates thinking, signature, text, tool input and usage', async () => {
    const stream = client.messages.stream({ model: 'claude-opus-5', max_tokens: 100, messages: [{ role: 'user', content: 'x' }] });
    let streamed = '';
    stream.on('text', (t) => { streamed += t; });
    const msg = await stream.finalMessage();
    expect(streamed).toBe('Grüße aus 日本 🌍, ich frage nach.');
    expect(msg.content).toEqual([
      { type: 'thinking', thinking: 'Prüfe das Wetter… 🌦 dann antworten.', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds' },
      { type: 'text', text: 'Grüße aus 日本 🌍, ich frage nach.' },
      expect.objectContaining({ type: 'tool_use', id: 'toolu_01Golden', name: 'get_weather', input: { city: 'Zürich' } }),
    ]);
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage).toMatchObject({ input_tokens: 12, cache_creation_input_tokens: 4, cache_read_input_tokens: 30, output_tokens: 87 });
  });
});
