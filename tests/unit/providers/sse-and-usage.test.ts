import { describe, expect, it } from 'vitest';
import { createSseState, endSse, extractUsage, feedSse, mapStatusError, type SseEvent } from '../../../src/providers/index.js';

function events(chunks: string[]): SseEvent[] {
  const state = createSseState();
  const out: SseEvent[] = [];
  for (const c of chunks) feedSse(state, c, (e) => out.push(e));
  endSse(state, (e) => out.push(e));
  return out;
}

describe('feedSse', () => {
  it('joins multi-line data, reads event names, keeps comments as data-less events', () => {
    const evs = events(['event: message_start\ndata: {"a":\ndata: 1}\n\n: ping\n\ndata:x\n\n']);
    expect(evs.map((e) => [e.event, e.data])).toEqual([['message_start', '{"a":\n1}'], [null, null], [null, 'x']]);
    expect(evs[0]!.raw).toBe('event: message_start\ndata: {"a":\ndata: 1}\n\n');
  });

  it('waits on a lone trailing \\r that may be half of \\r\\n', () => {
    expect(events(['data: a\r', '\n\r\n']).map((e) => e.data)).toEqual(['a']);
    expect(events(['data: a\r\rdata: b\r\r']).map((e) => e.data)).toEqual(['a', 'b']);
  });

  it('skips runs of blank lines between events', () => {
    expect(events(['\n\n\ndata: a\n\n\n\n']).map((e) => e.data)).toEqual(['a']);
  });
});

describe('extractUsage', () => {
  it('reads the usage object, including cached and reasoning details', () => {
    const body = JSON.stringify({ id: 'x', choices: [{ message: { content: 'the word "usage" {in} text' } }], usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11, prompt_tokens_details: { cached_tokens: 1 }, completion_tokens_details: { reasoning_tokens: 2 } } });
    expect(extractUsage(body)).toEqual({ input: 5, output: 6, cacheRead: 1, cacheWrite: 0, reasoning: 2 });
  });

  it('returns null without usage and survives garbage', () => {
    expect(extractUsage('{"id":"x"}')).toBeNull();
    expect(extractUsage('not json "usage": {')).toBeNull();
    expect(extractUsage('{"usage":null}')).toBeNull();
  });
});

describe('mapStatusError', () => {
  it('passes an OpenAI-shaped 4xx body through and wraps anything else', () => {
    const body = '{"error":{"message":"bad","type":"invalid_request_error","param":"x","code":null}}';
    expect(mapStatusError('p', 400, body)).toEqual({ status: 400, body, detail: { message: 'bad', type: 'invalid_request_error', param: 'x', code: null } });
    const wrapped = mapStatusError('p', 404, '<html>nope</html>') as { status: number; body: string };
    expect(wrapped.status).toBe(404);
    expect(JSON.parse(wrapped.body).error.message).toBe('<html>nope</html>');
  });

  it('turns 5xx into a coded 502 naming the provider', () => {
    expect(mapStatusError('groq', 503, '{"error":{"message":"overloaded"}}')).toMatchObject({ code: 'LR_ERR_UPSTREAM_STATUS', status: 502, message: 'provider "groq" returned 503: overloaded' });
  });
});
