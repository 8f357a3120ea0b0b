import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FEATURE_DIM, FEATURIZER_VERSION, SHAPE, SHAPE_NAMES, featurize } from '../../../src/classifier/index.js';

const SAMPLES = [
  'What is the capital of France?\nA. Paris\nB. Rome\nC. Madrid\nD. Berlin\nAnswer:',
  'Janet’s ducks lay 16 eggs per day. She eats three for breakfast and bakes muffins with four. How much does she make at $2 per egg?',
  'Which of the following is NOT true?\nA. True, True\nB. False, False\nC. True, False\nD. False, True\nAnswer:',
  'def f(x):\n    return x * 2  # what does f(3) return?',
  '',
  'Ｕｎｉｃｏｄｅ ﬁle naïve café 東京 🚀',
];

function digest(prompts: string[]): string {
  const h = createHash('sha256');
  for (const p of prompts) {
    const f = featurize(p);
    h.update(Buffer.from(f.indices.buffer, f.indices.byteOffset, f.indices.byteLength));
    h.update(Buffer.from(f.values.buffer, f.values.byteOffset, f.values.byteLength));
  }
  return h.digest('hex');
}

/**
 * What each featurizer version computes on SAMPLES. A model is only valid with the version it was
 * trained with: change the featurizer's output and this fails until FEATURIZER_VERSION is bumped
 * (and the shipped model retrained).
 */
const GOLDEN: Record<string, string> = {
  'hash-ngram-v1': '7890668f001d995f42d3a720cd80bedd5b84ac0ee8e8d10137d0fcddbbece262',
  'hash-ngram-v2': '6e20f62427741a25659c16694118359ebe0f5f0a011aa9b31eb67b354f8f86ca',
};

describe('featurizer', () => {
  it(`is pinned: version ${FEATURIZER_VERSION} computes exactly its golden output`, () => {
    expect(GOLDEN[FEATURIZER_VERSION]).toBeDefined();
    expect(digest(SAMPLES)).toBe(GOLDEN[FEATURIZER_VERSION]);
  });

  it('is deterministic and keeps no state between calls', () => {
    const a = SAMPLES.map((p) => featurize(p));
    featurize('x'.repeat(50_000)); // a big call in between must not leak into the next ones
    const b = SAMPLES.map((p) => featurize(p));
    expect(b).toEqual(a);
  });

  it('emits one shape bucket per group first, in group order, then log length, then hashed indices within the dimension', () => {
    const groups = [...new Set(SHAPE_NAMES.slice(0, -1).map((n) => /^[a-z_]+/.exec(n)![0]))];
    expect(SHAPE_NAMES).toHaveLength(SHAPE);
    for (const p of SAMPLES) {
      const f = featurize(p);
      expect(f.indices.length).toBe(f.values.length);
      const shape = Array.from(f.indices.slice(0, groups.length));
      expect(shape.map((i) => /^[a-z_]+/.exec(SHAPE_NAMES[i]!)![0])).toEqual(groups);
      expect(f.indices[groups.length]).toBe(SHAPE - 1);
      expect(f.values[groups.length]).toBeCloseTo(Math.log1p(p.length) / 8, 6);
      for (let k = groups.length + 1; k < f.indices.length; k++) expect(f.indices[k]!).toBeGreaterThanOrEqual(SHAPE);
      for (const i of f.indices) {
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(FEATURE_DIM);
      }
      for (const v of f.values) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('scales each block to unit L2 norm (short and long prompts weigh the same)', () => {
    for (const p of ['alpha beta gamma alpha', 'alpha beta gamma alpha '.repeat(100)]) {
      const f = featurize(p);
      let sq = 0;
      for (let k = 0; k < f.indices.length; k++) sq += f.values[k]! ** 2;
      const logChars = Math.log1p(p.length) / 8;
    expect(sq).toBeCloseTo(4 + logChars ** 2, 5); // shape buckets + word unigrams + word bigrams + char 4-grams, + log length
    }
  });

  it('reads only the head and tail of a long prompt, and survives text that NFKC lengthens', () => {
    const head = 'Question about contracts. '.repeat(200);
    const tail = ' Which party is liable?'.repeat(100); // longer than the 2000-char tail window
    const a = featurize(head + 'a'.repeat(10_000) + tail);
    const b = featurize(head + 'b'.repeat(10_000) + tail);
    expect(b).toEqual(a);
    expect(() => featurize('ﬃ'.repeat(7_000))).not.toThrow();
    expect(() => featurize('İ'.repeat(7_000))).not.toThrow();
  });

  it('has no feature that only one prompt format turns on: every prompt sets every shape group', () => {
    // The v1 "free text" block was silent on every multiple-choice prompt and fitted on GSM8K alone.
    const mc = featurize(SAMPLES[0]!);
    const chat = featurize('Write a short story about a lighthouse keeper who befriends a storm.');
    const groups = new Set(SHAPE_NAMES.slice(0, -1).map((n) => /^[a-z_]+/.exec(n)![0])).size;
    for (const f of [mc, chat]) {
      expect(Array.from(f.indices).filter((i) => i < SHAPE)).toHaveLength(groups + 1);
      expect(Array.from(f.values.slice(0, groups)).every((v) => v === f.values[0])).toBe(true);
    }
  });

  it('sees code and notation the word tokenizer drops (character 4-grams)', () => {
    const a = featurize('x = {a: 1};');
    const b = featurize('x = [a: 1];');
    expect(Array.from(a.indices)).not.toEqual(Array.from(b.indices));
  });

  it('puts length into coarse buckets that saturate', () => {
    const bucketOf = (p: string) => SHAPE_NAMES[featurize(p).indices[0]!]!;
    expect(bucketOf('hi')).toBe('chars<16');
    expect(bucketOf('x'.repeat(5_000))).toBe(bucketOf('x'.repeat(50_000)));
  });
});
