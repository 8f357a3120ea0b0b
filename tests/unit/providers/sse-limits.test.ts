import { describe, expect, it } from 'vitest';
import { createOpenAIStreamState, createSseState, endOpenAIStream, feedSse, passOpenAIStream, type SseEvent } from '../../../src/providers/index.js';

function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

describe('SSE framing under hostile streams', () => {
  it('an 8 MiB event arriving in 64 KiB chunks is delivered whole, once', () => {
    const payload = 'x'.repeat(8 * 1024 * 1024);
    const events: SseEvent[] = [];
    const state = createSseState();
    for (const c of chunks(`data: ${payload}\n\ndata: next\n\n`, 64 * 1024)) feedSse(state, c, (ev) => events.push(ev));
    expect(events.map((e) => e.data?.length)).toEqual([payload.length, 4]);
    expect(events[0]!.raw).toBe(`data: ${payload}\n\n`);
  });

  it('a line that never ends is refused past 16 MiB instead of growing without bound', () => {
    const state = createSseState();
    const piece = 'y'.repeat(1024 * 1024);
    expect(() => {
      feedSse(state, 'data: ', () => {});
      for (let i = 0; i < 20; i++) feedSse(state, piece, () => {});
    }).toThrow(/larger than 16 MiB/);
  });

  it('an event of many short lines is bounded the same way', () => {
    const state = createSseState();
    const lines = 'data: z\n'.repeat(128 * 1024);
    expect(() => { for (let i = 0; i < 40; i++) feedSse(state, lines, () => {}); }).toThrow(/larger than 16 MiB/);
  });
});

describe('OpenAI pass-through refuses garbage events', () => {
  it.each(['{not json at all', '\u0000\u0001\u0002', '[[[[', '{"choices":[{"delta":{"content":"x"}'])('%j ends the stream with an error', (garbage) => {
    const state = createOpenAIStreamState(false, 'p');
    const ok = passOpenAIStream(state, 'data: {"id":"1","choices":[{"index":0,"delta":{"content":"a"}}]}\n\n');
    expect(ok).toContain('"content":"a"');
    expect(() => passOpenAIStream(state, `data: ${garbage}\n\n`)).toThrow(/not a JSON object/);
  });

  it('well-formed events, comments and [DONE] still pass byte for byte', () => {
    const state = createOpenAIStreamState(true, 'p');
    const stream = ': keep-alive\n\ndata: {"id":"1","choices":[{"index":0,"delta":{"content":"a\\"}"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
    expect(passOpenAIStream(state, stream) + endOpenAIStream(state)).toBe(stream);
  });
});
