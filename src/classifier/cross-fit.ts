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
 *
 * Then prompt length is blended in (see router-model.ts): z = g/sd(g) + β·x/sd(x), x the
 * `log_chars/8` slot, score = sigmoid(z − median z), the scales and median taken from held-out
 * (inner cross-validated) scores. β is chosen with κ and the L2 strengths.
 */
import { type SparseFeatures } from './featurizer.js';
import { createRng, shuffleInPlace } from './prng.js';
import type { LabeledPrompt } from './routing-data.js';
import { evaluateRouter } from './routing-metrics.js';
import { blendScore, combineHeads, logCharsOf, type LengthBlend } from './router-model.js';
import { predict, toMatrix, trainLogistic, type LinearModel } from './train-logistic.js';

export const SPLIT_SCHEMES = ['random', 'subjects'] as const;
export type SplitScheme = (typeof SPLIT_SCHEMES)[number];

export interface Hyper {
  /** L2 on the hashed n-gram weights of the weak-fails head. */
  l2Weak: number;
  /** L2 on the hashed n-gram weights of the strong-fails head. */
  l2Strong: number;
  /** L2 on the shape buckets (both heads). */
  l2Shape: number;
}

/** L2 candidates per head (each head is fitted once per value; every pair is a candidate). */
export const WEAK_L2_GRID: readonly number[] = [5e-4, 1e-3];
export const STRONG_L2_GRID: readonly number[] = [5e-4, 2e-3];
export const SHAPE_L2 = 1e-5;

/** Candidates for κ (combining the heads costs nothing: every κ is scored from the same two fits). */
export const KAPPA_GRID: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

/** Candidates for the length weight β of the blend (free too: scored from the same fits). */
export const BETA_GRID: readonly number[] = [0, 0.25, 0.5, 0.75, 1, 1.5];

/**
 * Chat development AUC a candidate must reach to be chosen on benchmark APGR: coding and maths
 * must rank clearly above creative writing (a router below this sends chat traffic the wrong way,
 * whatever it does on benchmarks). The value is the dev AUC of the previous shipped build
 * (0.756): a new build must rank the dev part no worse. It is set from the dev part alone; the
 * check part never moves it.
 */
export const CHAT_AUC_FLOOR = 0.756;

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

/**
 * Fold (0..k-1) of each row. Benchmark rows (MMLU, GSM8K) are assigned first from the seed alone,
 * other rows (the chat weak-label rows) from a stream of their own: which chat rows are trained on
 * never moves a benchmark prompt to another fold, so recipes with different chat rows are compared
 * on the same folds.
 */
export function assignFolds(rows: readonly LabeledPrompt[], k: number, seed: number, scheme: SplitScheme, subset?: readonly number[]): Int32Array {
  const ids = subset ? [...subset] : rows.map((_, i) => i);
  const fold = new Int32Array(rows.length).fill(-1);
  const bench = ids.filter((i) => isMmlu(rows[i]!) || isGsm8k(rows[i]!));
  const other = ids.filter((i) => !isMmlu(rows[i]!) && !isGsm8k(rows[i]!));
  shuffleInPlace(other, createRng(seed ^ 0x5bd1e995)).forEach((i, n) => { fold[i] = n % k; });
  const rng = createRng(seed);
  shuffleInPlace(bench, rng).forEach((i, n) => { fold[i] = n % k; });
  if (scheme === 'subjects') {
    const sizes = new Map<string, number>();
    for (const i of bench) if (isMmlu(rows[i]!)) sizes.set(rows[i]!.group, (sizes.get(rows[i]!.group) ?? 0) + 1);
    // Largest subjects first into the lightest fold; the shuffle breaks ties between equal sizes.
    const groups = shuffleInPlace([...sizes.keys()].sort(), rng).sort((a, b) => sizes.get(b)! - sizes.get(a)!);
    const load = new Array<number>(k).fill(0);
    const groupFold = new Map<string, number>();
    for (const g of groups) {
      const f = load.indexOf(Math.min(...load));
      groupFold.set(g, f);
      load[f] += sizes.get(g)!;
    }
    for (const i of bench) if (isMmlu(rows[i]!)) fold[i] = groupFold.get(rows[i]!.group)!;
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
 * Row weights that give GSM8K as much total weight as MMLU (MMLU rows weigh 1, chat rows their own `weight`). MMLU
 * has 13× the rows; unweighted, the heads learn MMLU's multiple-choice world, and free-form requests
 * (GSM8K's kind, and chat's) were ranked by what holds there. A GSM8K row's own `weight`, when set,
 * multiplies its balanced weight (development runs use it to give GSM8K more than MMLU's share).
 */
export function benchmarkBalance(rows: readonly LabeledPrompt[], ids: readonly number[]): Float64Array {
  let mmlu = 0;
  let gsm = 0;
  for (const i of ids) { if (isMmlu(rows[i]!)) mmlu++; else if (isGsm8k(rows[i]!)) gsm++; }
  const w = gsm > 0 && mmlu > 0 ? mmlu / gsm : 1;
  return Float64Array.from(ids, (i) => (isGsm8k(rows[i]!) ? w * (rows[i]!.weight ?? 1) : rows[i]!.weight ?? 1));
}

type HeadName = 'weakFails' | 'strongFails';

/** Training inputs of `ids` shared by every head fit on them. */
interface HeadData {
  X: ReturnType<typeof toMatrix>;
  train: number[];
  rowWeights: Float64Array;
}

function headData(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[]): HeadData {
  const train = trainableRows(rows, ids);
  return { X: toMatrix(train.map((i) => feats[i]!)), train, rowWeights: benchmarkBalance(rows, train) };
}

/** One head fitted from a cold start (warm starts stopped early at the loose tolerance, which acted as extra, uncontrolled regularisation). */
function fitHead(rows: readonly LabeledPrompt[], d: HeadData, head: HeadName, l2: number, l2Shape: number): LinearModel {
  const y = Float64Array.from(d.train, (i) => ((head === 'weakFails' ? rows[i]!.weak : rows[i]!.strong) ? 0 : 1));
  return trainLogistic(d.X, y, { l2, l2Shape, tol: 1e-4, rowWeights: d.rowWeights });
}

/** Both heads trained on `ids`. */
export function fitHeads(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[], hyper: Hyper): TwoHeads {
  const d = headData(rows, feats, ids);
  return { weakFails: fitHead(rows, d, 'weakFails', hyper.l2Weak, hyper.l2Shape), strongFails: fitHead(rows, d, 'strongFails', hyper.l2Strong, hyper.l2Shape) };
}

/**
 * Bagging: each head fitted on `bags` bootstrap resamples of its training rows, the fits' weights
 * and biases averaged. For a linear model that average is the average of the fits' logits, so a
 * bagged router is still one pair of linear heads (same file, same cost to score).
 */
export interface Bagging {
  bags: number;
  seed: number;
  /** Resample whole MMLU subjects (a subject drawn c times weighs c times); other rows as rows. */
  groups?: boolean;
}

/** How many times each of `ids` is drawn in one bootstrap resample. */
export function bootstrapCounts(rows: readonly LabeledPrompt[], ids: readonly number[], rng: () => number, groups: boolean): Float64Array {
  const counts = new Float64Array(ids.length);
  const draw = (members: readonly number[]): void => {
    for (let n = 0; n < members.length; n++) counts[members[Math.floor(rng() * members.length)]!]! += 1;
  };
  if (!groups) { draw(ids.map((_, n) => n)); return counts; }
  const bySubject = new Map<string, number[]>();
  const loose: number[] = [];
  ids.forEach((i, n) => {
    if (!isMmlu(rows[i]!)) { loose.push(n); return; }
    const g = bySubject.get(rows[i]!.group) ?? [];
    g.push(n);
    bySubject.set(rows[i]!.group, g);
  });
  const subjects = [...bySubject.keys()].sort();
  for (let s = 0; s < subjects.length; s++) for (const n of bySubject.get(subjects[Math.floor(rng() * subjects.length)]!)!) counts[n]! += 1;
  draw(loose.filter((n) => isGsm8k(rows[ids[n]!]!)));
  draw(loose.filter((n) => !isGsm8k(rows[ids[n]!]!)));
  return counts;
}

function averageModels(models: readonly LinearModel[]): LinearModel {
  const weights = new Float64Array(models[0]!.weights.length);
  let bias = 0;
  for (const m of models) {
    for (let j = 0; j < weights.length; j++) weights[j] += m.weights[j]! / models.length;
    bias += m.bias / models.length;
  }
  return { weights, bias };
}

/** Both heads trained on `ids`, each the average of `bagging.bags` fits on bootstrap resamples. */
export function fitBaggedHeads(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[], hyper: Hyper, bagging: Bagging): TwoHeads {
  const full = headData(rows, feats, ids);
  const rng = createRng(bagging.seed);
  const weak: LinearModel[] = [];
  const strong: LinearModel[] = [];
  for (let b = 0; b < bagging.bags; b++) {
    const counts = bootstrapCounts(rows, full.train, rng, bagging.groups ?? false);
    const keep = full.train.flatMap((_, n) => (counts[n]! > 0 ? [n] : []));
    const d: HeadData = {
      X: toMatrix(keep.map((n) => feats[full.train[n]!]!)),
      train: keep.map((n) => full.train[n]!),
      rowWeights: Float64Array.from(keep, (n) => full.rowWeights[n]! * counts[n]!),
    };
    weak.push(fitHead(rows, d, 'weakFails', hyper.l2Weak, hyper.l2Shape));
    strong.push(fitHead(rows, d, 'strongFails', hyper.l2Strong, hyper.l2Shape));
  }
  return { weakFails: averageModels(weak), strongFails: averageModels(strong) };
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

/** The final scores of rows with combined gains `gains` and `log_chars/8` values `logChars`. */
export function blendScores(gains: ArrayLike<number>, logChars: ArrayLike<number>, blend: LengthBlend): Float64Array {
  return Float64Array.from({ length: gains.length }, (_, i) => blendScore(gains[i]!, logChars[i]!, blend));
}

function sdOf(xs: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i]!;
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - m) ** 2;
  return Math.sqrt(v / xs.length);
}

/**
 * The blend for length weight β from held-out gains and log lengths: z = g/sd(g) + β·x/sd(x),
 * centred on its median (so the score is 0.5 at the middle of the training prompts).
 */
export function fitBlend(gains: ArrayLike<number>, logChars: ArrayLike<number>, beta: number): LengthBlend {
  const sg = sdOf(gains) || 1;
  const sl = sdOf(logChars) || 1;
  const gain = 1 / sg;
  const lc = beta / sl;
  const z = Float64Array.from({ length: gains.length }, (_, i) => gain * gains[i]! + lc * logChars[i]!).sort();
  const mid = z.length ? (z[(z.length - 1) >> 1]! + z[z.length >> 1]!) / 2 : 0;
  return { gain, logChars: lc, bias: -mid };
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

/** Everything a selection chooses: L2 strengths, κ, β, and the blend they give. */
export interface Pick extends Hyper {
  kappa: number;
  beta: number;
  blend: LengthBlend;
}

export interface CrossFitOptions {
  k: number;
  seed: number;
  scheme: SplitScheme;
  /** Inner folds for the hyper-parameter choice; 0 uses `fixed` instead. */
  innerK: number;
  /**
   * Inner cross-validations with different fold seeds whose APGRs are averaged (default 1): with
   * whole subjects held out, which subjects share a fold moves a candidate's APGR by a few
   * hundredths, more than the candidates differ.
   */
  repeats?: number;
  fixed?: Hyper & { kappa: number; beta: number };
  weakGrid?: readonly number[];
  strongGrid?: readonly number[];
  kappas?: readonly number[];
  betas?: readonly number[];
  /** Chat development prompts: when given, selection also requires them to rank sensibly. */
  chat?: ChatDev;
  log?: (line: string) => void;
}

export interface Candidate {
  l2Weak: number;
  l2Strong: number;
  kappa: number;
  beta: number;
  mmluApgr: number;
  gsm8kApgr: number;
  apgr: number;
  chatAuc: number;
  score: number;
}

export interface Selection {
  pick: Pick;
  /** Inner-CV mean APGR of the choice. */
  apgr: number;
  chatAuc: number;
  /** Inner-CV held-out heads of every row of `ids` under the chosen L2 strengths (the first repeat). */
  heldOut: HeadScores;
  /** Every candidate, for the log and the card. */
  candidates: Candidate[];
}

/** APGR of one benchmark among `ids` (contaminated prompts dropped), NaN when too few. */
function benchmarkApgr(rows: readonly LabeledPrompt[], ids: readonly number[], scores: ArrayLike<number>, test: (r: LabeledPrompt) => boolean): number {
  const kept = ids.filter((i) => test(rows[i]!) && !rows[i]!.contaminated);
  if (kept.length < 20) return Number.NaN;
  return evaluateRouter(kept.map((i) => scores[i]!), kept.map((i) => rows[i]!.weak), kept.map((i) => rows[i]!.strong)).apgr;
}

/**
 * The rule: among candidates whose chat dev AUC reaches CHAT_AUC_FLOOR, the best mean APGR
 * (MMLU and GSM8K); if none does (or without chat prompts), the best mean of (APGR, APGR, AUC).
 */
function choose(candidates: readonly Candidate[]): Candidate {
  const ok = candidates.filter((c) => c.chatAuc >= CHAT_AUC_FLOOR);
  if (ok.length) return ok.reduce((a, b) => (b.apgr > a.apgr ? b : a));
  return candidates.reduce((a, b) => (b.score > a.score ? b : a));
}

/**
 * Picks (L2 per head, κ, β) on `ids`: inner cross-validated APGR on MMLU and GSM8K, and the chat
 * AUC of heads fitted on all of `ids` (see `choose`). Benchmark cross-validation alone chose a
 * router that ranked chat worse than random: chat sets a floor.
 */
export function selectHyper(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], ids: readonly number[], opts: CrossFitOptions): Selection {
  const weakGrid = opts.weakGrid ?? WEAK_L2_GRID;
  const strongGrid = opts.strongGrid ?? STRONG_L2_GRID;
  const kappas = opts.kappas ?? KAPPA_GRID;
  const betas = opts.betas ?? BETA_GRID;
  const repeats = Math.max(1, opts.repeats ?? 1);
  // held[r][h]: the held-out probabilities of repeat r under the h-th L2 strength of the grid.
  const heldWeak: Float64Array[][] = [];
  const heldStrong: Float64Array[][] = [];
  for (let r = 0; r < repeats; r++) {
    const folds = assignFolds(rows, opts.innerK, opts.seed + 1 + 1000 * r, opts.scheme, ids);
    const weak = weakGrid.map(() => new Float64Array(rows.length));
    const strong = strongGrid.map(() => new Float64Array(rows.length));
    for (let f = 0; f < opts.innerK; f++) {
      const d = headData(rows, feats, ids.filter((i) => folds[i] !== f));
      const test = ids.filter((i) => folds[i] === f);
      const X = toMatrix(test.map((i) => feats[i]!));
      weakGrid.forEach((l2, h) => { const p = predict(X, fitHead(rows, d, 'weakFails', l2, SHAPE_L2)); test.forEach((i, n) => { weak[h]![i] = p[n]!; }); });
      strongGrid.forEach((l2, h) => { const p = predict(X, fitHead(rows, d, 'strongFails', l2, SHAPE_L2)); test.forEach((i, n) => { strong[h]![i] = p[n]!; }); });
    }
    heldWeak.push(weak);
    heldStrong.push(strong);
  }
  let chatWeak: Float64Array[] = [];
  let chatStrong: Float64Array[] = [];
  if (opts.chat) {
    const d = headData(rows, feats, ids);
    const Xc = toMatrix(opts.chat.feats);
    chatWeak = weakGrid.map((l2) => predict(Xc, fitHead(rows, d, 'weakFails', l2, SHAPE_L2)));
    chatStrong = strongGrid.map((l2) => predict(Xc, fitHead(rows, d, 'strongFails', l2, SHAPE_L2)));
  }
  const logChars = Float64Array.from(ids, (i) => logCharsOf(feats[i]!));
  const chatLogChars = opts.chat ? opts.chat.feats.map(logCharsOf) : [];
  const all = Float64Array.from({ length: rows.length });
  const candidates: Candidate[] = [];
  const blends = new Map<Candidate, LengthBlend>();
  const mean = (xs: number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
  weakGrid.forEach((l2Weak, a) => strongGrid.forEach((l2Strong, b) => {
    for (const kappa of kappas) {
      const gains = heldWeak.map((w, r) => ids.map((i) => combineHeads(w[a]![i]!, heldStrong[r]![b]![i]!, kappa)));
      const chatGains = opts.chat ? chatWeak[a]!.map((w, n) => combineHeads(w, chatStrong[b]![n]!, kappa)) : [];
      for (const beta of betas) {
        const mmlu: number[] = [];
        const gsm8k: number[] = [];
        const repeatBlends = gains.map((g) => fitBlend(g, logChars, beta));
        const blend = repeatBlends[0]!; // the first repeat's blend is the one a pick carries
        gains.forEach((g, r) => {
          const s = blendScores(g, logChars, repeatBlends[r]!);
          ids.forEach((i, n) => { all[i] = s[n]!; });
          mmlu.push(benchmarkApgr(rows, ids, all, isMmlu));
          gsm8k.push(benchmarkApgr(rows, ids, all, isGsm8k));
        });
        const mmluApgr = mean(mmlu);
        const gsm8kApgr = mean(gsm8k);
        const parts = [mmluApgr, gsm8kApgr].filter(Number.isFinite);
        const apgr = parts.length ? parts.reduce((x, y) => x + y, 0) / parts.length : Number.NaN;
        const auc = opts.chat ? chatAuc(opts.chat.categories, blendScores(chatGains, chatLogChars, blend)) : Number.NaN;
        const score = Number.isNaN(auc) ? apgr : (2 * apgr + auc) / 3;
        const c = { l2Weak, l2Strong, kappa, beta, mmluApgr, gsm8kApgr, apgr, chatAuc: auc, score };
        candidates.push(c);
        blends.set(c, blend);
      }
    }
  }));
  const best = choose(candidates);
  opts.log?.(`  inner ${opts.scheme} CV ×${repeats} (MMLU/GSM8K APGR, chat AUC): ${candidates.map((c) => `wl=${c.l2Weak} sl=${c.l2Strong} κ=${c.kappa} β=${c.beta}: ${c.mmluApgr.toFixed(3)}/${c.gsm8kApgr.toFixed(3)} ${c.chatAuc.toFixed(3)}`).join(', ')}`);
  const a = weakGrid.indexOf(best.l2Weak);
  const b = strongGrid.indexOf(best.l2Strong);
  return {
    pick: { l2Weak: best.l2Weak, l2Strong: best.l2Strong, l2Shape: SHAPE_L2, kappa: best.kappa, beta: best.beta, blend: blends.get(best)! },
    apgr: best.apgr,
    chatAuc: best.chatAuc,
    heldOut: { weakFails: heldWeak[0]![a]!, strongFails: heldStrong[0]![b]! },
    candidates,
  };
}

/** Held-out score of every row, and the choices each outer fold made. */
export function crossFit(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], opts: CrossFitOptions): { scores: Float64Array; folds: Int32Array; chosen: Pick[] } {
  const folds = assignFolds(rows, opts.k, opts.seed, opts.scheme);
  const scores = new Float64Array(rows.length);
  const chosen: Pick[] = [];
  for (let f = 0; f < opts.k; f++) {
    const train: number[] = [];
    const test: number[] = [];
    for (let i = 0; i < rows.length; i++) (folds[i] === f ? test : train).push(i);
    let pick: Pick;
    if (opts.innerK > 1) pick = selectHyper(rows, feats, train, opts).pick;
    else {
      const fixed = opts.fixed ?? { l2Weak: WEAK_L2_GRID[0]!, l2Strong: STRONG_L2_GRID[0]!, l2Shape: SHAPE_L2, kappa: 0.5, beta: 0 };
      pick = { ...fixed, blend: { gain: 1, logChars: 0, bias: 0 } };
    }
    chosen.push(pick);
    const heads = fitHeads(rows, feats, train, pick);
    const gains = combineScores(headScores(test.map((i) => feats[i]!), heads), pick.kappa);
    const s = blendScores(gains, test.map((i) => logCharsOf(feats[i]!)), pick.blend);
    test.forEach((i, n) => { scores[i] = s[n]!; });
    opts.log?.(`${opts.scheme} fold ${f + 1}/${opts.k}: ${test.length} held out, l2 weak ${pick.l2Weak} strong ${pick.l2Strong} κ=${pick.kappa} β=${pick.beta}`);
  }
  return { scores, folds, chosen };
}
