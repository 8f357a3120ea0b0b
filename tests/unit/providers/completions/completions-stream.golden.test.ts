import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { completionsDialect } from '../../../../src/providers/completions/index.js';
import { dialectContext, everyByte, runDialectStream, openAIUpstream } from '../responses/dialect-context.js';

const dir = new URL('../../../golden/providers/completions/', import.meta.url);
const read = (name: string): Buffer => fs.readFileSync(new URL(name, dir));

const run = (bytes: Buffer, splits: number[], clientWantsUsage: boolean): string =>
  runDialectStream(openAIUpstream(completionsDialect, dialectContext({ clientWantsUsage })).stream(), bytes, splits);

describe('Completions stream translation (golden)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['text.upstream.sse', 'text.client-usage.expected.sse', true],
    ['text.upstream.sse', 'text.no-client-usage.expected.sse', false],
    ['error-mid-stream.upstream.sse', 'error-mid-stream.expected.sse', false],
  ];
  it.each(cases)('%s → %s: same output for the whole stream, every split point, and byte-at-a-time', (up, exp, usage) => {
    const upstream = read(up);
    const expected = read(exp).toString('utf8');
    expect(run(upstream, [], usage)).toBe(expected);
    for (let at = 1; at < upstream.length; at++) expect(run(upstream, [at], usage)).toBe(expected);
    expect(run(upstream, everyByte(upstream), usage)).toBe(expected);
  });

  it('keeps the text, ends with a finish chunk, a usage chunk (when asked) and [DONE]', () => {
    const events = read('text.client-usage.expected.sse').toString('utf8').split('\n\n').filter(Boolean).map((e) => e.slice(6));
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: Array<{ text: string; finish_reason: string | null }>; usage?: unknown });
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.flatMap((c) => c.choices.map((x) => x.text)).join('')).toBe('Straße, naïve café 🚀 日本');
    expect(chunks.at(-2)!.choices[0]!.finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 9, total_tokens: 16 } });
  });

  it('passes an error event through and adds no [DONE] after it', () => {
    const out = read('error-mid-stream.expected.sse').toString('utf8');
    expect(out.endsWith('data: {"error":{"message":"model crashed","type":"server_error","param":null,"code":null}}\n\n')).toBe(true);
    expect(out).not.toContain('[DONE]');
  });

  it('adds [DONE] for an upstream that finished without it; one cut short fails (the ingress writes the error event)', () => {
    const chunk = (delta: object, finish: string | null): string => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const finished = openAIUpstream(completionsDialect, dialectContext()).stream();
    expect(finished.feed(chunk({ content: 'a' }, 'length')) + finished.end()).toMatch(/"finish_reason":"length".*\n\ndata: \[DONE\]\n\n$/s);
    const cut = openAIUpstream(completionsDialect, dialectContext()).stream();
    expect(cut.feed(chunk({ content: 'a' }, null))).toContain('"text":"a"');
    expect(() => cut.end()).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
  });

  it('the encoder ends parts that stopped before the finish with an error event, not [DONE]', () => {
    const enc = completionsDialect.encodeStream(dialectContext(), () => null);
    const out = enc.part({ type: 'text-delta', text: 'a' }) + enc.end();
    expect(out).toMatch(/data: \{"error":\{"message":"provider \\"mock\\" ended the stream before the completion was complete","type":"upstream_error"/);
    expect(out).not.toContain('[DONE]');
  });

  it('throws a coded error on a chunk that is not JSON', () => {
    expect(() => openAIUpstream(completionsDialect, dialectContext()).stream().feed('data: nope\n\n')).toThrow(expect.objectContaining({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' }));
  });
});
