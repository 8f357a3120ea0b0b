import { describe, expect, it } from 'vitest';
import { PASS_THROUGH_SKIM_MIN_BYTES, parseJsonBody, SKIM_MIN_BYTES } from '../../../src/llm-api/llm-fronts.js';

/** A body past the size from which it is parsed in pieces. */
function largeBody(extra = ''): string {
  const messages = Array.from({ length: 800 }, (_, i) => ({ role: 'user', content: `message ${i} ü😀 ${'x'.repeat(200)}` }));
  return `{"model":"m","messages":${JSON.stringify(messages)}${extra}}`;
}

/** The error `parseJsonBody` throws, as code and message. */
function failure(raw: Buffer, depth = 64, skimFrom = Infinity): { code: string; message: string } {
  try {
    parseJsonBody(raw, depth, skimFrom);
  } catch (err) {
    const e = err as { code: string; message: string };
    return { code: e.code, message: e.message };
  }
  throw new Error('parsed');
}

describe('parseJsonBody', () => {
  it('parses a large body in pieces into what JSON.parse gives, and keeps its top level for splicing', () => {
    const text = largeBody(',"stream":true');
    expect(text.length).toBeGreaterThan(64 * 1024);
    const parsed = parseJsonBody(Buffer.from(text), 64);
    expect(parsed.value).toEqual(JSON.parse(text));
    expect(parsed.top?.members.map((m) => m.key)).toEqual(['model', 'messages', 'stream']);
  });

  it('parses a small body in one go (no scan kept)', () => {
    expect(parseJsonBody(Buffer.from('{"model":"m","messages":[]}'), 64)).toEqual({ value: { model: 'm', messages: [] }, top: null, messages: null });
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
      expect(failure(Buffer.from(broken), 64, SKIM_MIN_BYTES)).toEqual({ code: 'LR_ERR_BAD_JSON', message: expected });
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
    const deep = Buffer.from(`{"model":"m","messages":[],"x":${'['.repeat(100)}${']'.repeat(100)}}`);
    expect(failure(deep).code).toBe('LR_ERR_BAD_REQUEST');
    const deepLarge = Buffer.from(largeBody(`,"x":${'['.repeat(100)}${']'.repeat(100)}`));
    expect(failure(deepLarge, 64, SKIM_MIN_BYTES)).toEqual(failure(deepLarge, 64, Infinity));
    expect(failure(deepLarge, 64, SKIM_MIN_BYTES).message).toMatch(/deeper than 64/);
    const dup = largeBody(',"model":"second"');
    const parsed = parseJsonBody(Buffer.from(dup), 64);
    expect(parsed.top).toBeNull();
    expect(parsed.value.model).toBe('second');
  });

  it('refuses a large body that is not an object', () => {
    expect(failure(Buffer.from(JSON.stringify(['x'.repeat(200_000)])))).toEqual({ code: 'LR_ERR_BAD_REQUEST', message: 'request body must be a JSON object' });
  });

  it('skims a large chat body: the same value (messages built when first read, in their place) and the top level kept', () => {
    const text = largeBody(',"stream":true');
    const parsed = parseJsonBody(Buffer.from(text), 64, SKIM_MIN_BYTES);
    expect(parsed.messages?.count).toBe(800);
    expect(Object.getOwnPropertyDescriptor(parsed.value, 'messages')?.get).toBeTypeOf('function');
    expect(Object.keys(parsed.value)).toEqual(['model', 'messages', 'stream']);
    expect(parsed.value).toEqual(JSON.parse(text));
    expect(JSON.stringify(parsed.value)).toBe(JSON.stringify(JSON.parse(text)));
    expect(Object.getOwnPropertyDescriptor(parsed.value, 'messages')?.value).toHaveLength(800);
    expect(parsed.top?.members.map((m) => m.key)).toEqual(['model', 'messages', 'stream']);
  });

  it('skims a large agent body: large members such as tools parsed when first read, small ones at once, the same value', () => {
    const tools = Array.from({ length: 20 }, (_, i) => ({ type: 'function', function: { name: `tool_${i}`, description: 'd'.repeat(300), parameters: { type: 'object', properties: { a: { type: 'string' } } } } }));
    const text = largeBody(`,"tools":${JSON.stringify(tools)},"tool_choice":"auto","temperature":0.2`);
    const parsed = parseJsonBody(Buffer.from(text), 64, SKIM_MIN_BYTES);
    expect(Object.getOwnPropertyDescriptor(parsed.value, 'tools')?.get).toBeTypeOf('function');
    expect(Object.getOwnPropertyDescriptor(parsed.value, 'tool_choice')?.value).toBe('auto');
    expect(Object.keys(parsed.value)).toEqual(['model', 'messages', 'tools', 'tool_choice', 'temperature']);
    expect(parsed.value.tools).toEqual(tools);
    expect(Object.getOwnPropertyDescriptor(parsed.value, 'tools')?.value).toEqual(tools);
    expect(JSON.stringify(parsed.value)).toBe(JSON.stringify(JSON.parse(text)));
  });

  it('refuses a large body whose deferred member is broken at once, with the parser\'s message, not on first read', () => {
    const big = 'd'.repeat(5000);
    for (const bad of [`,"tools":[{"a":"${big}\u0001"}]`, `,"tools":[{"a":"${big}\\x"}]`, `,"tools":[{"a":"${big}"`]) {
      const text = largeBody(bad);
      let expected = '';
      try {
        JSON.parse(text);
      } catch (err) {
        expected = `request body is not valid JSON: ${(err as Error).message}`;
      }
      expect(expected).not.toBe('');
      expect(failure(Buffer.from(text), 64, SKIM_MIN_BYTES)).toEqual({ code: 'LR_ERR_BAD_JSON', message: expected });
    }
  });

  it('answers what routing asks of skimmed messages by parsing only the messages concerned', () => {
    const messages = [
      { role: 'system', content: 'be brief ' + 'x'.repeat(40_000) },
      { role: 'user', content: [{ type: 'text', text: 'first' }, { type: 'image_url', image_url: { url: 'data:,' } }] },
      { role: 'assistant', content: 'ok' },
      { 'r\u006fle': 'user', content: 'escaped key, parsed to know' },
      { role: 'tool', content: 'result' },
    ];
    const text = JSON.stringify({ model: 'm', messages }).replace('"r\\\\u006fle"', '"r\\u006fle"');
    expect(JSON.parse(text).messages[3].role).toBe('user');
    const skimmed = parseJsonBody(Buffer.from(text), 64, SKIM_MIN_BYTES).messages!;
    expect(skimmed.count).toBe(5);
    expect(skimmed.firstWithoutRole()).toBe(-1);
    expect(skimmed.lastUserText()).toBe('escaped key, parsed to know');
    expect(skimmed.hasImages()).toBe(true);
    const noImages = JSON.stringify({ model: 'm', messages: [messages[0], { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] });
    const second = parseJsonBody(Buffer.from(noImages), 64, SKIM_MIN_BYTES).messages!;
    expect(second.hasImages()).toBe(false);
    expect(second.lastUserText()).toBe('a\nb');
  });

  it('finds the first message without a string role on the bytes, as the parsed check does', () => {
    const pad = { role: 'system', content: 'x'.repeat(40_000) };
    for (const [bad, index] of [[[pad, 'text'], 1], [[pad, { content: 'no role' }], 1], [[pad, { role: 1 }], 1], [[{ role: null }, pad], 0], [[pad, pad, { role: 'user', role2: 'x' }, []], 3]] as const) {
      const parsed = parseJsonBody(Buffer.from(JSON.stringify({ model: 'm', messages: bad })), 64, SKIM_MIN_BYTES);
      expect(parsed.messages!.firstWithoutRole()).toBe(index);
    }
    // The last `role` wins, as in the parser.
    const twice = `{"model":"m","messages":[${JSON.stringify(pad)},{"role":"user","role":2}]}`;
    expect(parseJsonBody(Buffer.from(twice), 64, SKIM_MIN_BYTES).messages!.firstWithoutRole()).toBe(1);
  });

  it('leaves to the parser what the skim cannot vouch for: messages not an array, duplicate or escaped top-level keys', () => {
    const pad = 'x'.repeat(40_000);
    for (const text of [
      `{"model":"m","messages":"${pad}"}`,
      `{"model":"m","messages":[{"role":"user","content":"${pad}"}],"model":"n"}`,
      `{"mod\\u0065l":"m","messages":[{"role":"user","content":"${pad}"}]}`,
      `{"__proto__":{"x":1},"model":"m","messages":[{"role":"user","content":"${pad}"}]}`,
    ]) {
      const parsed = parseJsonBody(Buffer.from(text), 64, SKIM_MIN_BYTES);
      expect(parsed.messages).toBeNull();
      expect(parsed.value).toEqual(JSON.parse(text));
    }
  });

  it('skims bodies from 4 KB when every provider speaks the client\'s protocol, and parses them whole below 32 KB otherwise: the same request either way', () => {
    const messages = Array.from({ length: 40 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}: ${'y'.repeat(120)} ü` }));
    const raw = Buffer.from(JSON.stringify({ model: 'p/m', messages, tools: [], temperature: 0.2 }));
    expect(raw.length).toBeGreaterThan(PASS_THROUGH_SKIM_MIN_BYTES);
    expect(raw.length).toBeLessThan(SKIM_MIN_BYTES);
    const skimmed = parseJsonBody(raw, 64, PASS_THROUGH_SKIM_MIN_BYTES);
    const whole = parseJsonBody(raw, 64, SKIM_MIN_BYTES);
    expect(skimmed.messages?.count).toBe(40);
    expect(skimmed.top).not.toBeNull();
    expect(whole.messages).toBeNull();
    expect(skimmed.messages!.lastUserText()).toBe(messages[38]!.content);
    expect(skimmed.value).toEqual(whole.value);
    // Below the pass-through size nothing is skimmed.
    const small = Buffer.from(JSON.stringify({ model: 'p/m', messages: messages.slice(0, 2) }));
    expect(parseJsonBody(small, 64, PASS_THROUGH_SKIM_MIN_BYTES).messages).toBeNull();
  });
});
