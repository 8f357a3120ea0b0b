import { describe, expect, it } from 'vitest';
import {
  fromGeminiModelList, fromGeminiResponse, geminiAdapter, mapGeminiError, mapGeminiFinishReason, type GeminiEmbeddingsContext,
} from '../../../../src/providers/gemini/index.js';
import { readGolden, testContext } from './golden-helpers.js';
import { openAIBody } from '../parts-harness.js';

const ctx = testContext();
const answer = (candidate: object, extra: object = {}) => JSON.stringify({ candidates: [candidate], usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1, totalTokenCount: 3 }, ...extra });
const translate = (body: string) => JSON.parse(openAIBody(fromGeminiResponse(body, testContext())));
const thrown = (fn: () => unknown) => { try { fn(); } catch (e) { return e as { code: string; message: string }; } throw new Error('no throw'); };

describe('Gemini generateContent answer → OpenAI chat.completion', () => {
  it('translates thoughts, text, parallel calls and usage (golden)', () => {
    const out = fromGeminiResponse(readGolden('thought-and-calls.gemini-response.json').toString('utf8'), testContext());
    expect(JSON.parse(openAIBody(out))).toEqual(JSON.parse(readGolden('thought-and-calls.expected.json').toString('utf8')));
    // prompt 120 + tool-use 4; completion = candidates 30 + thoughts 60; cached 64; reasoning 60.
    expect(out.usage).toEqual({ input: 124, output: 90, cacheRead: 64, cacheWrite: 0, reasoning: 60 });
  });

  it('maps finish reasons', () => {
    expect(mapGeminiFinishReason('STOP', false)).toBe('stop');
    expect(mapGeminiFinishReason('STOP', true)).toBe('tool_calls');
    expect(mapGeminiFinishReason('MAX_TOKENS', true)).toBe('length');
    for (const r of ['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'LANGUAGE']) expect(mapGeminiFinishReason(r, false)).toBe('content_filter');
    expect(mapGeminiFinishReason('OTHER', false)).toBe('stop');
    expect(mapGeminiFinishReason(undefined, false)).toBe('stop');
    expect(mapGeminiFinishReason('MALFORMED_FUNCTION_CALL', false)).toBeNull();
    expect(translate(answer({ finishReason: 'SAFETY', index: 0 })).choices[0]).toMatchObject({ finish_reason: 'content_filter', message: { content: '' } });
  });

  it('a blocked prompt is one empty content_filter choice; no candidates otherwise is an upstream error', () => {
    const blocked = translate(JSON.stringify({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 4, totalTokenCount: 4 } }));
    expect(blocked.choices).toEqual([{ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: 'content_filter' }]);
    expect(blocked.usage.prompt_tokens).toBe(4);
    expect(thrown(() => translate('{}')).code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('fails, never drops: a failed generation, output parts chat cannot carry, bodies that are not JSON', () => {
    const malformed = thrown(() => translate(answer({ finishReason: 'MALFORMED_FUNCTION_CALL', finishMessage: 'oops' })));
    expect(malformed).toMatchObject({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE', message: expect.stringContaining('MALFORMED_FUNCTION_CALL: oops') });
    const image = thrown(() => translate(answer({ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'AA==' } }] }, finishReason: 'STOP' })));
    expect(image.message).toMatch(/"inlineData" part/);
    expect(thrown(() => translate('not json')).code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('one choice per candidate (n > 1)', () => {
    const body = JSON.stringify({ candidates: [{ index: 0, content: { parts: [{ text: 'a' }] }, finishReason: 'STOP' }, { index: 1, content: { parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS' }] });
    expect(translate(body).choices.map((c: any) => [c.index, c.message.content, c.finish_reason])).toEqual([[0, 'a', 'stop'], [1, 'b', 'length']]);
  });
});

describe('Gemini errors → OpenAI errors', () => {
  const err = (code: number, status: string, message: string, details?: object[]) => JSON.stringify({ error: { code, message, status, ...(details ? { details } : {}) } });
  const mapped = (status: number, body: string) => mapGeminiError('gem', status, body) as { status: number; body: string };

  it('keeps 4xx statuses with an OpenAI error body, typed by status', () => {
    expect(JSON.parse(mapped(400, err(400, 'INVALID_ARGUMENT', 'bad field')).body)).toEqual({ error: { message: 'bad field', type: 'invalid_request_error', param: null, code: 'invalid_argument' } });
    const quota = { message: 'quota', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' };
    expect(mapped(429, err(429, 'RESOURCE_EXHAUSTED', 'quota'))).toEqual({ status: 429, body: JSON.stringify({ error: quota }), detail: quota });
    expect(JSON.parse(mapped(403, err(403, 'PERMISSION_DENIED', 'no')).body).error.type).toBe('permission_error');
    expect(JSON.parse(mapped(404, err(404, 'NOT_FOUND', 'models/x is not found for API version v1beta')).body).error).toMatchObject({ type: 'not_found_error', code: 'model_not_found' });
    const ctxLen = mapped(400, err(400, 'INVALID_ARGUMENT', 'The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).'));
    expect(JSON.parse(ctxLen.body).error.code).toBe('context_length_exceeded');
  });

  it('turns Gemini\'s 400 API_KEY_INVALID into 401 invalid_api_key', () => {
    const r = mapped(400, err(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }]));
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body).error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
  });

  it('5xx become a coded 502 naming the provider; array-wrapped and non-JSON bodies are handled', () => {
    expect(mapGeminiError('gem', 503, `[${err(503, 'UNAVAILABLE', 'overloaded')}]`)).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', status: 502, message: 'provider "gem" returned 503 UNAVAILABLE: overloaded' });
    expect(mapped(400, '<html>nope</html>')).toMatchObject({ status: 400 });
  });
});

describe('geminiAdapter', () => {
  const run = (op: 'chat' | 'embeddings' | 'models', body: object | null, c = testContext()) => geminiAdapter.request(op, body === null ? null : JSON.stringify(body), c);

  it('builds generateContent / streamGenerateContent calls with x-goog-api-key and no bearer token', () => {
    const r = run('chat', { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'x' }] }, { ...testContext(), stream: false });
    expect(r).toMatchObject({ method: 'POST', path: '/models/gemini-2.5-flash:generateContent', streams: false });
    expect(r.headers).toEqual({ 'content-type': 'application/json', accept: 'application/json', 'x-goog-api-key': 'k' });
    const s = run('chat', { model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'x' }] });
    expect(s).toMatchObject({ path: '/models/gemini-2.5-flash:streamGenerateContent?alt=sse', streams: true });
    expect(s.headers.accept).toBe('text/event-stream');
    expect(run('models', null)).toMatchObject({ method: 'GET', path: '/models?pageSize=1000', body: null });
    const tuned = { ...testContext('tunedModels/my-model-7'), stream: false };
    expect(run('chat', { messages: [{ role: 'user', content: 'x' }] }, tuned).path).toBe('/tunedModels/my-model-7:generateContent');
  });

  it('refuses model ids that could change the request path, and operations Gemini lacks', () => {
    for (const model of ['../files', 'a/b', 'x?alt=json', 'models/..']) {
      expect(thrown(() => run('chat', { messages: [{ role: 'user', content: 'x' }] }, testContext(model))).code).toBe('LR_ERR_BAD_REQUEST');
    }
    expect(thrown(() => geminiAdapter.request('completions', '{}', ctx)).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
  });

  it('embeddings: one string → embedContent, a list → batchEmbedContents; base64 when asked', () => {
    const c: GeminiEmbeddingsContext = testContext('gemini-embedding-001');
    const one = run('embeddings', { model: 'gemini-embedding-001', input: 'hi', dimensions: 2, user: 'u' }, c);
    expect(one.path).toBe('/models/gemini-embedding-001:embedContent');
    expect(JSON.parse(one.body!)).toEqual({ content: { parts: [{ text: 'hi' }] }, outputDimensionality: 2 });
    const out = geminiAdapter.response('embeddings', JSON.stringify({ embedding: { values: [0.5, -1] } }), c);
    expect(JSON.parse(out.body)).toEqual({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5, -1] }], model: 'gemini-embedding-001', usage: { prompt_tokens: 0, total_tokens: 0 } });

    const c2: GeminiEmbeddingsContext = testContext('gemini-embedding-001');
    const many = run('embeddings', { model: 'gemini-embedding-001', input: ['a', 'b'], encoding_format: 'base64' }, c2);
    expect(many.path).toBe('/models/gemini-embedding-001:batchEmbedContents');
    expect(JSON.parse(many.body!).requests).toEqual([
      { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } },
      { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] } },
    ]);
    const b64 = JSON.parse(geminiAdapter.response('embeddings', JSON.stringify({ embeddings: [{ values: [1.5] }, { values: [-2] }] }), c2).body);
    const decode = (s: string) => { const b = Buffer.from(s, 'base64'); return Array.from({ length: b.length / 4 }, (_, i) => b.readFloatLE(i * 4)); };
    expect(b64.data.map((d: any) => decode(d.embedding))).toEqual([[1.5], [-2]]);

    expect(thrown(() => run('embeddings', { model: 'm', input: [[1, 2, 3]] }, testContext('m'))).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
    expect(thrown(() => run('embeddings', { model: 'm', input: 'x', task: 'y' }, testContext('m'))).code).toBe('LR_ERR_UNSUPPORTED_PARAM');
  });

  it('lists models without the models/ prefix', () => {
    const out = fromGeminiModelList(JSON.stringify({ models: [{ name: 'models/gemini-2.5-pro', displayName: 'Gemini 2.5 Pro', inputTokenLimit: 1048576, outputTokenLimit: 65536, supportedGenerationMethods: ['generateContent'] }], nextPageToken: 'n' }), ctx);
    expect(JSON.parse(out.body)).toEqual({ object: 'list', data: [{
      id: 'gemini-2.5-pro', object: 'model', created: 0, owned_by: 'google', display_name: 'Gemini 2.5 Pro',
      context_length: 1048576, max_output_tokens: 65536, supported_generation_methods: ['generateContent'],
    }] });
  });
});
