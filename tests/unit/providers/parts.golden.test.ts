import { describe, expect, it } from 'vitest';
import type { StreamPart } from '../../../src/model/index.js';
import { completionsDialect, openAIChatDialect, responsesDialect, type ClientDialect } from '../../../src/providers/index.js';
import { ADAPTER_CASES, readGolden } from './parts-cases.js';
import { dialectContext } from './responses/dialect-context.js';
import { encodeOpenAI, everySplit, runParts } from './parts-harness.js';

const partsOf = (name: string): StreamPart[] => JSON.parse(readGolden(`${name}.parts.json`).toString('utf8')) as StreamPart[];

/** A few split sets for fixtures too long to try every pair: every single split point, byte by byte, and seeded random cuts. */
function splitSets(length: number): number[][] {
  let seed = 7;
  const random = (): number => ((seed = (seed * 48271) % 2147483647) / 2147483647);
  const randomCuts = Array.from({ length: 20 }, () => [...new Set(Array.from({ length: 8 }, () => 1 + Math.floor(random() * (length - 1))))].sort((a, b) => a - b));
  return [...everySplit(length), ...randomCuts];
}

describe('adapters: upstream fixture → parts (golden)', () => {
  for (const c of ADAPTER_CASES) {
    const upstream = readGolden(`${c.name}.upstream.${c.ext}`);
    const expected = partsOf(c.parts ?? c.name);

    it(`${c.name}.${c.ext}: the same parts for the whole body, every split point, byte by byte and random cuts`, () => {
      for (const splits of [[], ...splitSets(upstream.length)]) {
        const r = runParts(c.start(false).stream, upstream, splits);
        expect(r.parts).toEqual(expected);
      }
    });

    for (const [file, clientWantsUsage] of c.openAI) {
      it(`${c.name}: parts → OpenAI chunks give ${file}`, () => {
        const { ctx } = c.start(clientWantsUsage);
        expect(encodeOpenAI(expected, ctx)).toBe(readGolden(file).toString('utf8'));
      });
    }
  }
});

describe('dialect encoders: parts → client text (golden)', () => {
  const cases: [string, ClientDialect, string, boolean][] = [
    ...['reasoning-text', 'tool-calls', 'length-crlf-unterminated', 'error-mid-stream'].map((c): [string, ClientDialect, string, boolean] => [`responses/${c}`, responsesDialect, `responses/${c}.expected.sse`, true]),
    ['completions/text', completionsDialect, 'completions/text.client-usage.expected.sse', true],
    ['completions/text', completionsDialect, 'completions/text.no-client-usage.expected.sse', false],
    ['completions/error-mid-stream', completionsDialect, 'completions/error-mid-stream.expected.sse', false],
    ['gemini/text-thought-usage', openAIChatDialect, 'gemini/text-thought-usage.client-usage.expected.sse', true],
  ];
  for (const [parts, dialect, expected, clientWantsUsage] of cases) {
    it(`${parts}.parts.json → ${dialect.name} → ${expected}`, () => {
      const ctx = { ...dialectContext({ clientWantsUsage }), model: parts.startsWith('gemini') ? 'gemini-2.5-flash' : 'upstream-model' };
      const enc = dialect.encodeStream(ctx, () => null);
      expect(partsOf(parts).map((p) => enc.part(p)).join('') + enc.end()).toBe(readGolden(expected).toString('utf8'));
    });
  }
});
