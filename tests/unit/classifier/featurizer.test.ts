import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DENSE_NAMES, FEATURE_DIM, FEATURIZER_VERSION, featurize } from '../../../src/classifier/index.js';

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

  it('emits every dense slot first, in order, then hashed indices within the dimension', () => {
    for (const p of SAMPLES) {
      const f = featurize(p);
      expect(f.indices.length).toBe(f.values.length);
      expect(Array.from(f.indices.slice(0, DENSE_NAMES.length))).toEqual(DENSE_NAMES.map((_, i) => i));
      for (const i of f.indices) {
        expect(i).toBeGreaterThanOrEqual(0);
        expect(i).toBeLessThan(FEATURE_DIM);
      }
      for (const v of f.values) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('scales each hashed block to unit L2 norm (short and long prompts weigh the same)', () => {
    const f = featurize('alpha beta gamma alpha');
    let sq = 0;
    for (let k = DENSE_NAMES.length; k < f.indices.length; k++) sq += f.values[k]! ** 2;
    expect(sq).toBeCloseTo(2, 5); // unigram block + bigram block
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

  it('separates multiple-choice from free-text prompts in the dense slots', () => {
    const mc = featurize(SAMPLES[0]!);
    const free = featurize(SAMPLES[1]!);
    const half = DENSE_NAMES.length / 2;
    expect(mc.values[DENSE_NAMES.indexOf('mc_options')]).toBe(4);
    expect(Array.from(mc.values.slice(half, 2 * half)).every((v) => v === 0)).toBe(true);
    expect(free.values[half]).toBe(free.values[0]); // free_text_log_chars mirrors log_chars
  });
});
