import { describe, expect, it } from 'vitest';
import { parseJsonBody } from '../../../src/llm-api/llm-fronts.js';

/** A body past the size from which it is parsed in pieces. */
function largeBody(extra = ''): string {
  const messages = Array.from({ length: 800 }, (_, i) => ({ role: 'user', content: `message ${i} ü😀 ${'x'.repeat(200)}` }));
  return `{"model":"m","messages":${JSON.stringify(messages)}${extra}}`;
}

/** The error `parseJsonBody` throws, as code and message. */
function failure(raw: Buffer, depth = 64): { code: string; message: string } {
  try {
    parseJsonBody(raw, depth);
  } catch (err) {
    const e = err as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('parsed');
}

describe('parseJsonBody', () => {
  it('parses a large body in pieces into what JSON.parse gives, and keeps its top level for splicing', () => {
    const text = largeBody(',"stream":true');
    expect(text.length).toBeGreaterThan(128 * 1024);
    const parsed = parseJsonBody(Buffer.from(text), 64);
    expect(parsed.value).toEqual(JSON.parse(text));
    expect(parsed.top?.members.map((m) => m.key)).toEqual(['model', 'messages', 'stream']);
  });

  it('parses a small body in one go (no scan kept)', () => {
    expect(parseJsonBody(Buffer.from('{"model":"m","messages":[]}'), 64)).toEqual({ value: { model: 'm', messages: [] }, top: null });
  });

  it('gives a large broken body the parser\'s own error message', () => {
    for (const broken of [largeBody(',}'), largeBody(',"x":[1,,2]'), largeBody(',"x":tru'), `${largeBody()} trailing`, largeBody().replace('"message 5', '"mess\u0001age 5')]) {
      let expected = '';
      try {
        JSON.parse(broken);
      } catch (err) {
        expected = `request body is not valid JSON: ${(err as Error).message}`;
      }
      expect(failure(Buffer.from(broken))).toEqual({ code: 'LR_ERR_BAD_JSON', message: expected });
    }
  });

  it('reads a large body that is not well-formed UTF-8 as before (replacement characters), not in pieces', () => {
    const text = largeBody();
    const at = text.indexOf('message 0') + 8;
    const raw = Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0xff, 0xfe]), Buffer.from(text.slice(at))]);
    const parsed = parseJsonBody(raw, 64);
    expect(parsed.top).toBeNull();
    expect(parsed.value).toEqual(JSON.parse(raw.toString('utf8')));
  });

  it('still refuses bodies nested deeper than the limit, and duplicate keys are resolved as JSON.parse does', () => {
    expect(failure(Buffer.from(`{"model":"m","messages":[],"x":${'['.repeat(100)}${']'.repeat(100)}}`)).code).toBe('LR_ERR_BAD_REQUEST');
    const dup = largeBody(',"model":"second"');
    const parsed = parseJsonBody(Buffer.from(dup), 64);
    expect(parsed.top).toBeNull();
    expect(parsed.value.model).toBe('second');
  });

  it('refuses a large body that is not an object', () => {
    expect(failure(Buffer.from(JSON.stringify(['x'.repeat(200_000)])))).toEqual({ code: 'LR_ERR_BAD_REQUEST', message: 'request body must be a JSON object' });
  });
});
