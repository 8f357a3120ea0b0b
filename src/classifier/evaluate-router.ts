/**
 * Held-out evaluation of the training procedure, and of any scores against labelled prompts, with
 * RouteLLM's metrics and the two baselines the issue asks for: a seeded random router (10 runs)
 * and a length-only router.
 */
import type { SparseFeatures } from './featurizer.js';
import { crossFit, isMmlu, type SplitScheme } from './cross-fit.js';
import type { BaselineMetrics, BenchmarkEvaluation, SchemeEvaluation } from './model-card.js';
import { createRng } from './prng.js';
import type { LabeledPrompt } from './routing-data.js';
import { evaluateRouter } from './routing-metrics.js';

export const RANDOM_RUNS = 10;

export const PROTOCOL = 'RouteLLM evals: 11 decile edges of the scores as thresholds (strong iff score >= edge, last edge strict), '
  + 'quality = mean correctness of the routed answers, APGR = trapezoid area of PGR over strong share, '
  + 'PGR normalised by weak and strong quality on the same prompts, CPT(x) = strong share at PGR = x; '
  + 'contaminated prompts (RouteLLM lists) removed from evaluation. Router scores are cross-fitted '
  + '(k outer folds; each fold scored by a model trained without it, L2 chosen by an inner CV on the '
  + 'training folds only); scheme `subjects` keeps each MMLU subject inside one fold.';

function pick(m: { apgr: number; cpt50: number; cpt80: number }): BaselineMetrics {
  return { apgr: m.apgr, cpt50: m.cpt50, cpt80: m.cpt80 };
}

/** Router, random and length metrics of one benchmark's prompts (already decontaminated). */
export function evaluateBenchmark(name: string, rows: readonly LabeledPrompt[], scores: ArrayLike<number>, seed: number, foldOf?: ArrayLike<number>): BenchmarkEvaluation {
  const weak = rows.map((r) => r.weak);
  const strong = rows.map((r) => r.strong);
  const router = evaluateRouter(scores, weak, strong);
  const randoms = [];
  for (let run = 0; run < RANDOM_RUNS; run++) {
    const rng = createRng(seed * 1000 + run);
    randoms.push(evaluateRouter(rows.map(() => rng()), weak, strong));
  }
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rApgr = randoms.map((m) => m.apgr);
  const rMean = mean(rApgr);
  const perFold: number[] = [];
  if (foldOf) {
    const folds = new Set(Array.from({ length: rows.length }, (_, i) => foldOf[i]!));
    for (const f of [...folds].sort((a, b) => a - b)) {
      const ids = rows.map((_, i) => i).filter((i) => foldOf[i] === f);
      perFold.push(evaluateRouter(ids.map((i) => scores[i]!), ids.map((i) => weak[i]!), ids.map((i) => strong[i]!)).apgr);
    }
  }
  return {
    benchmark: name,
    n: rows.length,
    weakQuality: router.weakQuality,
    strongQuality: router.strongQuality,
    router: pick(router),
    perFoldApgr: perFold.length
      ? { mean: mean(perFold), min: Math.min(...perFold), max: Math.max(...perFold) }
      : { mean: router.apgr, min: router.apgr, max: router.apgr },
    random: {
      runs: RANDOM_RUNS,
      apgr: rMean,
      apgrSd: Math.sqrt(mean(rApgr.map((a) => (a - rMean) ** 2))),
      cpt50: mean(randoms.map((m) => m.cpt50)),
      cpt80: mean(randoms.map((m) => m.cpt80)),
    },
    length: pick(evaluateRouter(rows.map((r) => r.prompt.length), weak, strong)),
  };
}

export interface SchemeOptions {
  scheme: SplitScheme;
  k: number;
  innerK: number;
  seed: number;
  log?: (line: string) => void;
}

/** Cross-fits the whole training procedure under one fold scheme and evaluates MMLU and GSM8K. */
export function evaluateScheme(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], opts: SchemeOptions): SchemeEvaluation {
  const { scores, folds, chosen } = crossFit(rows, feats, opts);
  const benchmarks: BenchmarkEvaluation[] = [];
  for (const [name, test] of [['mmlu', isMmlu], ['gsm8k', (r: LabeledPrompt) => r.group === 'gsm8k']] as const) {
    const ids = rows.map((_, i) => i).filter((i) => test(rows[i]!) && !rows[i]!.contaminated);
    if (ids.length === 0) continue;
    benchmarks.push(evaluateBenchmark(name, ids.map((i) => rows[i]!), ids.map((i) => scores[i]!), opts.seed, ids.map((i) => folds[i]!)));
  }
  return { scheme: opts.scheme, k: opts.k, innerK: opts.innerK, seed: opts.seed, chosen, benchmarks };
}

function f3(x: number): string {
  return Number.isFinite(x) ? x.toFixed(3) : 'n/a';
}

/** A plain-text table of one benchmark evaluation. */
export function formatBenchmark(b: BenchmarkEvaluation, title: string): string {
  const lines = [
    `${title}: ${b.n} prompts, weak quality ${f3(b.weakQuality)}, strong quality ${f3(b.strongQuality)}`,
    '  router                 APGR    CPT(50%)  CPT(80%)',
    `  classifier             ${f3(b.router.apgr)}   ${f3(b.router.cpt50)}     ${f3(b.router.cpt80)}`,
    `  random (${b.random.runs} runs)       ${f3(b.random.apgr)}   ${f3(b.random.cpt50)}     ${f3(b.random.cpt80)}    (APGR sd ${f3(b.random.apgrSd)})`,
    `  length only            ${f3(b.length.apgr)}   ${f3(b.length.cpt50)}     ${f3(b.length.cpt80)}`,
  ];
  if (b.perFoldApgr.min !== b.perFoldApgr.max) {
    lines.push(`  classifier APGR per fold: mean ${f3(b.perFoldApgr.mean)}, min ${f3(b.perFoldApgr.min)}, max ${f3(b.perFoldApgr.max)}`);
  }
  return lines.join('\n');
}
