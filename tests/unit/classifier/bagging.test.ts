import { describe, expect, it } from 'vitest';
import { FEATURE_DIM, featurize, type LabeledPrompt } from '../../../src/classifier/index.js';
import { bootstrapCounts, fitBaggedHeads, SHAPE_L2 } from '../../../src/classifier/cross-fit.js';
import { createRng } from '../../../src/classifier/prng.js';

/** Three MMLU subjects of different sizes, GSM8K rows and chat weak-label rows. */
function rows(): LabeledPrompt[] {
  const out: LabeledPrompt[] = [];
  const add = (group: string, n: number): void => {
    for (let i = 0; i < n; i++) out.push({ prompt: `${group} question ${i} ${'step '.repeat(i % 5)}`, weak: i % 3 !== 0, strong: i % 7 !== 0, group, contaminated: false });
  };
  add('mmlu/a', 10); add('mmlu/b', 25); add('mmlu/c', 5); add('gsm8k', 12); add('arena-hard/coding', 6);
  return out;
}

describe('bootstrap resampling for bagged heads', () => {
  const data = rows();
  const ids = data.map((_, i) => i);

  it('draws as many rows as it has, with replacement, the same for a seed', () => {
    const a = bootstrapCounts(data, ids, createRng(3), false);
    expect(a.reduce((x, y) => x + y, 0)).toBe(ids.length);
    expect(Array.from(a).every((c) => Number.isInteger(c) && c >= 0)).toBe(true);
    expect(Array.from(a).some((c) => c === 0)).toBe(true); // some rows are left out of a resample
    expect(Array.from(bootstrapCounts(data, ids, createRng(3), false))).toEqual(Array.from(a));
    expect(Array.from(bootstrapCounts(data, ids, createRng(4), false))).not.toEqual(Array.from(a));
  });

  it('with groups, draws whole MMLU subjects and resamples GSM8K and chat rows each among themselves', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const c = bootstrapCounts(data, ids, createRng(seed), true);
      const of = (test: (r: LabeledPrompt) => boolean): number[] => ids.filter((i) => test(data[i]!)).map((i) => c[i]!);
      let subjectDraws = 0;
      for (const s of ['mmlu/a', 'mmlu/b', 'mmlu/c']) {
        const counts = of((r) => r.group === s);
        expect(new Set(counts).size).toBe(1); // every row of a subject weighs the same
        subjectDraws += counts[0]!;
      }
      expect(subjectDraws).toBe(3);
      expect(of((r) => r.group === 'gsm8k').reduce((x, y) => x + y, 0)).toBe(12);
      expect(of((r) => r.group.startsWith('arena-hard/')).reduce((x, y) => x + y, 0)).toBe(6);
    }
  });

  it('bagged heads are one linear model per head, the same for a seed', () => {
    const feats = data.map((r) => featurize(r.prompt));
    const hyper = { l2Weak: 1e-3, l2Strong: 1e-3, l2Shape: SHAPE_L2 };
    const a = fitBaggedHeads(data, feats, ids, hyper, { bags: 3, seed: 9 });
    const b = fitBaggedHeads(data, feats, ids, hyper, { bags: 3, seed: 9 });
    expect(a.weakFails.weights).toHaveLength(FEATURE_DIM);
    expect(Array.from(a.weakFails.weights)).toEqual(Array.from(b.weakFails.weights));
    expect(a.strongFails.bias).toBe(b.strongFails.bias);
    expect(Array.from(a.weakFails.weights).every(Number.isFinite)).toBe(true);
    const other = fitBaggedHeads(data, feats, ids, hyper, { bags: 3, seed: 10 });
    expect(Array.from(other.weakFails.weights)).not.toEqual(Array.from(a.weakFails.weights));
  }, 60_000);
});
