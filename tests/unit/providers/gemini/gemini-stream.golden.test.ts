import { describe, expect, it } from 'vitest';
import { createGeminiPartStream } from '../../../../src/providers/gemini/index.js';
import { everyByte, readGolden, runStream, testContext } from './golden-helpers.js';

const expected = (name: string) => readGolden(name).toString('utf8');
const code = (err: Error | null) => (err as { code?: string } | null)?.code;

describe('Gemini stream translator (golden)', () => {
  const text = readGolden('text-thought-usage.upstream.sse');

  it('translates thoughts, text and the finish; usage chunk only when the client asked', () => {
    const plain = runStream(text, [], false);
    expect(plain.error).toBeNull();
    expect(plain.out).toBe(expected('text-thought-usage.no-client-usage.expected.sse'));
    // completion = candidates 6 + thoughts 4; cached 4; reasoning 4.
    expect(plain.usage).toEqual({ input: 9, output: 10, cacheRead: 4, cacheWrite: 0, reasoning: 4 });
    const withUsage = runStream(text, [], true);
    expect(withUsage.out).toBe(expected('text-thought-usage.client-usage.expected.sse'));
    expect(withUsage.usage).toEqual({ input: 9, output: 10, cacheRead: 4, cacheWrite: 0, reasoning: 4 });
  });

  it('gives the same output for a split at every byte (inside CRLFs and multi-byte characters)', () => {
    const want = expected('text-thought-usage.client-usage.expected.sse');
    for (let at = 1; at < text.length; at++) expect(runStream(text, [at], true).out).toBe(want);
    expect(runStream(text, everyByte(text.length), true).out).toBe(want);
    // Three-way splits through the 4-byte emoji and the 3-byte CJK characters.
    const emoji = text.indexOf(Buffer.from('😀'));
    const cjk = text.indexOf(Buffer.from('日本'));
    for (let a = cjk; a < cjk + 6; a++) for (let b = emoji; b < emoji + 4; b++) expect(runStream(text, [a, b], true).out).toBe(want);
  });

  it('translates parallel function calls into indexed tool_calls deltas with fresh ids and signatures', () => {
    const bytes = readGolden('parallel-tool-calls.upstream.sse');
    const want = expected('parallel-tool-calls.expected.sse');
    const r = runStream(bytes, [], false);
    expect(r.error).toBeNull();
    expect(r.out).toBe(want);
    expect(r.usage).toEqual({ input: 30, output: 12, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    expect(runStream(bytes, everyByte(bytes.length), false).out).toBe(want);
  });

  it('an error object mid-stream: every chunk before it goes out, then the stream fails with the upstream message', () => {
    const bytes = readGolden('error-mid-stream.upstream.sse');
    const want = expected('error-mid-stream.expected.sse');
    for (const splits of [[], everyByte(bytes.length), [bytes.indexOf('{"error"') + 3]]) {
      const r = runStream(bytes, splits, false);
      expect(r.out).toBe(want);
      expect(code(r.error)).toBe('LR_ERR_UPSTREAM_STATUS');
      expect(r.error!.message).toBe('provider "gem" failed mid-stream (503 UNAVAILABLE): The model is overloaded. Please try again later.');
    }
    expect(want).not.toContain('[DONE]');
  });

  it('an error object before any output fails at once, keeping a 4xx status (nothing reached the client yet)', () => {
    const r = runStream(Buffer.from('data: {"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}\r\n\r\n'), [], false);
    expect(r.out).toBe('');
    expect(r.error).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', status: 429 });
  });

  it('an upstream that ends in the middle of an event fails after the complete events', () => {
    const bytes = readGolden('abrupt-end.upstream.sse');
    for (const splits of [[], everyByte(bytes.length)]) {
      const r = runStream(bytes, splits, false);
      expect(r.out).toBe(expected('abrupt-end.expected.sse'));
      expect(code(r.error)).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
      expect(r.error!.message).toMatch(/in the middle of an event/);
    }
  });

  it('an upstream that ends between events but before a finish reason fails too (no [DONE])', () => {
    const cut = text.subarray(0, text.lastIndexOf(Buffer.from('data: ')));
    const r = runStream(cut, [], false);
    expect(r.out).toBe(expected('text-thought-usage.no-client-usage.expected.sse').split('data: ').slice(0, -2).join('data: '));
    expect(r.error!.message).toMatch(/before the answer was finished/);
    const empty = runStream(Buffer.alloc(0), [], false);
    expect(code(empty.error)).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('ignores SSE comments and fields other than data, and LF-only framing', () => {
    const lf = text.toString('utf8').replace(/\r\n/g, '\n').replace(/^data: /, ': keep-alive\nevent: message\ndata: ');
    expect(runStream(Buffer.from(lf), [], false).out).toBe(expected('text-thought-usage.no-client-usage.expected.sse'));
  });

  it('a blocked prompt becomes a content_filter finish', () => {
    const body = 'data: {"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"responseId":"b1"}\r\n\r\n';
    const r = runStream(Buffer.from(body), [], false);
    expect(r.error).toBeNull();
    const chunks = r.out.trim().split('\n\n');
    expect(JSON.parse(chunks[0]!.slice(6)).choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
    expect(JSON.parse(chunks[1]!.slice(6)).choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'content_filter' }]);
    expect(chunks[2]).toBe('data: [DONE]');
  });

  it('keeps several candidates apart by index; each ends with its own finish', () => {
    const ev = (o: object) => `data: ${JSON.stringify(o)}\r\n\r\n`;
    const body = ev({ candidates: [{ index: 0, content: { parts: [{ text: 'A' }] } }, { index: 1, content: { parts: [{ text: 'B' }] } }] })
      + ev({ candidates: [{ index: 0, content: { parts: [{ text: 'a' }] }, finishReason: 'STOP' }, { index: 1, content: { parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS' }] });
    const r = runStream(Buffer.from(body), [], false);
    expect(r.error).toBeNull();
    const chunks = r.out.trim().split('\n\n').filter((c) => c !== 'data: [DONE]').map((c) => JSON.parse(c.slice(6)).choices[0]);
    const byIndex = (i: number) => chunks.filter((c) => c.index === i);
    expect(byIndex(0).map((c) => c.delta.content ?? '').join('')).toBe('Aa');
    expect(byIndex(1).map((c) => c.delta.content ?? '').join('')).toBe('Bb');
    expect(byIndex(0).at(-1).finish_reason).toBe('stop');
    expect(byIndex(1).at(-1).finish_reason).toBe('length');
  });

  it('a failed generation (MALFORMED_FUNCTION_CALL) ends the stream with an error', () => {
    const body = 'data: {"candidates":[{"content":{"parts":[{"text":"x"}]},"finishReason":"MALFORMED_FUNCTION_CALL","finishMessage":"bad args"}]}\r\n\r\n';
    const r = runStream(Buffer.from(body), [], false);
    expect(code(r.error)).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
    expect(r.error!.message).toMatch(/MALFORMED_FUNCTION_CALL: bad args/);
  });

  it('finishes when the body ends, with the last of the running usage counts; never for a failed stream', () => {
    const t = createGeminiPartStream(testContext('gemini-2.5-flash', true));
    expect(t.feed(text.toString('utf8')).some((p) => p.type === 'finish')).toBe(false);
    expect(t.end()).toEqual([{ type: 'finish', reason: 'stop', usage: { input: 9, output: 10, cacheRead: 4, cacheWrite: 0, reasoning: 4 } }]);
    expect(runStream(readGolden('error-mid-stream.upstream.sse'), [], true).usage).toBeNull();
  });

  it('is pure: two translators over the same input give the same parts', () => {
    const a = createGeminiPartStream(testContext());
    const b = createGeminiPartStream(testContext());
    const s = text.toString('utf8');
    expect([...a.feed(s), ...a.end()]).toEqual([...b.feed(s), ...b.end()]);
  });
});
