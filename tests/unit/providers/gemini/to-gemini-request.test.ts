import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../../../src/model/index.js';
import { SKIP_SIGNATURE, toGeminiRequest as translateRequest, toGeminiSchema } from '../../../../src/providers/gemini/index.js';
import { readGolden } from './golden-helpers.js';

/** Client JSON, as the adapter receives it: any shape, checked by the translation. */
const toGeminiRequest = (body: object, model: string) => translateRequest(body as ChatRequest, model);
const user = (content: unknown = 'hi') => ({ role: 'user', content });
const req = (extra: Record<string, unknown>, model = 'gemini-2.5-flash') => toGeminiRequest({ model, messages: [user()], ...extra }, model);

/** The coded error a translation throws, as `{code, param}` plus its message. */
function failure(fn: () => unknown): { code: string; param: string | null; message: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { code: string; param: string | null; message: string };
    return { code: e.code, param: e.param, message: e.message };
  }
  throw new Error('expected a failure');
}

describe('OpenAI chat → Gemini generateContent', () => {
  it('translates a whole conversation (golden): system parts, turns, tools, tool results by name, schema, reasoning', () => {
    const body = JSON.parse(readGolden('conversation.openai-request.json').toString('utf8'));
    const want = JSON.parse(readGolden('conversation.gemini-request.expected.json').toString('utf8'));
    expect(toGeminiRequest(body, 'gemini-2.5-flash')).toEqual(want);
  });

  it('rejects what Gemini cannot express, naming the parameter', () => {
    expect(failure(() => req({ logprobs: true }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'logprobs' });
    expect(failure(() => req({ top_logprobs: 2 }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'top_logprobs' });
    expect(failure(() => req({ audio: { voice: 'x' } }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'audio' });
    expect(failure(() => req({ logit_bias: { 50256: -100 } }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'logit_bias' });
    expect(failure(() => req({ n: 9 }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'n' });
    expect(failure(() => req({ stop: ['a', 'b', 'c', 'd', 'e', 'f'] }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'stop' });
    expect(failure(() => req({ modalities: ['text', 'audio'] }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'modalities' });
    expect(failure(() => req({ reasoning_effort: 'xhigh' }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'reasoning_effort' });
    expect(failure(() => req({ service_tier: 'flex' }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'service_tier' });
    expect(failure(() => req({ response_format: { type: 'grammar' } }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
    expect(failure(() => req({ extra_body: { google: { labels: {} } } }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'extra_body.google.labels' });
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    expect(failure(() => req({ tools, parallel_tool_calls: false }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'parallel_tool_calls' });
    expect(failure(() => req({ tools: [{ type: 'custom', custom: { name: 'x' } }] }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'tools[0].type' });
    expect(failure(() => req({ tools: [{ type: 'function', function: { name: '1bad' } }] }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'tools[0].function.name' });
  });

  it('accepts parameters that change nothing upstream, and null as "not given"', () => {
    expect(req({ user: 'u1', store: false, metadata: { a: '1' }, safety_identifier: 's', prompt_cache_key: 'k', temperature: null, logprobs: false })).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
  });

  it('checks value types like the OpenAI API does', () => {
    expect(failure(() => req({ temperature: 3 }))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'temperature' });
    expect(failure(() => req({ max_tokens: 0 }))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'max_tokens' });
    expect(failure(() => req({ stop: [1] }))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'stop' });
    expect(failure(() => req({ tool_choice: 'required' }))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'tool_choice' });
  });

  it('maps sampling parameters; max_completion_tokens wins over max_tokens', () => {
    expect(req({ max_tokens: 5, max_completion_tokens: 9, top_k: 3, presence_penalty: 0.5, frequency_penalty: -0.5, n: 2, seed: 1 }).generationConfig).toEqual({
      maxOutputTokens: 9, topK: 3, presencePenalty: 0.5, frequencyPenalty: -0.5, candidateCount: 2, seed: 1,
    });
  });

  it('maps reasoning: budgets for Gemini 2.5, levels for Gemini 3, explicit budgets and Google\'s own form', () => {
    const thinking = (extra: Record<string, unknown>, model?: string) => req(extra, model).generationConfig?.thinkingConfig;
    expect(thinking({ reasoning_effort: 'none' })).toEqual({ thinkingBudget: 0, includeThoughts: false });
    expect(thinking({ reasoning_effort: 'minimal' })).toEqual({ thinkingBudget: 1024, includeThoughts: true });
    expect(thinking({ reasoning_effort: 'medium' })).toEqual({ thinkingBudget: 8192, includeThoughts: true });
    expect(thinking({ reasoning_effort: 'high' }, 'gemini-3-pro-preview')).toEqual({ thinkingLevel: 'high', includeThoughts: true });
    expect(thinking({ reasoning_effort: 'none' }, 'gemini-3-flash')).toEqual({ thinkingLevel: 'minimal', includeThoughts: false });
    expect(thinking({ reasoning: { max_tokens: 2000 } }, 'gemini-3-flash')).toEqual({ thinkingBudget: 2000, includeThoughts: true });
    expect(thinking({ reasoning: { effort: 'low', exclude: true } })).toEqual({ thinkingBudget: 1024, includeThoughts: false });
    expect(thinking({ reasoning: { exclude: true } })).toBeUndefined();
    expect(thinking({})).toBeUndefined();
    expect(thinking({ extra_body: { google: { thinking_config: { thinking_budget: 800, include_thoughts: true } } } })).toEqual({ thinkingBudget: 800, includeThoughts: true });
    expect(failure(() => req({ reasoning_effort: 'low', reasoning: { effort: 'low' } }))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST' });
  });

  it('merges consecutive turns of one kind, skips empty assistant turns, rejects empty user turns', () => {
    const r = toGeminiRequest({ messages: [user('a'), user('b'), { role: 'assistant', content: '' }, { role: 'assistant', content: [{ type: 'text', text: 'c' }] }, { role: 'assistant', content: 'd' }] }, 'm');
    expect(r.contents).toEqual([{ role: 'user', parts: [{ text: 'a' }, { text: 'b' }] }, { role: 'model', parts: [{ text: 'c' }, { text: 'd' }] }]);
    expect(failure(() => toGeminiRequest({ messages: [user('')] }, 'm'))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'messages[0].content' });
    expect(failure(() => toGeminiRequest({ messages: [{ role: 'system', content: 's' }] }, 'm'))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'messages' });
    expect(failure(() => toGeminiRequest({ messages: [{ role: 'function', name: 'f', content: 'x' }] }, 'm'))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
  });

  it('needs every tool result to answer an earlier tool call', () => {
    const messages = [user(), { role: 'tool', tool_call_id: 'call_x', content: 'r' }];
    expect(failure(() => toGeminiRequest({ messages }, 'm'))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', param: 'messages[1].tool_call_id' });
    const badArgs = [user(), { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] }];
    expect(failure(() => toGeminiRequest({ messages: badArgs }, 'm'))).toMatchObject({ param: 'messages[1].tool_calls[0].function.arguments' });
  });

  it('Gemini 3: signs an unsigned model turn with the documented placeholder; keeps real signatures; leaves 2.5 alone', () => {
    const call = (sig?: string) => ({ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' }, ...(sig ? { extra_content: { google: { thought_signature: sig } } } : {}) });
    const conv = (sig?: string) => [user(), { role: 'assistant', content: null, tool_calls: [call(sig), { ...call(), id: 'c2' }] }, { role: 'tool', tool_call_id: 'c1', content: 'x' }, { role: 'tool', tool_call_id: 'c2', content: 'y' }];
    const parts = (sig: string | undefined, model: string) => toGeminiRequest({ messages: conv(sig) }, model).contents[1]!.parts;
    expect(parts(undefined, 'gemini-3-pro-preview').map((p) => p.thoughtSignature)).toEqual([SKIP_SIGNATURE, undefined]);
    expect(parts('AAAA', 'gemini-3-pro-preview').map((p) => p.thoughtSignature)).toEqual(['AAAA', undefined]);
    expect(parts(undefined, 'gemini-2.5-pro').map((p) => p.thoughtSignature)).toEqual([undefined, undefined]);
  });

  it('translates media parts and rejects those Gemini cannot take', () => {
    const parts = (content: unknown[]) => toGeminiRequest({ messages: [user(content)] }, 'm').contents[0]!.parts;
    expect(parts([{ type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } }])).toEqual([{ inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } }]);
    expect(parts([{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } }])).toEqual([{ inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } }]);
    expect(parts([{ type: 'file', file: { file_data: 'JVBERi0=', filename: 'a.PDF' } }])).toEqual([{ inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } }]);
    const filesUri = 'https://generativelanguage.googleapis.com/v1beta/files/abc123';
    expect(parts([{ type: 'image_url', image_url: { url: filesUri } }])).toEqual([{ fileData: { fileUri: filesUri } }]);
    expect(failure(() => parts([{ type: 'image_url', image_url: { url: 'data:image/png,rawbytes' } }]))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
    expect(failure(() => parts([{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }]))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
    expect(failure(() => parts([{ type: 'file', file: { file_id: 'file-123' } }]))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'messages[0].content[0].file.file_id' });
    expect(failure(() => parts([
      { type: 'image_url', image_url: { url: 'https://x/a.png', detail: 'low' } },
      { type: 'image_url', image_url: { url: 'https://x/b.png', detail: 'high' } },
    ]))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'messages' });
  });

  it('maps allowed_tools: required → ANY, auto → VALIDATED, limited to the listed names', () => {
    const tools = [{ type: 'function', function: { name: 'a' } }, { type: 'function', function: { name: 'b' } }];
    const choice = (mode: string) => ({ type: 'allowed_tools', allowed_tools: { mode, tools: [{ type: 'function', function: { name: 'b' } }] } });
    expect(req({ tools, tool_choice: choice('required') }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['b'] } });
    expect(req({ tools, tool_choice: choice('auto') }).toolConfig).toEqual({ functionCallingConfig: { mode: 'VALIDATED', allowedFunctionNames: ['b'] } });
    expect(failure(() => req({ tools, tool_choice: { type: 'function', function: { name: 'zzz' } } }))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST' });
  });
});

describe('JSON Schema → Gemini schema subset', () => {
  const conv = (schema: unknown, strict = false) => toGeminiSchema(schema, { strict, param: 'p' });

  it('keeps the supported keywords as they are', () => {
    const s = { type: 'object', title: 'T', description: 'd', properties: { a: { type: 'array', items: { type: 'integer', minimum: 0, maximum: 9 }, minItems: 1, maxItems: 3 }, b: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] } }, required: ['a'], additionalProperties: false, propertyOrdering: ['a', 'b'] };
    expect(conv(s, true)).toEqual(s);
  });

  it('rewrites what has an exact equivalent', () => {
    expect(conv({ const: 'x' })).toEqual({ enum: ['x'] });
    expect(conv({ type: 'string', nullable: true })).toEqual({ type: ['string', 'null'] });
    expect(conv({ type: 'array', items: [{ type: 'string' }, { type: 'number' }] })).toEqual({ type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] });
    expect(conv({ allOf: [{ type: 'string' }], description: 'd' })).toEqual({ type: 'string', description: 'd' });
    expect(conv({ $ref: '#/definitions/A', definitions: { A: { type: 'string' } } })).toEqual({ $ref: '#/$defs/A', $defs: { A: { type: 'string' } } });
    expect(conv({ $ref: '#/$defs/A', description: 'why' })).toEqual({ description: 'why', anyOf: [{ $ref: '#/$defs/A' }] });
    expect(conv({ type: 'string', $schema: 'x', default: 'a', examples: ['b'], 'x-foo': 1, $comment: 'c' })).toEqual({ type: 'string' });
  });

  it('unenforced assertions: described for the model when not strict, rejected when strict', () => {
    expect(conv({ type: 'string', description: 'id', minLength: 2, pattern: '^a' })).toEqual({ type: 'string', description: 'id (minLength: 2, pattern: "^a")' });
    expect(failure(() => conv({ type: 'object', properties: { x: { type: 'string', maxLength: 3 } } }, true))).toMatchObject({
      code: 'LR_ERR_UNSUPPORTED_PARAM', param: 'p', message: expect.stringContaining('"maxLength"'),
    });
  });

  it('rejects keywords whose meaning Gemini cannot represent', () => {
    expect(failure(() => conv({ not: { type: 'string' } }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', message: expect.stringContaining('"not"') });
    expect(failure(() => conv({ allOf: [{ type: 'object' }, { required: ['a'] }] }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
    expect(failure(() => conv({ type: 'object', patternProperties: { '^x': {} } }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
    expect(failure(() => conv({ if: { type: 'string' }, then: {} }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM' });
    expect(failure(() => conv({ enum: ['a', null] }))).toMatchObject({ code: 'LR_ERR_UNSUPPORTED_PARAM', message: expect.stringContaining('"enum"') });
    expect(failure(() => conv({ properties: { a: { const: true } } }))).toMatchObject({ message: expect.stringContaining('#/properties/a') });
    expect(failure(() => conv('string'))).toMatchObject({ code: 'LR_ERR_BAD_REQUEST' });
  });
});
