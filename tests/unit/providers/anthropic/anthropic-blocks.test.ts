import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../../src/model/index.js';
import { createAnthropicPartEncoder } from '../../../../src/providers/anthropic/index.js';

/** The content-block events of an Anthropic Messages stream, in order. */
function blockEvents(sse: string): { type: string; index: number }[] {
  return sse.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)) as { type: string; index: number })
    .filter((e) => e.type === 'content_block_start' || e.type === 'content_block_stop');
}

describe('Anthropic client stream: one content block open at a time', () => {
  it('closes each tool_use block before the next opens (parallel calls, streamed one after another)', () => {
    const enc = createAnthropicPartEncoder({ model: 'm', newId: (p) => `${p}x` });
    const parts: StreamPart[] = [
      { type: 'response-start', id: 'r1', model: 'm', created: 1 },
      { type: 'text-delta', text: 'Checking both.' },
      { type: 'tool-call-start', index: 0, id: 'call_a', name: 'get_weather', args: '' },
      { type: 'tool-call-delta', index: 0, args: '{"city":"Zürich"}' },
      { type: 'tool-call-start', index: 1, id: 'call_b', name: 'get_time', args: '' },
      { type: 'tool-call-delta', index: 1, args: '{}' },
      { type: 'tool-call-end', index: 0 },
      { type: 'tool-call-end', index: 1 },
      { type: 'finish', reason: 'tool_calls', usage: null },
    ];
    const out = parts.map((p) => enc.part(p)).join('') + enc.end();
    const events = blockEvents(out);
    let open: number | null = null;
    for (const e of events) {
      if (e.type === 'content_block_start') {
        expect(open, `block ${e.index} opened while block ${open} is open`).toBeNull();
        open = e.index;
      } else {
        expect(e.index).toBe(open);
        open = null;
      }
    }
    expect(open).toBeNull();
    expect(events.map((e) => `${e.type === 'content_block_start' ? '+' : '-'}${e.index}`)).toEqual(['+0', '-0', '+1', '-1', '+2', '-2']);
  });

  it('a whole tool call (start and end together) is closed at its end, not at the finish', () => {
    const enc = createAnthropicPartEncoder({ model: 'm', newId: (p) => `${p}x` });
    const first = enc.part({ type: 'response-start', id: 'r1', model: 'm', created: 1 })
      + enc.part({ type: 'tool-call-start', index: 0, id: 'call_a', name: 'f', args: '{}' })
      + enc.part({ type: 'tool-call-end', index: 0 });
    expect(blockEvents(first).map((e) => e.type)).toEqual(['content_block_start', 'content_block_stop']);
  });
});
