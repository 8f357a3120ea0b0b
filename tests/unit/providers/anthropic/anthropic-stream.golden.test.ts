import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../../src/model/index.js';
import type { TranslateContext } from '../../../../src/providers/index.js';
import { anthropicAdapter, anthropicDialect, createAnthropicPassStream } from '../../../../src/providers/anthropic/index.js';
import { validateMessagesRequest } from '../../../helpers/mock-anthropic-validate.js';
import { chatAnswer, runOpenAIClient } from '../parts-harness.js';
import { dialectContext, openAIUpstream } from '../responses/dialect-context.js';

const dir = new URL('../../../golden/providers/anthropic/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));
const text = (name: string): string => read(name).toString('utf8');

function ctx(clientWantsUsage: boolean, stream = true): TranslateContext {
  return {
    provider: { name: 'claude', type: 'anthropic', prices: {}, protocol: 'anthropic', baseUrl: 'https://api.anthropic.com/v1', apiKey: 'sk-ant-golden', headers: { 'anthropic-beta': 'fine-grained-tool-streaming-2025-05-14' }, connectTimeoutMs: 1, maxConnections: 16, firstByteTimeoutMs: 1, idleTimeoutMs: 1 },
    model: 'claude-sonnet-4-5-20250929', stream, clientWantsUsage, now: () => 1_700_000_000_000, newId: (p) => `${p}golden`,
  };
}

interface Run { out: string; usage: unknown; error: { code?: string; status?: number; message?: string } | null }

/** Upstream bytes through the adapter and the OpenAI chunk encoder, as an OpenAI-chat client gets them, at the given splits. */
function run(bytes: Buffer, splits: number[], clientWantsUsage: boolean): Run {
  const c = ctx(clientWantsUsage);
  return runOpenAIClient(anthropicAdapter.chatStream(c), c, bytes, splits);
}

const everySplit = (bytes: Buffer): number[][] => [
  ...Array.from({ length: bytes.length - 1 }, (_, i) => [i + 1]),
  Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
];

describe('Anthropic → OpenAI stream translation (golden)', () => {
  const upstream = read('thinking-text-tool.upstream.sse');
  const withUsage = text('thinking-text-tool.client-usage.expected.sse');
  const withoutUsage = text('thinking-text-tool.no-client-usage.expected.sse');

  it('translates thinking, signature, text, tool input and usage; the usage chunk only when asked', () => {
    const a = run(upstream, [], true);
    expect(a.error).toBeNull();
    expect(a.out).toBe(withUsage);
    // input = Anthropic's input_tokens + cache read + cache write; the cache write is kept apart for its price
    expect(a.usage).toEqual({ input: 46, output: 87, cacheRead: 30, cacheWrite: 4, reasoning: 21 });
    const b = run(upstream, [], false);
    expect(b.out).toBe(withoutUsage);
    expect(b.usage).toEqual({ input: 46, output: 87, cacheRead: 30, cacheWrite: 4, reasoning: 21 });
    expect(b.out).not.toContain('"usage"');
  });

  it('gives the same output for every split point, inside multi-byte characters, and byte by byte', () => {
    for (const splits of everySplit(upstream)) expect(run(upstream, splits, false).out).toBe(withoutUsage);
  });

  it('handles CRLF framing', () => {
    const crlf = Buffer.from(text('thinking-text-tool.upstream.sse').replace(/\n/g, '\r\n'));
    for (const splits of [[], [crlf.indexOf('\r') + 1], Array.from({ length: crlf.length - 1 }, (_, i) => i + 1)]) {
      expect(run(crlf, splits, true).out).toBe(withUsage);
    }
  });

  it('finishes an upstream that ends after message_delta without message_stop', () => {
    const bytes = read('no-message-stop.upstream.sse');
    for (const splits of [[], [bytes.length - 5]]) {
      const r = run(bytes, splits, true);
      expect(r.error).toBeNull();
      expect(r.out).toBe(withUsage);
    }
  });

  it('fails an upstream cut before it said why it stopped, after forwarding what came', () => {
    const bytes = read('truncated.upstream.sse');
    const expectedPrefix = withoutUsage.slice(0, withoutUsage.indexOf('data: {"id":"msg_01Golden","object":"chat.completion.chunk","created":1700000000,"model":"claude-sonnet-4-5-20250929","choices":[{"index":0,"delta":{"tool_calls"'));
    for (const splits of everySplit(bytes)) {
      const r = run(bytes, splits, false);
      expect(r.out).toBe(expectedPrefix);
      expect(r.error?.code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
      expect(r.error?.message).toMatch(/before message_stop/);
    }
  });

  it('forwards the output before an error event, then fails with an overloaded 503', () => {
    const bytes = read('midstream-error.upstream.sse');
    const firstText = withoutUsage.indexOf('"content":"Grüße aus "');
    const expectedPrefix = withoutUsage.slice(0, withoutUsage.indexOf('data: ', firstText));
    for (const splits of everySplit(bytes)) {
      const r = run(bytes, splits, false);
      expect(r.out).toBe(expectedPrefix);
      expect(r.error).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', status: 503 });
      expect(r.error?.message).toBe('provider "claude" is overloaded (overloaded_error): Overloaded');
    }
  });

  it('ignores pings, comments and unknown event types, and rejects events that are not JSON', () => {
    const start = text('thinking-text-tool.upstream.sse').split('\n\n').slice(0, 1).join('\n\n') + '\n\n';
    const t = anthropicAdapter.chatStream(ctx(false));
    expect(t.feed(start + 'event: ping\ndata: {"type":"ping"}\n\n: hi\n\nevent: future_event\ndata: {"type":"future_event","x":1}\n\n'))
      .toEqual([{ type: 'response-start', id: 'msg_01Golden', model: 'claude-sonnet-4-5-20250929', created: 1700000000 }]);
    expect(() => t.feed('event: content_block_delta\ndata: {not json\n\n')).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
  });
});

describe('OpenAI → Anthropic request translation (golden)', () => {
  it('builds the upstream request: path, headers, system, merged turns, thinking, tools, format', () => {
    const req = anthropicAdapter.request('chat', text('chat-request.openai.json'), ctx(true));
    const expected = JSON.parse(text('chat-request.anthropic.expected.json'));
    expect({ method: req.method, path: req.path, headers: req.headers, streams: req.streams, body: JSON.parse(req.body!) }).toEqual(expected);
    // And the mock, which checks requests like the real API, accepts it.
    expect(validateMessagesRequest(expected.body)).toBeNull();
  });

  it('translates a non-streamed message: text joined, tool calls, thinking blocks, usage', () => {
    const res = chatAnswer(anthropicAdapter, text('message.upstream.json'), ctx(false, false));
    expect(JSON.parse(res.body)).toEqual(JSON.parse(text('message.expected.json')));
    expect(res.usage).toEqual({ input: 3895, output: 503, cacheRead: 1800, cacheWrite: 0, reasoning: 320 });
  });
});

describe('parts → Anthropic stream (golden, the Anthropic-compatible ingress)', () => {
  const parts = JSON.parse(text('thinking-text-tool.parts.json')) as StreamPart[];
  const expected = text('thinking-text-tool.anthropic-client.expected.sse');
  const clientCtx = (): TranslateContext => ({ ...dialectContext({ clientWantsUsage: true }), model: 'claude/claude-sonnet-4-5', newId: (p) => `${p}golden` });

  it('rebuilds the Anthropic event sequence (indices, signature, tool input, usage) from parts', () => {
    const enc = anthropicDialect.encodeStream(clientCtx(), () => null);
    expect(parts.map((p) => enc.part(p)).join('') + enc.end()).toBe(expected);
  });

  it('an OpenAI upstream carrying LiteLLM thinking_blocks gives the same events through the pipeline, for every split point', () => {
    const upstream = read('thinking-text-tool.client-usage.expected.sse');
    for (const splits of [[], ...everySplit(upstream)]) {
      const s = openAIUpstream(anthropicDialect, clientCtx()).stream();
      const decoder = new StringDecoder('utf8');
      let out = '';
      let from = 0;
      for (const at of [...splits, upstream.length]) {
        out += s.feed(decoder.write(upstream.subarray(from, at)));
        from = at;
      }
      expect(out + s.feed(decoder.end()) + s.end()).toBe(expected);
    }
  });
});

describe('Anthropic upstream → Anthropic client: byte pass-through with the exact usage', () => {
  const upstream = read('thinking-text-tool.upstream.sse');
  const pass = (bytes: Buffer, splits: number[]): { out: string; usage: unknown; error: { code?: string; message?: string; status?: number } | null } => {
    const s = createAnthropicPassStream(ctx(true));
    const decoder = new StringDecoder('utf8');
    let out = '';
    let from = 0;
    try {
      for (const at of [...splits, bytes.length]) {
        out += s.feed(decoder.write(bytes.subarray(from, at)));
        from = at;
      }
      out += s.feed(decoder.end()) + s.end();
    } catch (err) {
      return { out, usage: s.usage, error: err as { code: string } };
    }
    return { out, usage: s.usage, error: null };
  };

  it('relays every byte, for every split point, and reads input, cache and output usage from message_start and message_delta', () => {
    for (const splits of [[], ...everySplit(upstream)]) {
      const r = pass(upstream, splits);
      expect(r.error).toBeNull();
      expect(r.out).toBe(upstream.toString('utf8'));
      expect(r.usage).toEqual({ input: 46, output: 87, cacheRead: 30, cacheWrite: 4, reasoning: 21 });
    }
  });

  it('message_start reaches the client with the real input and cache usage', () => {
    const first = pass(upstream, []).out.split('\n\n')[0]!;
    expect(JSON.parse(first.split('\n')[1]!.slice(6)).message.usage).toMatchObject({ input_tokens: 12, cache_read_input_tokens: 30, cache_creation_input_tokens: 4 });
  });

  it('adds message_stop to a stream that ended after its stop reason, terminating the last event', () => {
    const bytes = read('no-message-stop.upstream.sse');
    const r = pass(bytes, [bytes.length - 5]);
    expect(r.error).toBeNull();
    expect(r.out.endsWith('event: message_stop\ndata: {"type":"message_stop"}\n\n')).toBe(true);
    expect(r.out.startsWith(bytes.toString('utf8').trimEnd())).toBe(true);
  });

  it('fails a stream cut before its stop reason, and one with an error event after relaying what came before', () => {
    expect(pass(read('truncated.upstream.sse'), []).error).toMatchObject({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE', message: expect.stringMatching(/before message_stop/) });
    const bytes = read('midstream-error.upstream.sse');
    const r = pass(bytes, []);
    expect(r.error).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', status: 503 });
    expect(r.out).toBe(bytes.toString('utf8').slice(0, bytes.toString('utf8').indexOf('event: error')));
  });

  it('refuses events that are not JSON and content before message_start', () => {
    expect(pass(Buffer.from('event: content_block_delta\ndata: {not json\n\n'), []).error?.code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
    expect(pass(Buffer.from('event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'), []).error?.message)
      .toMatch(/before message_start/);
  });

  it('an event nested 200,000 deep is read for its usage without recursing into it, and passed on as it came', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const start = `event: message_start\ndata: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":7,"x":${deep}}}}\n\n`;
    const r = pass(Buffer.from(start), []);
    // Cut before its stop reason: the stream fails with a coded error, not a stack overflow.
    expect(r.error?.code).toBe('LR_ERR_UPSTREAM_BAD_RESPONSE');
    expect(r.out).toBe(start);
    expect(r.usage).toMatchObject({ input: 7 });
  });
});
