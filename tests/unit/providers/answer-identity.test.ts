import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { memberValueStart, rewriteIdentity } from '../../../src/providers/answer-identity.js';
import { createOpenAIStreamState, passOpenAIStream } from '../../../src/providers/openai-compatible/from-openai-stream.js';

const ANSWER = { id: 'gen-00000000000000000000000000000abc', model: 'p/m' };

describe('answer identity spliced into JSON text', () => {
  it('replaces only the top-level id and model, keeping every other byte', () => {
    const text = '{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"id":"inner","model":"inner"}}]}';
    const out = rewriteIdentity(text, ANSWER)!;
    expect(out.upstreamId).toBe('chatcmpl-1');
    expect(out.text).toBe(text.replace('"chatcmpl-1"', `"${ANSWER.id}"`).replace('"gpt-x"', '"p/m"'));
    expect(JSON.parse(out.text).choices[0].delta).toEqual({ id: 'inner', model: 'inner' });
  });

  it('finds the members in any order and after nested values, with whitespace and escapes in strings', () => {
    const text = '{ "choices" : [ {"text":"a \\"}\\" b"} ] ,\n "model" : "m\\u00e9" , "id":"x\\"y" }';
    const out = rewriteIdentity(text, ANSWER)!;
    expect(out.upstreamId).toBe('x"y');
    expect(JSON.parse(out.text)).toEqual({ choices: [{ text: 'a "}" b' }], model: 'p/m', id: ANSWER.id });
  });

  it('adds nothing the text lacks, and leaves an object without either member as it was', () => {
    expect(rewriteIdentity('{"model":"a","x":1}', ANSWER)).toEqual({ text: '{"model":"p/m","x":1}', upstreamId: null });
    expect(rewriteIdentity('{"error":{"id":"e"}}', ANSWER)).toEqual({ text: '{"error":{"id":"e"}}', upstreamId: null });
    expect(rewriteIdentity('{}', ANSWER)).toEqual({ text: '{}', upstreamId: null });
  });

  it('falls back to parse and serialize where bytes and parser could disagree (a key written twice, a key with an escape)', () => {
    const twice = rewriteIdentity('{"id":"a","id":"b","model":"m"}', ANSWER)!;
    expect(JSON.parse(twice.text)).toEqual({ id: ANSWER.id, model: 'p/m' });
    expect(twice.upstreamId).toBe('b');
    const escaped = rewriteIdentity('{"i\\u0064":"a","model":"m"}', ANSWER)!;
    expect(JSON.parse(escaped.text)).toEqual({ id: ANSWER.id, model: 'p/m' });
    expect(rewriteIdentity('[1,2]', ANSWER)).toBeNull();
    expect(rewriteIdentity('{"id":', ANSWER)).toBeNull();
  });

  it('the upstream id it returns does not keep the whole answer alive', () => {
    // The id outlives the answer (the request log holds it until its batch is written); a
    // substring of the answer's text would hold all of the text with it.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const held: (string | null)[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 8; i++) {
      const text = `{"id":"chatcmpl-${i}-${'a'.repeat(40)}","model":"m","choices":[{"message":{"content":"${'x'.repeat(4_000_000)}"}}]}`;
      held.push(rewriteIdentity(text, ANSWER)!.upstreamId);
    }
    gc();
    expect(held[7]).toBe(`chatcmpl-7-${'a'.repeat(40)}`);
    // Eight answers of 4 MB: all of them kept would be 32 MB (the last one may still be on the stack).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(10_000_000);
  });

  it('rewrites a nested object by its offset (Anthropic message_start)', () => {
    const data = '{"type":"message_start","message":{"id":"msg_1","type":"message","model":"claude","usage":{"input_tokens":1}}}';
    const open = memberValueStart(data, 'message');
    const out = rewriteIdentity(data, ANSWER, open)!;
    expect(out.upstreamId).toBe('msg_1');
    expect(JSON.parse(out.text)).toEqual({ type: 'message_start', message: { id: ANSWER.id, type: 'message', model: 'p/m', usage: { input_tokens: 1 } } });
    expect(memberValueStart(data, 'nope')).toBe(-1);
  });
});

describe('OpenAI pass-through stream with the gateway\'s identity', () => {
  it('splices every chunk, keeps the first upstream id, and rewrites data split over several lines', () => {
    const state = createOpenAIStreamState(false, 'p', ANSWER);
    const chunk = (id: string, content: string): string => `{"id":"${id}","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}`;
    const out = passOpenAIStream(state, `data: ${chunk('c1', 'a')}\n\ndata:${chunk('c1', 'b')}\r\n\r\n`);
    expect(out).toBe(`data: ${chunk(ANSWER.id, 'a').replace('"up"', '"p/m"')}\n\ndata:${chunk(ANSWER.id, 'b').replace('"up"', '"p/m"')}\r\n\r\n`);
    const multi = passOpenAIStream(state, 'data: {"id":"c1",\ndata: "model":"up","choices":[]}\n\n');
    expect(multi).toBe(`data: {"id":"${ANSWER.id}",\n"model":"p/m","choices":[]}\n\n`);
    expect(state.upstreamId).toBe('c1');
  });

  it('reuses the rewritten head only for chunks whose bytes up to id and model are the same', () => {
    const state = createOpenAIStreamState(true, 'p', ANSWER);
    const ev = (head: string, content: string): string => `data: {${head},"choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;
    const out = passOpenAIStream(state, ev('"id":"c1","model":"up"', 'a') + ev('"id":"c1","model":"up"', 'b') + ev('"id":"c2","model":"up2"', 'c') + ev('"id":"c1","model":"up"', 'd')
      + ev('"id":"c1","model":12', 'e') + ev('"id":"c1","model":123', 'f'));
    const chunks = out.split('\n\n').filter((c) => c.length > 0).map((c) => JSON.parse(c.slice(6)) as Record<string, unknown>);
    expect(chunks.map((c) => [c.id, c.model])).toEqual(Array.from({ length: 6 }, () => [ANSWER.id, 'p/m']));
    expect(chunks.map((c) => (c.choices as { delta: { content: string } }[])[0]!.delta.content)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(state.upstreamId).toBe('c1');
  });

  it('a usage chunk the client did not ask for but which carries content is re-serialized with the identity', () => {
    const state = createOpenAIStreamState(false, 'p', ANSWER);
    const out = passOpenAIStream(state, 'data: {"id":"c2","model":"up","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n');
    expect(JSON.parse(out.slice(6))).toEqual({ id: ANSWER.id, model: 'p/m', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] });
    expect(state.upstreamId).toBe('c2');
  });
});
