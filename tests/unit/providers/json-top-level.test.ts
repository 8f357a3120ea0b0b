import { describe, expect, it } from 'vitest';
import { parseTopLevelPieces, scanTopLevel, spliceTopLevel, spliceTopLevelText, withTopLevelValue } from '../../../src/providers/index.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** What the LLM path asks of a chat body: the upstream model in, `models` out, and for a stream the usage option on. */
function chatEdits(model: string, streamOptions: string | null): Map<string, string> {
  const set = new Map([['model', JSON.stringify(model)]]);
  if (streamOptions !== null) set.set('stream_options', streamOptions);
  return set;
}

/** The same edits on the parsed value, serialized: what the gateway sent before splicing. */
function editedByParse(text: string, model: string, streamOptions: string | null): string {
  const body = JSON.parse(text) as Record<string, unknown>;
  body.model = model;
  delete body.models;
  if (streamOptions !== null) body.stream_options = JSON.parse(streamOptions);
  return JSON.stringify(body);
}

function splice(text: string, model: string, streamOptions: string | null = null, inPlace = false): string {
  const raw = bytes(text);
  const top = scanTopLevel(raw);
  expect(top).not.toBeNull();
  return spliceTopLevel(raw, top!, chatEdits(model, streamOptions), ['models'], inPlace).toString('utf8');
}

const USAGE_ON = '{"include_usage":true}';

describe('scanTopLevel', () => {
  it('finds each top-level member by byte offsets, skipping strings, escapes and nesting', () => {
    const text = ' {"a" : "x\\"}{[" , "b":[1,{"c":"]"}],"ü":null,"d":-1.5e3 } \n';
    const top = scanTopLevel(bytes(text))!;
    const raw = bytes(text);
    expect(top.members.map((m) => [m.key, raw.toString('utf8', m.start, m.end)])).toEqual([
      ['a', '"a" : "x\\"}{["'],
      ['b', '"b":[1,{"c":"]"}]'],
      [Buffer.from('ü').toString('latin1'), '"ü":null'],
      ['d', '"d":-1.5e3'],
    ]);
    expect(raw[top.close]).toBe(0x7d);
    expect(top.members.map((m) => raw.toString('utf8', m.valueStart, m.end))).toEqual(['"x\\"}{["', '[1,{"c":"]"}]', 'null', '-1.5e3']);
  });

  it('scans an empty object', () => {
    expect(scanTopLevel(bytes('{ }'))).toEqual({ members: [], close: 2 });
  });

  it('gives up where bytes and parsed value could disagree: a key written twice, a key with an escape', () => {
    expect(scanTopLevel(bytes('{"model":"a","x":1,"model":"b"}'))).toBeNull();
    expect(scanTopLevel(bytes('{"mod\\u0065l":"a"}'))).toBeNull();
    expect(scanTopLevel(bytes('{"model":"a","mod\\u0065l":"b"}'))).toBeNull();
    expect(scanTopLevel(bytes('{"a\\"b":1}'))).toBeNull();
  });

  it('gives up on anything that is not one JSON object (the parser reports those)', () => {
    for (const text of ['[1]', '"x"', '', '\uFEFF{"a":1}', '{"a":1} x', '{"a":1}{"b":2}', '{"a":1,}', '{"a" 1}', '{a:1}', '{"a":1', '{"a":"x', '{"a\u0001":1}', '{"a":}']) {
      expect(scanTopLevel(bytes(text)), text).toBeNull();
    }
  });

  it('stays linear and bounded on a deeply nested value (no recursion)', () => {
    const deep = `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)},"b":1}`;
    expect(scanTopLevel(bytes(deep))!.members.map((m) => m.key)).toEqual(['a', 'b']);
  });
});

describe('spliceTopLevel', () => {
  const bodies: [string, Record<string, unknown>][] = [
    ['model first', { model: 'alias', messages: [{ role: 'user', content: 'hi' }] }],
    ['model last', { messages: [{ role: 'user', content: 'hi' }], temperature: 0.5, model: 'alias' }],
    ['models first', { models: ['a/b', 'c/d'], model: 'alias', messages: [] }],
    ['models middle', { model: 'alias', models: ['a/b'], messages: [], n: 1 }],
    ['models last', { model: 'alias', messages: [], models: ['a/b'] }],
    ['stream_options null', { model: 'alias', stream: true, stream_options: null, messages: [] }],
    ['stream_options other', { model: 'alias', stream: true, stream_options: { continuous_usage_stats: true }, messages: [], models: [] }],
    ['unicode and escapes', { model: 'ü', messages: [{ role: 'user', content: 'é 😀 \u2028 "q" \\ \n \u0000' }] }],
  ];

  it.each(bodies)('writes exactly what JSON.stringify writes for JSON.stringify input (%s)', (_name, value) => {
    const text = JSON.stringify(value);
    const so = 'stream_options' in value ? JSON.stringify({ ...(value.stream_options as object | null ?? {}), include_usage: true }) : null;
    for (const streamOptions of [null, so ?? USAGE_ON]) {
      expect(splice(text, 'gpt-4o-mini', streamOptions)).toBe(editedByParse(text, 'gpt-4o-mini', streamOptions));
      const raw = bytes(text);
      expect(spliceTopLevelText(raw, scanTopLevel(raw)!, chatEdits('gpt-4o-mini', streamOptions), ['models'])).toBe(editedByParse(text, 'gpt-4o-mini', streamOptions));
      expect(splice(text, 'a-much-longer-upstream/model-name-than-before', streamOptions, true))
        .toBe(editedByParse(text, 'a-much-longer-upstream/model-name-than-before', streamOptions));
    }
  });

  it('keeps the client\'s own bytes elsewhere: whitespace, number spelling, escapes, big integers', () => {
    const text = '{\n  "model" : "alias",\n  "seed": 12345678901234567890,\n  "t": 1.50,\n  "s": "\\u00e9",\n  "models": [ "x/y" ]\n}\n';
    expect(splice(text, 'up')).toBe('{\n  "model" : "up",\n  "seed": 12345678901234567890,\n  "t": 1.50,\n  "s": "\\u00e9"\n}\n');
    expect(splice(text, 'up', USAGE_ON)).toBe('{\n  "model" : "up",\n  "seed": 12345678901234567890,\n  "t": 1.50,\n  "s": "\\u00e9","stream_options":{"include_usage":true}\n}\n');
  });

  it('removes every dropped member with its comma, whatever its place', () => {
    const raw = bytes('{"models":1,"a":1,"models2":2,"b":2,"c":3}');
    const top = scanTopLevel(raw)!;
    const cut = (drop: string[]): string => spliceTopLevel(raw, top, new Map(), drop).toString();
    expect(cut(['models', 'models2'])).toBe('{"a":1,"b":2,"c":3}');
    expect(cut(['models2', 'b'])).toBe('{"models":1,"a":1,"c":3}');
    expect(cut(['models', 'a'])).toBe('{"models2":2,"b":2,"c":3}');
    expect(cut(['b', 'c'])).toBe('{"models":1,"a":1,"models2":2}');
    expect(cut(['models', 'a', 'models2', 'b', 'c'])).toBe('{}');
    expect(spliceTopLevel(raw, top, new Map([['x', '1']]), ['models', 'a', 'models2', 'b', 'c']).toString()).toBe('{"x":1}');
    expect(spliceTopLevel(raw, top, new Map([['x', '1']]), ['b', 'c']).toString()).toBe('{"models":1,"a":1,"models2":2,"x":1}');
  });

  it('never splices into a small buffer in place (it could be a slice of Node\'s shared pool)', () => {
    const raw = Buffer.from('{"model":"a","x":1}');
    const out = spliceTopLevel(raw, scanTopLevel(raw)!, chatEdits('a-longer-one', USAGE_ON), [], true);
    expect(out.buffer).not.toBe(raw.buffer);
    expect(raw.toString()).toBe('{"model":"a","x":1}');
    expect(out.toString()).toBe('{"model":"a-longer-one","x":1,"stream_options":{"include_usage":true}}');
  });

  it('splices in place only into room the buffer has, leaving other bodies to new memory', () => {
    const text = JSON.stringify({ model: 'alias', messages: [{ role: 'user', content: 'x'.repeat(10_000) }], models: ['a/b'] });
    const roomy = Buffer.allocUnsafeSlow(text.length + 100);
    roomy.write(text);
    const raw = roomy.subarray(0, text.length);
    const out = spliceTopLevel(raw, scanTopLevel(raw)!, chatEdits('a-longer-model-id-than-alias', USAGE_ON), ['models'], true);
    expect(out.buffer).toBe(roomy.buffer);
    expect(out.toString()).toBe(editedByParse(text, 'a-longer-model-id-than-alias', USAGE_ON));

    const tight = Buffer.from(text);
    const copied = spliceTopLevel(tight, scanTopLevel(tight)!, chatEdits('a-longer-model-id-than-alias', USAGE_ON), [], true);
    expect(copied.buffer).not.toBe(tight.buffer);
    expect(tight.toString()).toBe(text);
  });

  it('moves kept ranges both ways in place without overwriting one another', () => {
    // Shorter model first (the rest moves left), then a longer insert further on (moves right).
    const text = '{"model":"a-long-alias-name","x":"' + 'y'.repeat(10_000) + '","stream_options":{"a":1},"z":2}';
    const so = '{"a":1,"include_usage":true,"padding":"' + 'p'.repeat(200) + '"}';
    const expected = editedByParse(text, 'm', so);
    const roomy = Buffer.allocUnsafeSlow(text.length + 400);
    roomy.write(text);
    const out = spliceTopLevel(roomy.subarray(0, text.length), scanTopLevel(bytes(text))!, chatEdits('m', so), [], true);
    expect(out.buffer).toBe(roomy.buffer);
    expect(out.toString()).toBe(expected);
  });

  it('withTopLevelValue sets one member; null where the scan gives up', () => {
    expect(withTopLevelValue(bytes('{"model":"a","x":[1]}'), 'model', '"b"')!.toString()).toBe('{"model":"b","x":[1]}');
    expect(withTopLevelValue(bytes('{"model":"a","model":"c"}'), 'model', '"b"')).toBeNull();
  });
});

describe('parseTopLevelPieces', () => {
  function agentBody(messages: number): string {
    const tools = Array.from({ length: 20 }, (_, i) => ({ type: 'function', function: { name: `t${i}`, parameters: { type: 'object', properties: { p: { type: 'string' } } } } }));
    const history = Array.from({ length: messages }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} é😀 "quoted" \\ \u2028 ${'x'.repeat(200)}` }));
    return JSON.stringify({ model: 'm', messages: history, tools, n: 1, f: -0.5e-3, t: true, z: null, e: [], o: {} });
  }

  it('gives what JSON.parse gives, for a large body with history and tools', () => {
    const text = agentBody(600);
    expect(text.length).toBeGreaterThan(128 * 1024);
    const raw = bytes(text);
    expect(parseTopLevelPieces(raw, scanTopLevel(raw)!)).toEqual(JSON.parse(text));
    const pretty = bytes(JSON.stringify(JSON.parse(text), null, 2));
    expect(parseTopLevelPieces(pretty, scanTopLevel(pretty)!)).toEqual(JSON.parse(text));
  });

  it('keeps key order, integer-like keys and a huge single string', () => {
    const text = `{"b":1,"2":2,"a":"${'s'.repeat(300_000)}","1":[${Array.from({ length: 20_000 }, (_, i) => i).join(',')}]}`;
    const raw = bytes(text);
    const parsed = parseTopLevelPieces(raw, scanTopLevel(raw)!)!;
    expect(Object.keys(parsed)).toEqual(Object.keys(JSON.parse(text) as object));
    expect(parsed).toEqual(JSON.parse(text));
  });

  it('is null (the whole text is then parsed, with its error) for anything JSON.parse rejects inside a piece', () => {
    const big = 'x'.repeat(70_000);
    for (const inner of [`[1,,"${big}"]`, `["${big}",]`, `["${big}" 1]`, `["${big}",01]`, `["${big}",tru]`, `["${big}\u0001"]`, `["${big}"}`, `["${big}",{"a":1}}]`, `["${big}",[1}]`]) {
      const text = `{"model":"m","messages":${inner}}`;
      expect(() => JSON.parse(text), inner.slice(-12)).toThrow();
      const raw = bytes(text);
      const top = scanTopLevel(raw);
      if (top !== null) expect(parseTopLevelPieces(raw, top), inner.slice(-12)).toBeNull();
    }
  });

  it('leaves a __proto__ key to the parser (which makes it an own property)', () => {
    const raw = bytes(`{"__proto__":{"polluted":1},"a":"${'x'.repeat(10)}"}`);
    expect(parseTopLevelPieces(raw, scanTopLevel(raw)!)).toBeNull();
  });
});
