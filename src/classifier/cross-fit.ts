/**
 * Honest held-out scores: k-fold cross-fitting (every prompt is scored by a model trained without
 * it), with the L2 strengths picked by an inner cross-validation on the training folds only
 * (nested), so no fold that is reported ever influenced a choice. Two fold schemes: `random`, and
 * `subjects`, which keeps every MMLU subject whole inside one fold (GSM8K rows are spread at random).
 */
import { type SparseFeatures } from './featurizer.js';
import { createRng, shuffleInPlace } from './prng.js';
import type { LabeledPrompt } from './routing-data.js';
import { evaluateRouter } from './routing-metrics.js';
import { applyScaling, foldScaling, predict, standardizeDense, toMatrix, trainLogistic, type LinearModel } from './train-logistic.js';

export const SPLIT_SCHEMES = ['random', 'subjects'] as const;
export type SplitScheme = (typeof SPLIT_SCHEMES)[number];

export interface Hyper {
  /** L2 on the hashed n-gram weights. */
  l2: number;
  /** L2 on the dense shape features. */
  l2Dense: number;
}

/** Candidates for the inner selection, strongest regularisation first (warm starts go downhill). */
export const HYPER_GRID: readonly Hyper[] = [
  { l2: 3e-3, l2Dense: 1e-3 }, { l2: 1e-3, l2Dense: 1e-3 }, { l2: 3e-3, l2Dense: 1e-4 }, { l2: 1e-3, l2Dense: 1e-4 },
];

/**
 * A group is left out of training when the strong model scores below chance (25% on four-choice
 * questions) on it: such labels measure answer extraction, not skill. In RouteLLM's MMLU data this
 * is `high_school_mathematics` (GPT-4 correct on 3%). Evaluation still includes it.
 */
export const MIN_STRONG_ACCURACY = 0.25;

export function isMmlu(row: LabeledPrompt): boolean {
  return row.group.startsWith('mmlu/');
}

/** The training label: the strong model's win rate with a tie counted half, (1 + s - w) / 2. */
export function label(row: LabeledPrompt): number {
  return (1 + (row.strong ? 1 : 0) - (row.weak ? 1 : 0)) / 2;
}

/** Fold (0..k-1) of each row. */
export function assignFolds(rows: readonly LabeledPrompt[], k: number, seed: number, scheme: SplitScheme, subset?: readonly number[]): Int32Array {
  const ids = subset ? [...subset] : rows.map((_, i) => i);
  const fold = new Int32Array(rows.length).fill(-1);
  const rng = createRng(seed);
  shuffleInPlace(ids, rng).forEach((i, n) => { fold[i] = n % k; });
  if (scheme === 'subjects') {
    const sizes = new Map<string, number>();
    for (const i of ids) if (isMmlu(rows[i]!)) sizes.set(rows[i]!.group, (sizes.get(rows[i]!.group) ?? 0) + 1);
    // Largest subjects first into the lightest fold; the shuffle breaks ties between equal sizes.
    const groups = shuffleInPlace([...sizes.keys()].sort(), rng).sort((a, b) => sizes.get(b)! - sizes.get(a)!);
    const load = new Array<number>(k).fill(0);
    const groupFold = new Map<string, number>();
    for (const g of groups) {
      const f = load.indexOf(Math.min(...load));
      groupFold.set(g, f);
      load[f] += sizes.get(g)!;
    }
    for (const i of ids) if (isMmlu(rows[i]!)) fold[i] = groupFold.get(rows[i]!.group)!;
  }
  return fold;
}

/** Rows usable for training among `ids` (groups with below-chance strong labels removed). */
export function trainableRows(rows: readonly LabeledPrompt[], ids: readonly number[]): number[] {
  const stats = new Map<string, [number, number]>();
  for (const i of ids) {
    const s = stats.get(rows[i]!.group) ?? [0, 0];
    s[0]++; s[1] += rows[i]!.strong ? 1 : 0;
    stats.set(rows[i]!.group, s);
  }
  return ids.filter((i) => { const [n, ok] = stats.get(rows[i]!.group)!; return ok / n >= MIN_STRONG_ACCURACY; });
}

/** A model trained on `ids`, on raw features (the dense scaling folded into its weights). */
export function fitRouter(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[], hyper: Hyper, init?: LinearModel): { raw: LinearModel; scaled: LinearModel } {
  const train = trainableRows(rows, ids);
  const X = toMatrix(train.map((i) => feats[i]!));
  const scaling = standardizeDense(X);
  const scaled = trainLogistic(X, Float64Array.from(train, (i) => label(rows[i]!)), { ...hyper, init });
  return { raw: foldScaling(scaled, scaling), scaled };
}

/** Scores of `ids` under a raw-feature model. */
export function scoreRows(feats: readonly SparseFeatures[], ids: readonly number[], model: LinearModel): Float64Array {
  if (ids.length === 0) return new Float64Array(0);
  return predict(toMatrix(ids.map((i) => feats[i]!)), model);
}

/** Mean APGR over the benchmarks (MMLU, GSM8K) present among `ids`, contaminated prompts dropped. */
export function meanApgr(rows: readonly LabeledPrompt[], ids: readonly number[], scores: ArrayLike<number>): number {
  const parts = [ids.filter((i) => isMmlu(rows[i]!)), ids.filter((i) => !isMmlu(rows[i]!))];
  const values: number[] = [];
  for (const part of parts) {
    const kept = part.filter((i) => !rows[i]!.contaminated);
    if (kept.length < 20) continue;
    const m = evaluateRouter(kept.map((i) => scores[i]!), kept.map((i) => rows[i]!.weak), kept.map((i) => rows[i]!.strong));
    if (Number.isFinite(m.apgr)) values.push(m.apgr);
  }
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

export interface CrossFitOptions {
  k: number;
  seed: number;
  scheme: SplitScheme;
  /** Inner folds for the hyper-parameter choice; 0 uses `fixed` instead. */
  innerK: number;
  fixed?: Hyper;
  grid?: readonly Hyper[];
  log?: (line: string) => void;
}

/** Picks the grid point with the best inner cross-validated mean APGR on `ids`. */
export function selectHyper(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[], opts: CrossFitOptions): { hyper: Hyper; score: number; heldOut: Float64Array } {
  const grid = opts.grid ?? HYPER_GRID;
  const folds = assignFolds(rows, opts.innerK, opts.seed + 1, opts.scheme, ids);
  const scores = grid.map(() => new Float64Array(rows.length));
  for (let f = 0; f < opts.innerK; f++) {
    const train = ids.filter((i) => folds[i] !== f);
    const test = ids.filter((i) => folds[i] === f);
    let warm: LinearModel | undefined;
    grid.forEach((hyper, h) => {
      const { raw, scaled } = fitRouter(rows, feats, train, hyper, warm);
      warm = scaled;
      const s = scoreRows(feats, test, raw);
      test.forEach((i, n) => { scores[h]![i] = s[n]!; });
    });
  }
  let best = 0;
  const values = grid.map((_, h) => meanApgr(rows, ids, scores[h]!));
  values.forEach((v, h) => { if (v > values[best]!) best = h; });
  opts.log?.(`  inner ${opts.scheme} CV mean APGR: ${grid.map((g, h) => `l2=${g.l2}/${g.l2Dense}: ${values[h]!.toFixed(3)}`).join(', ')}`);
  return { hyper: grid[best]!, score: values[best]!, heldOut: scores[best]! };
}

/** Held-out score of every row, and the hyper-parameters each outer fold used. */
export function crossFit(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], opts: CrossFitOptions): { scores: Float64Array; folds: Int32Array; chosen: Hyper[] } {
  const folds = assignFolds(rows, opts.k, opts.seed, opts.scheme);
  const scores = new Float64Array(rows.length);
  const chosen: Hyper[] = [];
  for (let f = 0; f < opts.k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < rows.length; i++) (folds[i] === f ? test : train).push(i);
    const hyper = opts.innerK > 1 ? selectHyper(rows, feats, train, opts).hyper : opts.fixed ?? HYPER_GRID[0]!;
    chosen.push(hyper);
    const { raw } = fitRouter(rows, feats, train, hyper);
    const s = scoreRows(feats, test, raw);
    test.forEach((i, n) => { scores[i] = s[n]!; });
    opts.log?.(`${opts.scheme} fold ${f + 1}/${opts.k}: ${test.length} held out, l2=${hyper.l2} l2Dense=${hyper.l2Dense}`);
  }
  return { scores, folds, chosen };
}
