import { describe, expect, it } from 'vitest';
import type { TranslateContext } from '../../../../src/providers/adapter.js';
import { mapOllamaFinishReason, ollamaAdapter, type EmbeddingsContext } from '../../../../src/providers/ollama/index.js';
import { testContext } from '../../../helpers/translate-context.js';
import { chatAnswer } from '../parts-harness.js';

const user = [{ role: 'user', content: 'hi' }];

function chat(body: Record<string, unknown>, ctx: TranslateContext = testContext('ollama', { model: 'llama3.2', stream: false })): Record<string, any> {
  return JSON.parse(ollamaAdapter.request('chat', JSON.stringify({ model: 'x', messages: user, ...body }), ctx).body!);
}

function rejection(body: Record<string, unknown>): { code: string; param: string | null; message: string } {
  try {
    chat(body);
  } catch (err) {
    return err as { code: string; param: string | null; message: string };
  }
  throw new Error('expected the request to be refused');
}

describe('OpenAI chat → Ollama /api/chat', () => {
  it('always states stream explicitly (Ollama streams by default) and uses the context model', () => {
    expect(chat({})).toEqual({ model: 'llama3.2', messages: user, stream: false });
    expect(chat({}, testContext('ollama', { model: 'q', stream: true })).stream).toBe(true);
  });

  it('treats null parameters as absent and keeps advisory ones out of the body', () => {
    expect(chat({ temperature: null, tools: null, stop: null, user: 'me', metadata: { a: '1' }, store: false, n: 1, logit_bias: {} }))
      .toEqual({ model: 'llama3.2', messages: user, stream: false });
  });

  it('refuses what Ollama cannot express, naming the parameter', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ n: 2 }, 'n'],
      [{ logit_bias: { 50256: -100 } }, 'logit_bias'],
      [{ tool_choice: 'required', tools: [{ type: 'function', function: { name: 'f' } }] }, 'tool_choice'],
      [{ tool_choice: { type: 'function', function: { name: 'f' } } }, 'tool_choice'],
      [{ parallel_tool_calls: false }, 'parallel_tool_calls'],
      [{ tools: [{ type: 'function', function: { name: 'f', strict: true } }] }, 'tools[0].function.strict'],
      [{ tools: [{ type: 'custom', custom: { name: 'g' } }] }, 'tools[0].type'],
      [{ response_format: { type: 'grammar' } }, 'response_format.type'],
      [{ reasoning_effort: 'extreme' }, 'reasoning_effort'],
      [{ modalities: ['text', 'audio'] }, 'modalities'],
      [{ service_tier: 'priority' }, 'service_tier'],
      [{ prediction: { type: 'content', content: 'x' } }, 'prediction'],
      [{ web_search_options: {} }, 'web_search_options'],
      [{ functions: [{ name: 'f' }] }, 'functions'],
      [{ messages: [{ role: 'user', name: 'bob', content: 'x' }] }, 'messages[0].name'],
      [{ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'messages[0].name'],
      [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }, 'messages[0].content[0].image_url.url'],
      [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] }] }, 'messages[0].content[0].type'],
    ];
    for (const [body, param] of cases) {
      const err = rejection(body);
      expect(err.code, JSON.stringify(body)).toBe('LR_ERR_UNSUPPORTED_PARAM');
      expect(err.param).toBe(param);
      expect(err.message).toContain('provider "p"');
    }
  });

  it('refuses malformed input as a bad request', () => {
    for (const body of [
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png,raw' } }] }] },
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:text/plain;base64,AAAA' } }] }] },
      { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] },
      { messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1]' } }] }] },
      { messages: [{ role: 'tool', content: 'x' }] },
      { messages: [{ role: 'wizard', content: 'x' }] },
      { response_format: { type: 'json_schema', json_schema: { name: 'n' } } },
      { reasoning_effort: 'low', think: true },
      { stop: 5 },
    ]) {
      expect(rejection(body).code, JSON.stringify(body)).toBe('LR_ERR_BAD_REQUEST');
    }
  });

  it('maps reasoning_effort to think levels, and accepts Ollama\'s own think', () => {
    const think = (e: string) => chat({ reasoning_effort: e }).think;
    expect(['none', 'minimal', 'low', 'medium', 'high', 'xhigh'].map(think)).toEqual([false, 'low', 'low', 'medium', 'high', 'high']);
    expect(chat({ think: true }).think).toBe(true);
  });

  it('offers no tools when tool_choice is "none", and keeps them for "auto"', () => {
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    expect(chat({ tools, tool_choice: 'none' }).tools).toBeUndefined();
    expect(chat({ tools, tool_choice: 'auto' }).tools).toEqual(tools);
  });

  it('keeps assistant refusals as text and gives tool results their function name when it is known', () => {
    const body = chat({ messages: [
      { role: 'assistant', content: [{ type: 'refusal', refusal: 'No.' }] },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'look', arguments: '{"q":1}' } }] },
      { role: 'tool', tool_call_id: 'call_a', content: 'found' },
      { role: 'tool', tool_call_id: 'call_unknown', content: 'orphan' },
    ] });
    expect(body.messages).toEqual([
      { role: 'assistant', content: 'No.' },
      { role: 'assistant', content: '', tool_calls: [{ function: { index: 0, name: 'look', arguments: { q: 1 } } }] },
      { role: 'tool', content: 'found', tool_name: 'look' },
      { role: 'tool', content: 'orphan' },
    ]);
  });

  it('sends JSON mode as format "json"', () => {
    expect(chat({ response_format: { type: 'json_object' } }).format).toBe('json');
    expect(chat({ response_format: { type: 'text' } }).format).toBeUndefined();
  });
});

describe('Ollama answers → OpenAI', () => {
  const ctx = testContext('ollama', { model: 'llama3.2', stream: false });

  it('maps done_reason, letting tool calls decide', () => {
    expect(mapOllamaFinishReason('stop', false)).toBe('stop');
    expect(mapOllamaFinishReason('length', false)).toBe('length');
    expect(mapOllamaFinishReason('load', false)).toBe('stop');
    expect(mapOllamaFinishReason('stop', true)).toBe('tool_calls');
  });

  it('passes logprobs through in OpenAI\'s per-token shape', () => {
    const body = JSON.stringify({ model: 'm', message: { role: 'assistant', content: 'Hi' }, done: true, done_reason: 'stop',
      logprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105] }, { token: 'Hey', logprob: -2.3 }] }] });
    const out = JSON.parse(chatAnswer(ollamaAdapter, body, ctx).body);
    expect(out.choices[0].logprobs).toEqual({ content: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105] }, { token: 'Hey', logprob: -2.3, bytes: null }] }] });
  });

  it('turns an error inside a 200 body into a coded error', () => {
    expect(() => chatAnswer(ollamaAdapter, '{"error":"boom"}', ctx)).toThrow(/boom/);
    expect(() => chatAnswer(ollamaAdapter, '<html>', ctx)).toThrow(/not JSON/);
  });

  it('maps error statuses: 4xx in the OpenAI shape with the right type, 5xx to a coded 502', () => {
    const notFound = ollamaAdapter.error(404, '{"error":"model \\"x\\" not found, try pulling it first"}', ctx) as { status: number; body: string };
    expect(notFound.status).toBe(404);
    expect(JSON.parse(notFound.body)).toEqual({ error: { message: 'model "x" not found, try pulling it first', type: 'invalid_request_error', param: null, code: 'model_not_found' } });
    const unauth = ollamaAdapter.error(401, '{"error":"unauthorized"}', ctx) as { status: number; body: string };
    expect(JSON.parse(unauth.body).error.type).toBe('authentication_error');
    expect(ollamaAdapter.error(500, '{"error":"llama runner process has terminated"}', ctx)).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', message: expect.stringContaining('llama runner') });
  });

  it('lists models from /api/tags with their tags', () => {
    const req = ollamaAdapter.request('models', null, ctx);
    expect(req).toMatchObject({ method: 'GET', path: '/api/tags', body: null, streams: false });
    const out = JSON.parse(ollamaAdapter.response('models', JSON.stringify({ models: [{ name: 'llama3.2:latest', modified_at: '2025-10-03T23:34:03.409490317-07:00' }, { model: 'x:1b' }, {}] }), ctx).body);
    expect(out).toEqual({ object: 'list', data: [
      { id: 'llama3.2:latest', object: 'model', created: 1759559643, owned_by: 'ollama' },
      { id: 'x:1b', object: 'model', created: 0, owned_by: 'ollama' },
    ] });
  });

  it('refuses operations it has no endpoint for', () => {
    expect(() => ollamaAdapter.request('completions', '{}', ctx)).toThrow(expect.objectContaining({ code: 'LR_ERR_UNSUPPORTED_PARAM' }));
  });

  it('sends a Bearer key only when one is configured', () => {
    const keyed: TranslateContext = { ...ctx, provider: { ...ctx.provider, apiKey: 'k', headers: { 'x-extra': '1' } } };
    expect(ollamaAdapter.request('models', null, keyed).headers).toEqual({ 'x-extra': '1', accept: 'application/json', authorization: 'Bearer k' });
    expect(ollamaAdapter.request('models', null, ctx).headers.authorization).toBeUndefined();
  });
});

describe('OpenAI embeddings → Ollama /api/embed', () => {
  it('embeds strings, refuses token arrays, and honors base64 encoding', () => {
    const ctx = testContext('ollama', { model: 'nomic-embed-text', stream: false }) as EmbeddingsContext;
    const req = ollamaAdapter.request('embeddings', JSON.stringify({ model: 'x', input: ['a', 'b'], encoding_format: 'base64', dimensions: 2, user: 'u' }), ctx);
    expect(req.path).toBe('/api/embed');
    expect(JSON.parse(req.body!)).toEqual({ model: 'nomic-embed-text', input: ['a', 'b'], dimensions: 2 });
    const out = ollamaAdapter.response('embeddings', JSON.stringify({ model: 'nomic-embed-text', embeddings: [[0.5, -1]], prompt_eval_count: 3 }), ctx);
    const parsed = JSON.parse(out.body);
    const buf = Buffer.from(parsed.data[0].embedding, 'base64');
    expect([buf.readFloatLE(0), buf.readFloatLE(4)]).toEqual([0.5, -1]);
    expect(out.usage).toEqual({ input: 3, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    expect(() => ollamaAdapter.request('embeddings', JSON.stringify({ model: 'x', input: [[1, 2, 3]] }), ctx)).toThrow(expect.objectContaining({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'input' }));
  });
});
