import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { withinJsonDepth } from '../../../src/model/index.js';
import { MessageRole, scanTopLevel, skimJsonBody, TOO_DEEP } from '../../../src/providers/index.js';

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** What the skim must say of `text`: TOO_DEEP exactly when the depth check fails, and a skim only for JSON the parser accepts. */
function check(text: string, maxDepth = 64): void {
  const buf = Buffer.from(text);
  const skim = skimJsonBody(buf, maxDepth);
  if (skim === TOO_DEEP) {
    expect(withinJsonDepth(buf, maxDepth), text).toBe(false);
    return;
  }
  if (skim !== null) {
    expect(parses(text), text).toBe(true);
    expect(withinJsonDepth(buf, maxDepth), text).toBe(true);
    const value = JSON.parse(text) as Record<string, unknown>;
    expect(skim.top.members.map((m) => m.key)).toEqual(Object.keys(value));
    for (const m of skim.top.members) expect(JSON.parse(buf.toString("utf8", m.valueStart, m.end))).toEqual(value[m.key]);
    if (skim.messages !== null) {
      const messages = value.messages as unknown[];
      expect(skim.messages.starts.length).toBe(messages.length);
      skim.messages.starts.forEach((start, i) => {
        const m = messages[i] as { role?: unknown };
        expect(JSON.parse(buf.toString('utf8', start, skim.messages!.ends[i]))).toEqual(m);
        const role = skim.messages!.roles[i];
        if (role === MessageRole.User) expect(m.role).toBe('user');
        if (role === MessageRole.Other) expect(typeof m.role === 'string' && m.role !== 'user').toBe(true);
        if (role === MessageRole.Missing) expect(typeof m !== 'object' || m === null || typeof m.role !== 'string').toBe(true);
      });
    }
    return;
  }
  // Null: either the parser refuses it, or it has what the skim leaves to the parser (checked by the caller's cases).
}

/**
 * Bodies from 16 KB on have their special bytes listed up front by the WebAssembly scan: `text`
 * padded past that size (trailing whitespace, so every offset stays) must get the same answer from
 * the listed search as from the word-at-a-time one, and the same as `text` itself.
 */
function sameBothWays(text: Buffer): void {
  const padded = Buffer.alloc(Math.max(text.length, 16 * 1024) + 40, 0x20);
  text.copy(padded);
  const indexed = skimJsonBody(padded, 64);
  const words = skimJsonBody(padded, 64, false);
  expect(indexed, text.toString()).toEqual(words);
  const plain = skimJsonBody(text, 64);
  expect(indexed).toEqual(plain);
}

/** A deterministic stream of numbers. */
function sequence(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s;
  };
}

const SAMPLE = JSON.stringify({
  model: 'openai/gpt-x',
  stream: true,
  temperature: -0.5e-3,
  max_tokens: 1024,
  stop: null,
  flags: [true, false, null, 0, -0, 1.5, 2E+10, 3e-2],
  messages: [
    { role: 'system', content: 'You are "helpful" \\ and \n careful\t\u0001 — ü 😀' },
    { role: 'user', content: [{ type: 'text', text: 'hi' }, { type: 'image_url', image_url: { url: 'data:,' } }] },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":[1,2]}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: '{"ok":true}' },
    'not an object',
    { content: 'no role' },
  ],
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'array' } } } } }],
});

describe('skimJsonBody', () => {
  it('skims a valid body: top-level members, message spans and roles agree with JSON.parse', () => {
    const skim = skimJsonBody(Buffer.from(SAMPLE), 64);
    expect(skim).not.toBeNull();
    expect(skim).not.toBe(TOO_DEEP);
    check(SAMPLE);
    if (skim === null || skim === TOO_DEEP) return;
    expect(skim.messages?.roles).toEqual([MessageRole.Other, MessageRole.User, MessageRole.Other, MessageRole.Other, MessageRole.Missing, MessageRole.Missing]);
    expect(skim.messages?.partsContent).toEqual([false, true, false, false, false, false]);
  });

  it('refuses what the parser refuses: numbers, literals, strings, structure', () => {
    const bad = [
      '{"a":01}', '{"a":-}', '{"a":1.}', '{"a":.5}', '{"a":1e}', '{"a":1e+}', '{"a":+1}', '{"a":0x10}', '{"a":NaN}', '{"a":Infinity}',
      '{"a":tru}', '{"a":nul}', '{"a":falsey}', '{"a":True}', '{"a":"x\\q"}', '{"a":"\\u12G4"}', '{"a":"\\u12"}', '{"a":"tab\there"}',
      '{"a":"nl\nhere"}', '{"a":"x\\"}', '{"a":[1,]}', '{"a":[,1]}', '{"a":{"b"}}', '{"a":{"b":1,}}', '{"a":1,}', '{"a" 1}', '{a:1}',
      "{'a':1}", '{"a":1}}', '{"a":1} x', '{"a":[1 2]}', '{"messages":[{"role":"user",}]}', '{"messages":[{"role":"user"}', '{"messages":[1,]}',
      '\ufeff{"a":1}', '{"a":"\u007f\u0000"}', '', ' ', '{', '{"a":',
    ];
    for (const text of bad) {
      expect(parses(text), text).toBe(false);
      expect(skimJsonBody(Buffer.from(text), 64), text).toBeNull();
    }
  });

  it('accepts what the parser accepts at the edges of the grammar', () => {
    for (const text of ['{}', ' {\t"a" :\r\n[ ] } ', '{"a":-0.0e-0}', '{"a":"\\u00e9\\/\\b\\f\\n\\r\\t\\\\\\""}', '{"a":"\u007f"}', '{"messages":[]}', '{"a":[[],{},""]}']) {
      expect(parses(text), text).toBe(true);
      expect(skimJsonBody(Buffer.from(text), 64), text).not.toBeNull();
      check(text);
    }
  });

  it('says too deep exactly where the depth check does, counting the top-level object and messages', () => {
    for (let depth = 1; depth <= 6; depth++) {
      for (const text of ['{"a":[[1]]}', '{"messages":[{"role":"user","content":[{"type":"text"}]}]}', '{"messages":[[[]]]}', '{"messages":[]}', '{}']) {
        const skim = skimJsonBody(Buffer.from(text), depth);
        expect(skim === TOO_DEEP, `${text} at ${depth}`).toBe(!withinJsonDepth(Buffer.from(text), depth));
      }
    }
  });

  it('never accepts text the parser refuses, over thousands of mutated bodies', () => {
    const next = sequence(12345);
    const base = Buffer.from(SAMPLE);
    const alphabet = Buffer.from('{}[]":,\\ \n\t0123456789-+.eEtrufalsn\x01\x1fx');
    let accepted = 0;
    for (let n = 0; n < 4000; n++) {
      const buf = Buffer.from(base);
      const edits = 1 + (next() % 3);
      let text = buf;
      for (let e = 0; e < edits; e++) {
        const at = next() % text.length;
        const byte = alphabet[next() % alphabet.length]!;
        const op = next() % 3;
        if (op === 0) text[at] = byte;
        else if (op === 1) text = Buffer.concat([text.subarray(0, at), Buffer.from([byte]), text.subarray(at)]);
        else text = Buffer.concat([text.subarray(0, at), text.subarray(at + 1)]);
      }
      if (!isUtf8(text)) continue;
      const s = text.toString('utf8');
      const skim = skimJsonBody(text, 64);
      sameBothWays(text);
      if (skim !== null && skim !== TOO_DEEP) accepted++;
      check(s);
      // And the converse: valid text whose `messages` is an array is skimmed, unless a top-level key is
      // written twice, has an escape or is `__proto__` (the scan of the top level gives up on those too).
      if (parses(s) && skim === null) {
        const value = JSON.parse(s) as unknown;
        const object = typeof value === 'object' && value !== null && !Array.isArray(value);
        if (object && Array.isArray((value as { messages?: unknown }).messages)) {
          const top = scanTopLevel(text);
          expect(top === null || top.members.some((m) => m.key === '__proto__'), s).toBe(true);
        }
      }
    }
    expect(accepted).toBeGreaterThan(100);
  });
  it("lists the special bytes of a large body up front and answers as the word search, past the list's limit too", () => {
    const agent = JSON.stringify({
      model: 'm',
      messages: Array.from({ length: 300 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `line ${i} "quoted" \\ back\nslash \u00e9 — ü 😀 ${'x'.repeat(i % 50)}` })),
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }],
    });
    for (const text of [agent, agent.replace('"line 7', '"line\u0007 7'), agent.replace('"line 7', '"line\\x 7'), agent.slice(0, -3)]) {
      const buf = Buffer.from(text);
      expect(buf.length).toBeGreaterThan(16 * 1024);
      expect(skimJsonBody(buf, 64)).toEqual(skimJsonBody(buf, 64, false));
      expect(skimJsonBody(buf, 64) !== null).toBe(parses(text));
    }
    // Arrays of short strings have more special bytes than the list holds (a quarter of the length): the word search answers.
    const short = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stop: Array.from({ length: 6000 }, (_, i) => String(i % 10)) });
    const skim = skimJsonBody(Buffer.from(short), 64);
    expect(skim).not.toBeNull();
    expect(skim).toEqual(skimJsonBody(Buffer.from(short), 64, false));
  });

  it('checks long strings word by word as the parser does: every byte that matters at every offset and alignment', () => {
    // Strings long enough for the word-at-a-time check, with one interesting byte sequence at each
    // position, in buffers starting at each offset modulo 4 (a body can sit anywhere in its ArrayBuffer).
    const inserts = ['\x01', '\x1f', '\n', '\t', '\\', '\\\\', '\\"', '\\n', '\\u00e9', '\\u00g9', '\\x', ' ', '\x7f', ']', '\\/', 'é', '😀', '\u00dc'];
    for (const insert of inserts) {
      for (let at = 0; at <= 41; at++) {
        const text = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH'.slice(0, 41);
        const content = text.slice(0, at) + insert + text.slice(at);
        const body = `{"model":"m","messages":[{"role":"user","content":"${content}"}],"x":"${content}"}`;
        const valid = parses(body);
        for (let offset = 0; offset < 4; offset++) {
          const backing = Buffer.alloc(offset + Buffer.byteLength(body) + 3);
          backing.write(body, offset);
          const buf = backing.subarray(offset, offset + Buffer.byteLength(body));
          const skim = skimJsonBody(buf, 64);
          expect(skim !== null && skim !== TOO_DEEP, `${JSON.stringify(body)} at offset ${offset}`).toBe(valid);
          sameBothWays(buf);
          if (valid && skim !== null && skim !== TOO_DEEP) {
            const x = skim.top.members.find((m) => m.key === 'x')!;
            expect(JSON.parse(buf.toString('utf8', x.valueStart, x.end))).toBe((JSON.parse(body) as { x: string }).x);
          }
        }
      }
    }
  });
});
