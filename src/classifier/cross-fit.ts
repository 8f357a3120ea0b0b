/**
 * Honest held-out scores: k-fold cross-fitting (every prompt is scored by a model trained without
 * it), with the hyper-parameters picked by an inner cross-validation on the training folds only
 * (nested), so no fold that is reported ever influenced a choice. Two fold schemes: `random`, and
 * `subjects`, which keeps every MMLU subject whole inside one fold (GSM8K rows are spread at random).
 *
 * The router has two heads fitted on the same features: P(weak fails) and P(strong fails). With 0/1
 * correctness the expected gain of the strong model is P(weak fails) − P(strong fails); on graded
 * answers a prompt both models fail is a hard one where the strong model still earns partial
 * credit, so the knob κ (0..1) discounts the second head: gain = P(weak fails) − κ·P(strong fails).
 * The score is that gain mapped onto 0..1: (P(weak fails) − κ·P(strong fails) + κ) / (1 + κ).
 * κ = 1 is the 0/1 expected gain (both-wrong counts like both-right), κ = 0 routes on the weak
 * model's difficulty alone.
 */
import { type SparseFeatures } from './featurizer.js';
import { createRng, shuffleInPlace } from './prng.js';
import type { LabeledPrompt } from './routing-data.js';
import { evaluateRouter } from './routing-metrics.js';
import { combineHeads } from './router-model.js';
import { predict, toMatrix, trainLogistic, type LinearModel } from './train-logistic.js';

export const SPLIT_SCHEMES = ['random', 'subjects'] as const;
export type SplitScheme = (typeof SPLIT_SCHEMES)[number];

export interface Hyper {
  /** L2 on the hashed n-gram weights. */
  l2: number;
  /** L2 on the shape buckets. */
  l2Shape: number;
}

/** Candidates for the inner selection, strongest regularisation first (warm starts go downhill). */
export const HYPER_GRID: readonly Hyper[] = [{ l2: 1e-3, l2Shape: 1e-5 }, { l2: 3e-4, l2Shape: 1e-5 }];

/** Candidates for κ (combining the heads costs nothing: every κ is scored from the same two fits). */
export const KAPPA_GRID: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

/**
 * A group is left out of training when the strong model scores below chance (25% on four-choice
 * questions) on it: such labels measure answer extraction, not skill. In RouteLLM's MMLU data this
 * is `high_school_mathematics` (GPT-4 correct on 3%). Evaluation still includes it.
 */
export const MIN_STRONG_ACCURACY = 0.25;

export function isMmlu(row: LabeledPrompt): boolean {
  return row.group.startsWith('mmlu/');
}

export function isGsm8k(row: LabeledPrompt): boolean {
  return row.group === 'gsm8k';
}

/** The two heads of a router. */
export interface TwoHeads {
  weakFails: LinearModel;
  strongFails: LinearModel;
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

/**
 * Row weights that give GSM8K as much total weight as MMLU (MMLU rows and chat ties weigh 1). MMLU
 * has 13× the rows; unweighted, the heads learn MMLU's multiple-choice world, and free-form requests
 * (GSM8K's kind, and chat's) were ranked by what holds there.
 */
export function benchmarkBalance(rows: readonly LabeledPrompt[], ids: readonly number[]): Float64Array {
  let mmlu = 0;
  let gsm = 0;
  for (const i of ids) { if (isMmlu(rows[i]!)) mmlu++; else if (isGsm8k(rows[i]!)) gsm++; }
  const w = gsm > 0 && mmlu > 0 ? mmlu / gsm : 1;
  return Float64Array.from(ids, (i) => (isGsm8k(rows[i]!) ? w : 1));
}

/** Both heads trained on `ids` (warm-started from `init` when given). */
export function fitHeads(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[], hyper: Hyper, init?: TwoHeads): TwoHeads {
  const train = trainableRows(rows, ids);
  const X = toMatrix(train.map((i) => feats[i]!));
  const opts = { l2: hyper.l2, l2Shape: hyper.l2Shape, tol: 1e-4, rowWeights: benchmarkBalance(rows, train) };
  return {
    weakFails: trainLogistic(X, Float64Array.from(train, (i) => (rows[i]!.weak ? 0 : 1)), { ...opts, init: init?.weakFails }),
    strongFails: trainLogistic(X, Float64Array.from(train, (i) => (rows[i]!.strong ? 0 : 1)), { ...opts, init: init?.strongFails }),
  };
}

/** Each head's probabilities on a list of feature vectors. */
export interface HeadScores {
  weakFails: Float64Array;
  strongFails: Float64Array;
}

export function headScores(feats: readonly SparseFeatures[], heads: TwoHeads): HeadScores {
  if (feats.length === 0) return { weakFails: new Float64Array(0), strongFails: new Float64Array(0) };
  const X = toMatrix(feats);
  return { weakFails: predict(X, heads.weakFails), strongFails: predict(X, heads.strongFails) };
}

export function combineScores(h: HeadScores, kappa: number): Float64Array {
  return Float64Array.from(h.weakFails, (w, i) => combineHeads(w, h.strongFails[i]!, kappa));
}

/** Mean APGR over the benchmarks (MMLU, GSM8K) present among `ids`, contaminated prompts dropped. */
export function meanApgr(rows: readonly LabeledPrompt[], ids: readonly number[], scores: ArrayLike<number>): number {
  const parts = [ids.filter((i) => isMmlu(rows[i]!)), ids.filter((i) => isGsm8k(rows[i]!))];
  const values: number[] = [];
  for (const part of parts) {
    const kept = part.filter((i) => !rows[i]!.contaminated);
    if (kept.length < 20) continue;
    const m = evaluateRouter(kept.map((i) => scores[i]!), kept.map((i) => rows[i]!.weak), kept.map((i) => rows[i]!.strong));
    if (Number.isFinite(m.apgr)) values.push(m.apgr);
  }
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}

/**
 * P(score of a random `high` item > score of a random `low` item), ties counted half (the
 * Mann-Whitney AUC): how well the router orders two groups of unlabeled chat prompts.
 */
export function rankAuc(high: ArrayLike<number>, low: ArrayLike<number>): number {
  const all = [...Array.from(high, (s) => [s, 1] as const), ...Array.from(low, (s) => [s, 0] as const)].sort((a, b) => a[0] - b[0]);
  let rankSumHigh = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j]![0] === all[i]![0]) j++;
    const midRank = (i + j + 1) / 2; // 1-based average rank of the tie run
    for (let k = i; k < j; k++) if (all[k]![1] === 1) rankSumHigh += midRank;
    i = j;
  }
  const nh = high.length;
  const nl = low.length;
  return (rankSumHigh - nh * (nh + 1) / 2) / (nh * nl);
}

/**
 * The chat development criterion: AUC of coding and maths prompts over creative-writing prompts (the
 * strong model's gain is large on the first, near zero on the second).
 */
export function chatAuc(categories: readonly string[], scores: ArrayLike<number>): number {
  const high: number[] = [];
  const low: number[] = [];
  categories.forEach((c, i) => {
    if (c === 'coding' || c === 'math') high.push(scores[i]!);
    else if (c === 'creative_writing') low.push(scores[i]!);
  });
  return high.length && low.length ? rankAuc(high, low) : Number.NaN;
}

/** The chat prompts model selection may look at: feature vectors and categories. */
export interface ChatDev {
  feats: readonly SparseFeatures[];
  categories: readonly string[];
}

export interface CrossFitOptions {
  k: number;
  seed: number;
  scheme: SplitScheme;
  /** Inner folds for the hyper-parameter choice; 0 uses `fixed` instead. */
  innerK: number;
  fixed?: Hyper & { kappa: number };
  grid?: readonly Hyper[];
  kappas?: readonly number[];
  /** Chat development prompts: when given, selection also requires them to rank sensibly. */
  chat?: ChatDev;
  log?: (line: string) => void;
}

export interface Selection {
  hyper: Hyper;
  kappa: number;
  /** Inner-CV mean APGR of the choice. */
  apgr: number;
  /** The selection criterion of the choice (see selectHyper). */
  score: number;
  chatAuc: number;
  /** Inner-CV held-out heads of every row of `ids` under the chosen hyper-parameters. */
  heldOut: HeadScores;
  /** Every candidate, for the log and the card. */
  candidates: { l2: number; l2Shape: number; kappa: number; apgr: number; chatAuc: number; score: number }[];
}

/**
 * Picks (L2, κ) on `ids` by the mean of three numbers: inner cross-validated APGR on MMLU, on
 * GSM8K, and (when chat development prompts are given) the chat AUC of a model fitted on all of
 * `ids`. Benchmark cross-validation alone chose a router that ranked chat worse than random: chat
 * gets an equal say.
 */
export function selectHyper(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[], opts: CrossFitOptions): Selection {
  const grid = opts.grid ?? HYPER_GRID;
  const kappas = opts.kappas ?? KAPPA_GRID;
  const folds = assignFolds(rows, opts.innerK, opts.seed + 1, opts.scheme, ids);
  const held = grid.map(() => ({ weakFails: new Float64Array(rows.length), strongFails: new Float64Array(rows.length) }));
  for (let f = 0; f < opts.innerK; f++) {
    const train = ids.filter((i) => folds[i] !== f);
    const test = ids.filter((i) => folds[i] === f);
    let warm: TwoHeads | undefined;
    grid.forEach((hyper, h) => {
      warm = fitHeads(rows, feats, train, hyper, warm);
      const s = headScores(test.map((i) => feats[i]!), warm);
      test.forEach((i, n) => { held[h]!.weakFails[i] = s.weakFails[n]!; held[h]!.strongFails[i] = s.strongFails[n]!; });
    });
  }
  const chatHeads: (HeadScores | null)[] = [];
  let warm: TwoHeads | undefined;
  for (const hyper of grid) {
    if (!opts.chat) { chatHeads.push(null); continue; }
    warm = fitHeads(rows, feats, ids, hyper, warm);
    chatHeads.push(headScores(opts.chat.feats, warm));
  }
  const candidates: Selection['candidates'] = [];
  grid.forEach((hyper, h) => {
    for (const kappa of kappas) {
      const apgr = meanApgr(rows, ids, combineScores(held[h]!, kappa));
      const auc = chatHeads[h] ? chatAuc(opts.chat!.categories, combineScores(chatHeads[h], kappa)) : Number.NaN;
      const score = Number.isNaN(auc) ? apgr : (2 * apgr + auc) / 3;
      candidates.push({ ...hyper, kappa, apgr, chatAuc: auc, score });
    }
  });
  const best = candidates.reduce((a, b) => (b.score > a.score ? b : a));
  const h = grid.findIndex((g) => g.l2 === best.l2 && g.l2Shape === best.l2Shape);
  opts.log?.(`  inner ${opts.scheme} CV (mean APGR / chat AUC): ${candidates.map((c) => `l2=${c.l2}/${c.l2Shape} κ=${c.kappa}: ${c.apgr.toFixed(3)}/${c.chatAuc.toFixed(3)}`).join(', ')}`);
  return { hyper: grid[h]!, kappa: best.kappa, apgr: best.apgr, score: best.score, chatAuc: best.chatAuc, heldOut: held[h]!, candidates };
}

/** Held-out score of every row, and the hyper-parameters each outer fold used. */
export function crossFit(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], opts: CrossFitOptions): { scores: Float64Array; folds: Int32Array; chosen: (Hyper & { kappa: number })[] } {
  const folds = assignFolds(rows, opts.k, opts.seed, opts.scheme);
  const scores = new Float64Array(rows.length);
  const chosen: (Hyper & { kappa: number })[] = [];
  for (let f = 0; f < opts.k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < rows.length; i++) (folds[i] === f ? test : train).push(i);
    let pick: Hyper & { kappa: number };
    if (opts.innerK > 1) {
      const sel = selectHyper(rows, feats, train, opts);
      pick = { ...sel.hyper, kappa: sel.kappa };
    } else pick = opts.fixed ?? { ...HYPER_GRID[0]!, kappa: 0.5 };
    chosen.push(pick);
    const heads = fitHeads(rows, feats, train, pick);
    const s = combineScores(headScores(test.map((i) => feats[i]!), heads), pick.kappa);
    test.forEach((i, n) => { scores[i] = s[n]!; });
    opts.log?.(`${opts.scheme} fold ${f + 1}/${opts.k}: ${test.length} held out, l2=${pick.l2} l2Shape=${pick.l2Shape} κ=${pick.kappa}`);
  }
  return { scores, folds, chosen };
}
