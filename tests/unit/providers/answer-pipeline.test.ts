import { afterEach, describe, expect, it, vi } from 'vitest';
import type { StreamPart, Usage } from '../../../src/model/index.js';
import { answerPipeline, openAIChatDialect, responsesDialect, type ClientDialect, type TranslateContext } from '../../../src/providers/index.js';
import { anthropicAdapter, anthropicDialect } from '../../../src/providers/anthropic/index.js';
import { geminiAdapter } from '../../../src/providers/gemini/index.js';
import { openAIAdapter } from '../../../src/providers/openai-compatible/openai-adapter.js';
import { rewriteIdentity } from '../../../src/providers/answer-identity.js';
import { injectCost } from '../../../src/providers/openai-compatible/usage.js';
import { readGolden } from './parts-cases.js';
import { dialectContext } from './responses/dialect-context.js';

const ctx = (protocol: 'openai' | 'anthropic' | 'gemini', clientWantsUsage = true): TranslateContext => {
  const base = dialectContext({ clientWantsUsage });
  return { ...base, provider: { ...base.provider, name: protocol, protocol } };
};
/** $1 per million tokens of every kind, so a usage's cost is its token count / 1e6. */
const costOf = (u: Usage | null): number | null => (u === null ? null : (u.input + u.output) / 1e6);

afterEach(() => { vi.restoreAllMocks(); });

describe('answer pipeline: chosen once per call', () => {
  it('passes bytes for same-dialect pairs, goes through parts for every other chat pair', () => {
    expect(answerPipeline(openAIAdapter, openAIChatDialect, 'chat', ctx('openai'), costOf).route).toBe('pass');
    expect(answerPipeline(anthropicAdapter, anthropicDialect, 'chat', ctx('anthropic'), costOf).route).toBe('pass');
    expect(answerPipeline(openAIAdapter, anthropicDialect, 'chat', ctx('openai'), costOf).route).toBe('parts');
    expect(answerPipeline(anthropicAdapter, openAIChatDialect, 'chat', ctx('anthropic'), costOf).route).toBe('parts');
    expect(answerPipeline(geminiAdapter, responsesDialect, 'chat', ctx('gemini'), costOf).route).toBe('parts');
    expect(answerPipeline(geminiAdapter, null, 'models', ctx('gemini'), costOf).route).toBe('operation');
  });
});

describe('cross-dialect: each upstream event is parsed once, and the encoder gets parts', () => {
  it('Gemini upstream → Anthropic client', () => {
    const upstream = readGolden('gemini/text-thought-usage.upstream.sse').toString('utf8');
    const events = upstream.split('\r\n\r\n').filter((e) => e.startsWith('data: ')).length;
    const received: unknown[] = [];
    const recording: ClientDialect = {
      ...anthropicDialect,
      encodeStream(c, cost) {
        const enc = anthropicDialect.encodeStream(c, cost);
        return { part: (p: StreamPart) => { received.push(p); return enc.part(p); }, end: () => enc.end() };
      },
    };
    const stream = answerPipeline(geminiAdapter, recording, 'chat', ctx('gemini'), costOf).stream();
    const parse = vi.spyOn(JSON, 'parse');
    const out = stream.feed(upstream) + stream.end();
    expect(parse).toHaveBeenCalledTimes(events);
    expect(received.every((p) => typeof p === 'object' && p !== null && 'type' in p)).toBe(true);
    expect(received.map((p) => (p as StreamPart).type)).toEqual(['response-start', 'reasoning-delta', 'text-delta', 'text-delta', 'text-delta', 'finish']);
    expect(out).not.toContain('chat.completion.chunk');
    expect(out).toContain('event: message_stop');
    expect(stream.usage).toEqual({ input: 9, output: 10, cacheRead: 4, cacheWrite: 0, reasoning: 4 });
  });
});

describe('same-dialect pass-through', () => {
  it('Anthropic → Anthropic: the upstream bytes, the exact usage, no cost in the bytes', () => {
    const upstream = readGolden('anthropic/thinking-text-tool.upstream.sse').toString('utf8');
    const stream = answerPipeline(anthropicAdapter, anthropicDialect, 'chat', ctx('anthropic'), costOf).stream();
    expect(stream.feed(upstream) + stream.end()).toBe(upstream);
    expect(stream.usage).toEqual({ input: 46, output: 87, cacheRead: 30, cacheWrite: 4, reasoning: 21 });
    const body = readGolden('anthropic/message.upstream.json').toString('utf8');
    const whole = answerPipeline(anthropicAdapter, anthropicDialect, 'chat', ctx('anthropic'), costOf).response(body);
    expect(whole).toEqual({ body, usage: { input: 3895, output: 503, cacheRead: 1800, cacheWrite: 0, reasoning: 320 }, costUsd: 4398 / 1e6, upstreamId: null });
  });

  it('OpenAI → OpenAI chat: the upstream bytes, with the cost added to the usage the client asked for', () => {
    const upstream = readGolden('openai-compatible/stream-with-usage.upstream.sse').toString('utf8');
    const stream = answerPipeline(openAIAdapter, openAIChatDialect, 'chat', ctx('openai'), costOf).stream();
    const out = stream.feed(upstream) + stream.end();
    expect(out).toBe(readGolden('openai-compatible/stream-with-usage.client-usage.expected.sse').toString('utf8').replace('"reasoning_tokens":1}}', '"reasoning_tokens":1},"cost":0.000013}'));
    const body = '{"id":"c","object":"chat.completion","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5}}';
    expect(answerPipeline(openAIAdapter, openAIChatDialect, 'chat', ctx('openai'), costOf).response(body).body)
      .toBe('{"id":"c","object":"chat.completion","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5,"cost":0.000005}}');
  });
});

describe('OpenAI → OpenAI chat, whole answers: one scan places the identity and the cost', () => {
  const identity = { id: 'gen-7Qx', model: 'mock/gpt-4o' };
  const passCtx = (): TranslateContext => ({ ...ctx('openai'), answer: identity });
  const pass = (body: string) => answerPipeline(openAIAdapter, openAIChatDialect, 'chat', passCtx(), costOf).response(body);
  /** What rewriting the identity, then adding the cost to the last usage object, gives. */
  const reference = (body: string, cost: number | null) => {
    const rewritten = rewriteIdentity(body, identity)!;
    return { body: cost === null ? rewritten.text : injectCost(rewritten.text, cost), upstreamId: rewritten.upstreamId };
  };
  const usage = '{"prompt_tokens":2,"completion_tokens":3,"total_tokens":5,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}';
  const content = '{"index":0,"message":{"role":"assistant","content":"the \\"id\\": \\"model\\" é ✓","id":"inner","model":"inner"},"finish_reason":"stop"}';
  const bodies: [string, string][] = [
    ['as OpenAI writes it', `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[${content}],"usage":${usage},"system_fingerprint":"fp"}`],
    ['usage first, model before id', `{"usage":${usage},"model":"gpt-4o","choices":[${content}],"id":"chatcmpl-2"}`],
    ['pretty-printed', `{\n  "id" : "chatcmpl-3",\n  "model":\t"gpt-4o" ,\n  "choices": [ ${content} ],\n  "usage" :  {\n "prompt_tokens": 2, "completion_tokens": 3 \n }\n}\n`],
    ['no id', `{"model":"gpt-4o","choices":[],"usage":${usage}}`],
    ['no model', `{"id":"chatcmpl-4","choices":[],"usage":${usage}}`],
    ['neither', `{"object":"chat.completion","choices":[],"usage":${usage}}`],
    ['an empty usage object', '{"id":"chatcmpl-5","model":"m","usage":{ \n }}'],
    ['usage null', '{"id":"chatcmpl-6","model":"m","choices":[],"usage":null}'],
    ['no usage', '{"id":"chatcmpl-7","model":"m","choices":[]}'],
    ['values spelled like the keys', `{"object":"id","owner":"model","id":"chatcmpl-8","model":"m","usage":${usage}}`],
    ['an upstream id with escapes', `{"id":"a\\"b\\u00e9","model":"m","usage":${usage}}`],
    ['an id written twice', `{"id":"x","model":"m","id":"y","usage":${usage}}`],
    ['a key written with an escape', `{"\\u0069d":"x","model":"m","usage":${usage}}`],
    ['a model key written with escapes', `{"id":"x","\\u006dodel":"m","usage":${usage}}`],
    ['an id that is a number', `{"id":17,"model":"m","usage":${usage}}`],
    ['a model that is null', `{"id":"x","model":null,"usage":${usage}}`],
  ];

  it.each(bodies)('%s: byte for byte what the rewrite and the injection give', (_name, body) => {
    expect(JSON.parse(body)).toBeTypeOf('object');
    const out = pass(body);
    const ref = reference(body, out.costUsd);
    expect(out.body).toBe(ref.body);
    expect(out.upstreamId).toBe(ref.upstreamId);
    expect(JSON.parse(out.body)).toBeTypeOf('object');
  });

  it('the cost goes into the top-level usage object, whose tokens it prices, not a later nested one', () => {
    const body = `{"id":"c","model":"m","usage":${usage},"x_groq":{"usage":{"queue_time":1}}}`;
    const out = pass(body);
    expect(out.costUsd).toBe(5 / 1e6);
    const parsed = JSON.parse(out.body) as { id: string; model: string; usage: { cost?: number }; x_groq: { usage: { cost?: number } } };
    expect(parsed.usage.cost).toBe(0.000005);
    expect(parsed.x_groq.usage.cost).toBeUndefined();
    expect([parsed.id, parsed.model]).toEqual(['gen-7Qx', 'mock/gpt-4o']);
  });

  it('a body that is not one JSON object is a bad upstream response, with the reason', () => {
    for (const body of ['', '<html>', '{"id":"x"', '{"id":"x"} trailing', '{"usage":{"prompt_tokens":}}']) {
      expect(() => pass(body)).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
    }
  });
});

describe('through parts: the OpenAI chat encoder reports the cost', () => {
  it('Gemini → OpenAI chat: the usage chunk (when asked for) and a whole answer carry the cost', () => {
    const stream = answerPipeline(geminiAdapter, openAIChatDialect, 'chat', ctx('gemini'), costOf).stream();
    const out = stream.feed(readGolden('gemini/text-thought-usage.upstream.sse').toString('utf8')) + stream.end();
    expect(out).toContain('"completion_tokens_details":{"reasoning_tokens":4},"cost":0.000019}}');
    const quiet = answerPipeline(geminiAdapter, openAIChatDialect, 'chat', ctx('gemini', false), costOf).stream();
    expect(quiet.feed(readGolden('gemini/text-thought-usage.upstream.sse').toString('utf8')) + quiet.end()).not.toContain('"usage"');
    const whole = answerPipeline(geminiAdapter, openAIChatDialect, 'chat', ctx('gemini'), costOf)
      .response(readGolden('gemini/thought-and-calls.gemini-response.json').toString('utf8'));
    expect(JSON.parse(whole.body).usage.cost).toBe(214 / 1e6);
    expect(whole.costUsd).toBe(214 / 1e6);
  });
});
