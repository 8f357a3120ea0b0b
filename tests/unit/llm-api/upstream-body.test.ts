import { describe, expect, it } from 'vitest';
import { parseJsonBody, chatFront } from '../../../src/llm-api/llm-fronts.js';
import { upstreamBody } from '../../../src/llm-api/llm-request.js';

/** The body the LLM path hands the engine for `raw`, read the way the gateway reads it (a large one into a buffer with room, as readBody does). */
function bodyFor(raw: Buffer, model = 'upstream-model'): { out: string | Uint8Array; raw: Buffer } {
  let input = raw;
  if (raw.length >= 64 * 1024) {
    const roomy = Buffer.allocUnsafeSlow(raw.length + 4096);
    raw.copy(roomy);
    input = roomy.subarray(0, raw.length);
  }
  const parsed = parseJsonBody(input, 64);
  const request = chatFront.parse(parsed.value, { maxMessages: 100_000 });
  return { out: upstreamBody(request, input, parsed.top, model), raw: input };
}

/** What the gateway sent before it spliced: the parsed body, edited and serialized. */
function serialized(text: string, model = 'upstream-model'): string {
  const body = JSON.parse(text) as Record<string, unknown>;
  body.model = model;
  delete body.models;
  if (body.stream === true) body.stream_options = { ...(typeof body.stream_options === 'object' && body.stream_options !== null ? body.stream_options : {}), include_usage: true };
  return JSON.stringify(body);
}

const text = (out: string | Uint8Array): string => (typeof out === 'string' ? out : Buffer.from(out).toString('utf8'));

describe('upstreamBody', () => {
  const small = JSON.stringify({ model: 'alias', models: ['a/b'], messages: [{ role: 'user', content: 'hi' }], stream: true });

  it('sends a small body as text, byte for byte what serializing the edited body gave', () => {
    const { out } = bodyFor(Buffer.from(small));
    expect(typeof out).toBe('string');
    expect(out).toBe(serialized(small));
  });

  it('keeps the client\'s own spelling of everything it does not change', () => {
    const raw = '{ "model": "alias",\n "seed": 1e400, "messages": [ {"role":"user","content":"\\u00e9"} ] }';
    expect(bodyFor(Buffer.from(raw)).out).toBe('{ "model": "upstream-model",\n "seed": 1e400, "messages": [ {"role":"user","content":"\\u00e9"} ] }');
  });

  it('serializes the parsed body where bytes and parsed value could disagree', () => {
    for (const raw of ['{"model":"x","messages":[{"role":"user","content":"a"}],"stream":false,"stream":true}', '{"mod\\u0065l":"alias","messages":[{"role":"user","content":"a"}]}']) {
      expect(bodyFor(Buffer.from(raw)).out).toBe(serialized(raw));
    }
    const invalid = Buffer.concat([Buffer.from('{"model":"alias","messages":[{"role":"user","content":"'), Buffer.from([0xff]), Buffer.from('"}]}')]);
    expect(bodyFor(invalid).out).toBe(serialized(invalid.toString('utf8')));
  });

  it('sends a large body as bytes spliced where it was read, equal to the serialized body for serializer-written input', () => {
    const messages = Array.from({ length: 700 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} ü😀 ${'x'.repeat(200)}` }));
    const big = JSON.stringify({ model: 'alias', messages, models: ['a/b', 'c/d'], stream: true, stream_options: { other: 1 } });
    const { out, raw } = bodyFor(Buffer.from(big), 'a-longer-upstream-model-id');
    expect(out).toBeInstanceOf(Uint8Array);
    expect((out as Uint8Array).buffer).toBe(raw.buffer);
    expect(text(out)).toBe(serialized(big, 'a-longer-upstream-model-id'));
  });
});
