import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { createOpenAIStreamState, endOpenAIStream, passOpenAIStream } from '../../../src/providers/index.js';

const dir = new URL('../../golden/providers/openai-compatible/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));

/** Runs upstream bytes through the pass-through as the engine does: bytes → utf8 decoder → SSE framing. */
function run(bytes: Buffer, splits: number[], clientWantsUsage: boolean): { out: string; usage: unknown; sawDone: boolean } {
  const state = createOpenAIStreamState(clientWantsUsage);
  const decoder = new StringDecoder('utf8');
  let out = '';
  let from = 0;
  for (const at of [...splits, bytes.length]) {
    out += passOpenAIStream(state, decoder.write(bytes.subarray(from, at)));
    from = at;
  }
  out += passOpenAIStream(state, decoder.end()) + endOpenAIStream(state);
  return { out, usage: state.usage, sawDone: state.sawDone };
}

describe('OpenAI stream pass-through (golden)', () => {
  const upstream = read('stream-with-usage.upstream.sse');

  it('forwards every byte when the client asked for usage, and reads the real usage', () => {
    const r = run(upstream, [], true);
    expect(r.out).toBe(read('stream-with-usage.client-usage.expected.sse').toString('utf8'));
    expect(r.usage).toEqual({ input: 9, output: 4, cacheRead: 2, cacheWrite: 0, reasoning: 1 });
    expect(r.sawDone).toBe(true);
  });

  it('strips the usage chunk and usage:null fields when the client did not ask, still reading usage', () => {
    const r = run(upstream, [], false);
    expect(r.out).toBe(read('stream-with-usage.no-client-usage.expected.sse').toString('utf8'));
    expect(r.usage).toEqual({ input: 9, output: 4, cacheRead: 2, cacheWrite: 0, reasoning: 1 });
  });

  it('gives the same output for every split point, including inside multi-byte characters', () => {
    const expected = read('stream-with-usage.no-client-usage.expected.sse').toString('utf8');
    for (let at = 1; at < upstream.length; at++) {
      expect(run(upstream, [at], false).out).toBe(expected);
    }
    // Byte-at-a-time, the worst framing an upstream can produce.
    expect(run(upstream, Array.from({ length: upstream.length - 1 }, (_, i) => i + 1), false).out).toBe(expected);
  });

  it('handles CRLF framing and an upstream that ends without the final blank line', () => {
    const bytes = read('crlf-unterminated.upstream.sse');
    for (const splits of [[], [bytes.indexOf('\r') + 1], Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)]) {
      const r = run(bytes, splits, false);
      expect(r.sawDone).toBe(true);
      expect(r.out.replace(/\r/g, '')).toBe(bytes.toString('utf8').replace(/\r/g, ''));
    }
  });

  it('passes an error event mid-stream through unchanged; a stream that then ends unfinished fails with that error, relayed', () => {
    const text = 'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
      + 'data: {"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}\n\n';
    const state = createOpenAIStreamState(false);
    const out = passOpenAIStream(state, text.slice(0, 30)) + passOpenAIStream(state, text.slice(30, 70)) + passOpenAIStream(state, text.slice(70));
    expect(out).toBe(text);
    expect(state.sawDone).toBe(false);
    expect(() => endOpenAIStream(state)).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_STATUS', message: 'overloaded', relayed: true }));
    // Without an error event, a stream that ends unfinished was cut short.
    const cut = createOpenAIStreamState(false);
    passOpenAIStream(cut, text.slice(0, 58));
    expect(() => endOpenAIStream(cut)).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
  });

  it('reads the error, finish and usage members however the upstream spaces them, and never from text inside a string', () => {
    const spaced = 'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
      + 'data: {"error" :\t {"message":"overloaded","type":"server_error","param":null,"code":null}}\n\n';
    const state = createOpenAIStreamState(false);
    passOpenAIStream(state, spaced);
    expect(() => endOpenAIStream(state)).toThrow(expect.objectContaining({ message: 'overloaded', relayed: true }));
    // A model that writes these words in its answer neither ends nor fails the stream.
    const quoted = 'data: {"choices":[{"index":0,"delta":{"content":"{\\"finish_reason\\": \\"stop\\", \\"error\\": {}}"}}]}\n\n';
    const text = createOpenAIStreamState(false);
    expect(passOpenAIStream(text, quoted)).toBe(quoted);
    expect(text.sawFinish).toBe(false);
    expect(() => endOpenAIStream(text)).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
    const usage = createOpenAIStreamState(true);
    passOpenAIStream(usage, 'data: {"choices":[{"index":0,"delta":{},"finish_reason" : "stop"}],"usage" : {"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}\n\n');
    expect(usage.sawFinish).toBe(true);
    expect(usage.usage).toMatchObject({ input: 3, output: 4 });
  });
});
