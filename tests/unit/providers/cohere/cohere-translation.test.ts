import { describe, expect, it } from 'vitest';
import type { TranslateContext } from '../../../../src/providers/adapter.js';
import { cohereAdapter, coherePaths, mapCohereFinishReason, type CohereUpstreamRequest, type EmbeddingsContext } from '../../../../src/providers/cohere/index.js';
import { testContext } from '../../../helpers/translate-context.js';
import { chatAnswer } from '../parts-harness.js';

const user = [{ role: 'user', content: 'hi' }];
const V2 = 'https://api.cohere.com/v2';
const ctx = (stream = false): TranslateContext => {
  const c = testContext('cohere', { model: 'command-a-03-2025', stream, baseUrl: V2 });
  return { ...c, provider: { ...c.provider, apiKey: 'co-key' } };
};

function chat(body: Record<string, unknown>): Record<string, any> {
  return JSON.parse(cohereAdapter.request('chat', JSON.stringify({ model: 'x', messages: user, ...body }), ctx()).body!);
}

function rejection(body: Record<string, unknown>): { code: string; param: string | null; message: string } {
  try {
    chat(body);
  } catch (err) {
    return err as { code: string; param: string | null; message: string };
  }
  throw new Error('expected the request to be refused');
}

describe('OpenAI chat → Cohere v2 /chat', () => {
  it('sends the model, messages and stream flag with Bearer auth', () => {
    const req = cohereAdapter.request('chat', JSON.stringify({ model: 'x', messages: user }), ctx());
    expect(req.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json', authorization: 'Bearer co-key' });
    expect(JSON.parse(req.body!)).toEqual({ model: 'command-a-03-2025', messages: user, stream: false });
  });

  it('keeps top_p inside Cohere\'s documented p range', () => {
    expect([0, 0.5, 1].map((top_p) => chat({ top_p }).p)).toEqual([0.01, 0.5, 0.99]);
  });

  it('maps every reasoning_effort to a thinking budget, "none" to disabled', () => {
    expect(['minimal', 'low', 'medium', 'high', 'xhigh'].map((e) => chat({ reasoning_effort: e }).thinking.token_budget)).toEqual([1024, 2048, 8192, 16384, 32768]);
    expect(chat({ reasoning_effort: 'none' }).thinking).toEqual({ type: 'disabled' });
    expect(chat({ thinking: { type: 'enabled', token_budget: 500 } }).thinking).toEqual({ type: 'enabled', token_budget: 500 });
  });

  it('refuses what Cohere cannot express, naming the parameter', () => {
    const strict = { type: 'function', function: { name: 'a', strict: true } };
    const loose = { type: 'function', function: { name: 'b' } };
    const cases: [Record<string, unknown>, string][] = [
      [{ n: 2 }, 'n'],
      [{ logprobs: true }, 'logprobs'],
      [{ top_logprobs: 3 }, 'top_logprobs'],
      [{ logit_bias: { 1: 1 } }, 'logit_bias'],
      [{ parallel_tool_calls: false }, 'parallel_tool_calls'],
      [{ tools: [strict, loose] }, 'tools'],
      [{ tools: [{ type: 'custom', custom: { name: 'c' } }] }, 'tools[0].type'],
      [{ reasoning_effort: 'turbo' }, 'reasoning_effort'],
      [{ audio: { voice: 'alloy', format: 'mp3' } }, 'audio'],
      [{ response_format: { type: 'grammar' } }, 'response_format.type'],
      [{ messages: [{ role: 'user', name: 'bob', content: 'x' }] }, 'messages[0].name'],
      [{ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'f' } }] }] }, 'messages[0].content[0].type'],
    ];
    for (const [body, param] of cases) {
      const err = rejection(body);
      expect(err.code, JSON.stringify(body)).toBe('LR_ERR_UNSUPPORTED_PARAM');
      expect(err.param).toBe(param);
    }
  });

  it('refuses malformed input as a bad request', () => {
    for (const body of [
      { tool_choice: 'required' },
      { tools: [{ type: 'function', function: { name: 'a' } }], tool_choice: { type: 'function', function: { name: 'zzz' } } },
      { messages: [{ role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }] },
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] },
      { messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] },
      { reasoning_effort: 'low', thinking: { type: 'enabled' } },
      { thinking: { type: 'sometimes' } },
      { response_format: { type: 'json_schema', json_schema: {} } },
    ]) {
      expect(rejection(body).code, JSON.stringify(body)).toBe('LR_ERR_BAD_REQUEST');
    }
  });

  it('maps an assistant turn: text alone stays a string; with tool calls it is the tool plan', () => {
    const body = chat({ messages: [
      { role: 'assistant', content: 'plain', refusal: null },
      { role: 'assistant', content: '', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
      { role: 'assistant', content: [{ type: 'refusal', refusal: 'I cannot.' }] },
    ] });
    expect(body.messages).toEqual([
      { role: 'assistant', content: 'plain' },
      { role: 'assistant', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
      { role: 'assistant', content: 'I cannot.' },
    ]);
  });
});

describe('Cohere answers → OpenAI', () => {
  it('maps finish reasons, with ERROR and TIMEOUT as failures', () => {
    expect(['COMPLETE', 'STOP_SEQUENCE', 'MAX_TOKENS', 'TOOL_CALL', 'ERROR', 'TIMEOUT', 'complete'].map((r) => mapCohereFinishReason(r, false)))
      .toEqual(['stop', 'stop', 'length', 'tool_calls', null, null, 'stop']);
    expect(mapCohereFinishReason('COMPLETE', true)).toBe('tool_calls');
    expect(() => chatAnswer(cohereAdapter, JSON.stringify({ id: 'x', finish_reason: 'ERROR', message: { content: [] } }), ctx()))
      .toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_STATUS' }));
  });

  it('falls back to raw token counts when billed units are absent, and answers without usage when there is none', () => {
    const a = chatAnswer(cohereAdapter, JSON.stringify({ id: 'x', finish_reason: 'COMPLETE', message: { content: [{ type: 'text', text: 'hi' }] }, usage: { tokens: { input_tokens: 5, output_tokens: 2 } } }), ctx());
    expect(a.usage).toEqual({ input: 5, output: 2, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    const b = chatAnswer(cohereAdapter, JSON.stringify({ id: 'x', finish_reason: 'COMPLETE', message: { content: [{ type: 'text', text: 'hi' }] } }), ctx());
    expect(b.usage).toBeNull();
    expect(JSON.parse(b.body).choices[0].message.content).toBe('hi');
  });

  it('maps error statuses: 4xx in the OpenAI shape (498 as 401), 5xx to a coded 502', () => {
    const bad = cohereAdapter.error(400, '{"id":"e","message":"invalid request: p must be between 0.01 and 0.99"}', ctx()) as { status: number; body: string };
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toEqual({ error: { message: 'invalid request: p must be between 0.01 and 0.99', type: 'invalid_request_error', param: null, code: null } });
    const token = cohereAdapter.error(498, '{"message":"invalid api token"}', ctx()) as { status: number; body: string };
    expect(token.status).toBe(401);
    expect(JSON.parse(token.body).error.type).toBe('authentication_error');
    expect(JSON.parse((cohereAdapter.error(429, '{"message":"slow down"}', ctx()) as { body: string }).body).error.type).toBe('rate_limit_error');
    expect(cohereAdapter.error(503, '{"message":"overloaded"}', ctx())).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', message: expect.stringContaining('overloaded') });
  });

  it('lists chat and embed models only', () => {
    const out = JSON.parse(cohereAdapter.response('models', JSON.stringify({ models: [
      { name: 'command-a-03-2025', endpoints: ['chat'] }, { name: 'embed-v4.0', endpoints: ['embed'] }, { name: 'rerank-v3.5', endpoints: ['rerank'] }, { name: 'legacy' },
    ] }), ctx()).body);
    expect(out.data.map((m: { id: string }) => m.id)).toEqual(['command-a-03-2025', 'embed-v4.0', 'legacy']);
  });
});

describe('Cohere paths', () => {
  it('works with the preset base URL (…/v2) and with the server root', () => {
    expect(coherePaths('https://api.cohere.com/v2')).toEqual({ chat: '/chat', embed: '/embed', models: '/../v1/models?page_size=1000', modelsFromOrigin: '/v1/models?page_size=1000' });
    expect(coherePaths('https://api.cohere.com/v2/')).toMatchObject({ chat: '/chat' });
    expect(coherePaths('https://api.cohere.com')).toEqual({ chat: '/v2/chat', embed: '/v2/embed', models: '/v1/models?page_size=1000', modelsFromOrigin: null });
    expect(coherePaths('https://proxy.local/cohere/v2').modelsFromOrigin).toBe('/cohere/v1/models?page_size=1000');
    const models = cohereAdapter.request('models', null, ctx()) as CohereUpstreamRequest;
    expect(models).toMatchObject({ method: 'GET', path: '/../v1/models?page_size=1000', originPath: '/v1/models?page_size=1000', body: null });
  });
});

describe('OpenAI embeddings → Cohere v2 /embed', () => {
  it('sends texts with the default input_type, accepts an explicit one, and encodes base64 when asked', () => {
    const c = ctx() as EmbeddingsContext;
    const req = cohereAdapter.request('embeddings', JSON.stringify({ model: 'x', input: 'hello', encoding_format: 'base64' }), c);
    expect(req.path).toBe('/embed');
    expect(JSON.parse(req.body!)).toEqual({ model: 'command-a-03-2025', texts: ['hello'], input_type: 'search_document', embedding_types: ['float'] });
    const out = JSON.parse(cohereAdapter.response('embeddings', JSON.stringify({ id: 'e', embeddings: { float: [[0.25, 2]] }, meta: { billed_units: { input_tokens: 1 } } }), c).body);
    const buf = Buffer.from(out.data[0].embedding, 'base64');
    expect([buf.readFloatLE(0), buf.readFloatLE(4)]).toEqual([0.25, 2]);
    const q = cohereAdapter.request('embeddings', JSON.stringify({ model: 'x', input: ['q'], input_type: 'search_query' }), ctx());
    expect(JSON.parse(q.body!).input_type).toBe('search_query');
    expect(() => cohereAdapter.request('embeddings', JSON.stringify({ model: 'x', input: ['q'], input_type: 'poetry' }), ctx())).toThrow(expect.objectContaining({ code: 'LR_ERR_BAD_REQUEST' }));
    expect(() => cohereAdapter.request('embeddings', JSON.stringify({ model: 'x', input: [1, 2] }), ctx())).toThrow(expect.objectContaining({ code: 'LR_ERR_UNSUPPORTED_PARAM' }));
  });
});
