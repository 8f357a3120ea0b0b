import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ollamaAdapter } from '../../../../src/providers/ollama/index.js';
import { testContext } from '../../../helpers/translate-context.js';
import { chatAnswer, runOpenAIClient } from '../parts-harness.js';

const dir = new URL('../../../golden/providers/ollama/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));
const text = (name: string): string => read(name).toString('utf8');

/**
 * Runs recorded upstream bytes as the engine does (bytes → utf8 decoder → translator), cut at the
 * given offsets. Returns what reached the client and the error that ended the stream, if any.
 */
function run(bytes: Buffer, splits: number[], clientWantsUsage = false): { out: string; error: { code: string; message: string } | null; t: { usage: unknown } } {
  const c = testContext('ollama', { model: 'fallback-model', clientWantsUsage });
  const r = runOpenAIClient(ollamaAdapter.chatStream(c), c, bytes, splits);
  return { out: r.out, error: r.error as { code: string; message: string } | null, t: { usage: r.usage } };
}

const everyByte = (b: Buffer): number[] => Array.from({ length: b.length - 1 }, (_, i) => i + 1);

describe('Ollama NDJSON stream → OpenAI chunks (golden)', () => {
  it('translates thinking and multi-byte text, with and without the client usage chunk', () => {
    const upstream = read('text.upstream.ndjson');
    const withUsage = run(upstream, [], true);
    expect(withUsage.out).toBe(text('text.client-usage.expected.sse'));
    expect(withUsage.t.usage).toEqual({ input: 26, output: 259, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    const without = run(upstream, [], false);
    expect(without.out).toBe(text('text.no-client-usage.expected.sse'));
    expect(without.t.usage).toEqual({ input: 26, output: 259, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('gives the same output for every split point (inside lines and inside multi-byte characters) and byte by byte', () => {
    const upstream = read('text.upstream.ndjson');
    const expected = text('text.no-client-usage.expected.sse');
    for (let at = 1; at < upstream.length; at++) expect(run(upstream, [at]).out).toBe(expected);
    expect(run(upstream, everyByte(upstream)).out).toBe(expected);
  });

  it('turns whole tool calls into indexed OpenAI tool-call deltas with JSON-string arguments', () => {
    const upstream = read('tools.upstream.ndjson');
    const expected = text('tools.expected.sse');
    expect(run(upstream, []).out).toBe(expected);
    expect(run(upstream, everyByte(upstream)).out).toBe(expected);
  });

  it('reads CRLF lines, skips blank lines, and takes a final line that has no line break', () => {
    const upstream = read('crlf-unterminated.upstream.ndjson');
    const expected = text('crlf-unterminated.expected.sse');
    for (const splits of [[], [upstream.indexOf('\r') + 1], everyByte(upstream)]) {
      const r = run(upstream, splits);
      expect(r.error).toBeNull();
      expect(r.out).toBe(expected);
      expect(r.t.usage).toEqual({ input: 5, output: 2, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    }
  });

  it('ends with the upstream error after forwarding the text that came before it', () => {
    const upstream = read('error-mid-stream.upstream.ndjson');
    for (const splits of [[], everyByte(upstream)]) {
      const r = run(upstream, splits);
      expect(r.out).toBe(text('error-mid-stream.expected.sse'));
      expect(r.error?.code).toBe('LR_ERR_UPSTREAM_STATUS');
      expect(r.error?.message).toBe('provider "p" reported an error: an error was encountered while running the model');
    }
  });

  it('fails a stream that ends before the final done line instead of inventing a stop', () => {
    const r = run(read('cut.upstream.ndjson'), []);
    expect(r.out).toContain('"content":" th"');
    expect(r.out).not.toContain('finish_reason":"');
    expect(r.out).not.toContain('[DONE]');
    expect(r.error?.code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
  });

  it('fails on a line that is not JSON, and on an error as the very first line without sending anything', () => {
    expect(run(Buffer.from('not json\n'), []).error?.code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
    const first = run(Buffer.from('{"error":"model is loading"}\n'), []);
    expect(first.out).toBe('');
    expect(first.error?.message).toMatch(/model is loading/);
  });
});

describe('Ollama non-streamed answers and requests (golden)', () => {
  it('translates a chat answer with thinking and object arguments', () => {
    const r = chatAnswer(ollamaAdapter, text('chat-response.json'), testContext('ollama', { model: 'qwen3' }));
    expect(JSON.parse(r.body)).toEqual(JSON.parse(text('chat-response.expected.json')));
    expect(r.usage).toEqual({ input: 11, output: 18, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
  });

  it('builds the native request from a full OpenAI request', () => {
    const req = ollamaAdapter.request('chat', text('request.json'), testContext('ollama', { model: 'llama3.2' }));
    expect(req).toMatchObject({ method: 'POST', path: '/api/chat', streams: true });
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/x-ndjson' });
    expect(JSON.parse(req.body!)).toEqual(JSON.parse(text('request.ollama.expected.json')));
  });
});
