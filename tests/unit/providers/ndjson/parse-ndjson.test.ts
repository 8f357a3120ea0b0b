import { StringDecoder } from 'node:string_decoder';
import { describe, expect, it } from 'vitest';
import { createNdjsonState, endNdjson, feedNdjson } from '../../../../src/providers/ndjson/parse-ndjson.js';

/** Feeds `pieces` in order and returns every line delivered, the flush at the end included. */
function lines(pieces: string[]): string[] {
  const state = createNdjsonState();
  const out: string[] = [];
  for (const p of pieces) feedNdjson(state, p, (l) => out.push(l));
  endNdjson(state, (l) => out.push(l));
  return out;
}

describe('NDJSON framing', () => {
  const doc = '{"a":1}\n{"b":"x\\ny"}\r\n\n   \n{"c":[1,2]}\n';
  const expected = ['{"a":1}', '{"b":"x\\ny"}', '{"c":[1,2]}'];

  it('splits on \\n and \\r\\n, skipping blank lines', () => {
    expect(lines([doc])).toEqual(expected);
  });

  it('gives the same lines for every split point, and character by character', () => {
    for (let at = 0; at <= doc.length; at++) expect(lines([doc.slice(0, at), doc.slice(at)])).toEqual(expected);
    expect(lines(Array.from(doc))).toEqual(expected);
  });

  it('delivers a last line that has no line break only at the end', () => {
    const state = createNdjsonState();
    const out: string[] = [];
    feedNdjson(state, '{"a":1}\n{"done":true}', (l) => out.push(l));
    expect(out).toEqual(['{"a":1}']);
    endNdjson(state, (l) => out.push(l));
    expect(out).toEqual(['{"a":1}', '{"done":true}']);
    expect(lines(['{"x":1}\r'])).toEqual(['{"x":1}']);
    expect(lines(['', '\n', '  '])).toEqual([]);
  });

  it('keeps multi-byte characters whole when the caller decodes bytes split inside them', () => {
    const bytes = Buffer.from('{"t":"héllo 🌍"}\n{"t":"日本"}\n', 'utf8');
    for (let at = 1; at < bytes.length; at++) {
      const decoder = new StringDecoder('utf8');
      const got = lines([decoder.write(bytes.subarray(0, at)), decoder.write(bytes.subarray(at)), decoder.end()]);
      expect(got.map((l) => JSON.parse(l).t)).toEqual(['héllo 🌍', '日本']);
    }
  });

  it('assembles one long line from many pieces', () => {
    const state = createNdjsonState();
    const out: string[] = [];
    const piece = 'x'.repeat(1000);
    for (let i = 0; i < 5000; i++) feedNdjson(state, piece, (l) => out.push(l));
    feedNdjson(state, '\n', (l) => out.push(l));
    expect(out.map((l) => l.length)).toEqual([5_000_000]);
  });
});
