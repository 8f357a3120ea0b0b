import { describe, expect, it } from 'vitest';
import { combineHeads, featurize, fitBlend, logCharsOf, selectHyper, type LabeledPrompt } from '../../../src/classifier/index.js';
import { benchmarkBalance } from '../../../src/classifier/cross-fit.js';

/** MMLU-like rows in four subjects and GSM8K-like rows: the weak model fails the longer prompts more often. */
function rows(): LabeledPrompt[] {
  const out: LabeledPrompt[] = [];
  for (let i = 0; i < 120; i++) {
    out.push({
      prompt: `${i % 3 ? 'Which' : 'Compute'} item ${i} ${'with more reasoning steps '.repeat(i % 6)}?`,
      weak: (i * 7) % 10 > i % 6, strong: i % 9 !== 0, group: i < 90 ? `mmlu/s${i % 4}` : 'gsm8k', contaminated: false,
    });
  }
  return out;
}

describe('hyper-parameter selection', () => {
  const data = rows();
  const feats = data.map((r) => featurize(r.prompt));
  const ids = data.map((_, i) => i);
  const base = { k: 2, innerK: 2, scheme: 'subjects' as const, weakGrid: [1e-3], strongGrid: [1e-3], kappas: [1], betas: [0, 1] };

  it('with repeats, scores each candidate by the mean APGR of cross-validations under different fold seeds', () => {
    const first = selectHyper(data, feats, ids, { ...base, seed: 5 });
    const second = selectHyper(data, feats, ids, { ...base, seed: 5 + 1000 }); // the second repeat's folds
    const both = selectHyper(data, feats, ids, { ...base, seed: 5, repeats: 2 });
    expect(both.candidates).toHaveLength(2);
    both.candidates.forEach((c, n) => {
      expect(c.mmluApgr).toBeCloseTo((first.candidates[n]!.mmluApgr + second.candidates[n]!.mmluApgr) / 2, 10);
      expect(c.gsm8kApgr).toBeCloseTo((first.candidates[n]!.gsm8kApgr + second.candidates[n]!.gsm8kApgr) / 2, 10);
    });
    // The pick carries the first repeat's held-out heads and the blend fitted on them.
    expect(Array.from(both.heldOut.weakFails)).toEqual(Array.from(first.heldOut.weakFails));
    const gains = ids.map((i) => combineHeads(both.heldOut.weakFails[i]!, both.heldOut.strongFails[i]!, both.pick.kappa));
    expect(both.pick.blend).toEqual(fitBlend(gains, ids.map((i) => logCharsOf(feats[i]!)), both.pick.beta));
  }, 60_000);
});

describe('benchmark balance', () => {
  const row = (group: string, weight?: number): LabeledPrompt => ({ prompt: 'p', weak: true, strong: true, group, contaminated: false, weight });
  const data = [row('mmlu/a'), row('mmlu/a'), row('mmlu/b'), row('mmlu/b'), row('gsm8k'), row('gsm8k', 2), row('arena-hard/coding', 30)];

  it('gives GSM8K as much total weight as MMLU, a GSM8K row its own weight times that, and other rows their own weight', () => {
    const w = benchmarkBalance(data, data.map((_, i) => i));
    expect(Array.from(w)).toEqual([1, 1, 1, 1, 2, 4, 30]);
  });
});
