import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cohereAdapter } from '../../../../src/providers/cohere/index.js';
import { testContext } from '../../../helpers/translate-context.js';
import { chatAnswer, runOpenAIClient } from '../parts-harness.js';

const dir = new URL('../../../golden/providers/cohere/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));
const text = (name: string): string => read(name).toString('utf8');
const ctx = (clientWantsUsage = false) => testContext('cohere', { model: 'command-a-03-2025', clientWantsUsage, baseUrl: 'https://api.cohere.com/v2' });

/** Recorded upstream bytes through decoder and translator, as the engine runs them, cut at `splits`. */
function run(bytes: Buffer, splits: number[], clientWantsUsage = false): { out: string; error: { code: string; message: string } | null; t: { usage: unknown } } {
  const c = ctx(clientWantsUsage);
  const r = runOpenAIClient(cohereAdapter.chatStream(c), c, bytes, splits);
  return { out: r.out, error: r.error as { code: string; message: string } | null, t: { usage: r.usage } };
}

const everyByte = (b: Buffer): number[] => Array.from({ length: b.length - 1 }, (_, i) => i + 1);

describe('Cohere v2 stream → OpenAI chunks (golden)', () => {
  it('translates thinking and multi-byte text (comments and citation events ignored), with and without the usage chunk', () => {
    const upstream = read('text.upstream.sse');
    const withUsage = run(upstream, [], true);
    expect(withUsage.out).toBe(text('text.client-usage.expected.sse'));
    expect(withUsage.t.usage).toEqual({ input: 21, output: 105, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    expect(run(upstream, []).out).toBe(text('text.no-client-usage.expected.sse'));
  });

  it('gives the same output for every split point and byte by byte', () => {
    const upstream = read('text.upstream.sse');
    const expected = text('text.no-client-usage.expected.sse');
    for (let at = 1; at < upstream.length; at++) expect(run(upstream, [at]).out).toBe(expected);
    expect(run(upstream, everyByte(upstream)).out).toBe(expected);
  });

  it('reads the NDJSON form of the same stream (what Cohere sends to JSON-accepting clients) identically', () => {
    const upstream = read('text.upstream.ndjson');
    const expected = text('text.no-client-usage.expected.sse');
    expect(run(upstream, []).out).toBe(expected);
    expect(run(upstream, everyByte(upstream)).out).toBe(expected);
  });

  it('streams the tool plan as content and tool calls with streamed arguments', () => {
    const upstream = read('tools.upstream.sse');
    for (const splits of [[], everyByte(upstream)]) {
      const r = run(upstream, splits);
      expect(r.out).toBe(text('tools.expected.sse'));
      expect(r.t.usage).toEqual({ input: 37, output: 28, cacheRead: 0, cacheWrite: 0, reasoning: 0 });
    }
  });

  it('handles CRLF framing and a last event without its blank line; MAX_TOKENS is "length"', () => {
    const upstream = read('length-crlf-unterminated.upstream.sse');
    for (const splits of [[], [upstream.indexOf('\r') + 1], everyByte(upstream)]) {
      const r = run(upstream, splits);
      expect(r.error).toBeNull();
      expect(r.out).toBe(text('length-crlf-unterminated.expected.sse'));
    }
  });

  it('ends with the upstream error after the text that came before it, when message-end says ERROR', () => {
    const upstream = read('error-mid-stream.upstream.sse');
    for (const splits of [[], everyByte(upstream)]) {
      const r = run(upstream, splits);
      expect(r.out).toBe(text('error-mid-stream.expected.sse'));
      expect(r.error?.code).toBe('LR_ERR_UPSTREAM_STATUS');
      expect(r.error?.message).toBe('provider "p" reported an error: internal server error during generation');
      expect(r.t.usage).toBeNull();
    }
  });

  it('fails a stream cut before message-end, and a TIMEOUT ending, instead of inventing a stop', () => {
    const cut = run(read('cut.upstream.sse'), []);
    expect(cut.out).not.toContain('[DONE]');
    expect(cut.error?.code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
    const timeout = run(Buffer.from('{"type":"message-end","delta":{"finish_reason":"TIMEOUT"}}\n'), []);
    expect(timeout.out).toBe('');
    expect(timeout.error?.code).toBe('LR_ERR_UPSTREAM_TIMEOUT');
  });

  it('fails on an event that is not JSON', () => {
    expect(run(Buffer.from('event: content-delta\ndata: {oops\n\n'), []).error?.code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
  });
});

describe('Cohere non-streamed answers and requests (golden)', () => {
  it('translates a tool-call answer: plan as content, thinking as reasoning_content, billed and cached usage', () => {
    const r = chatAnswer(cohereAdapter, text('chat-response.json'), ctx());
    expect(JSON.parse(r.body)).toEqual(JSON.parse(text('chat-response.expected.json')));
    expect(r.usage).toEqual({ input: 17, output: 12, cacheRead: 8, cacheWrite: 0, reasoning: 0 });
  });

  it('builds the native request from a full OpenAI request', () => {
    const req = cohereAdapter.request('chat', text('request.json'), ctx());
    expect(req).toMatchObject({ method: 'POST', path: '/chat', streams: true });
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', accept: 'text/event-stream' });
    expect(JSON.parse(req.body!)).toEqual(JSON.parse(text('request.cohere.expected.json')));
  });
});
