/**
 * Held-out evaluation of the training procedure, and of any scores against labelled prompts, with
 * RouteLLM's metrics and the two baselines the issue asks for: a seeded random router (10 runs)
 * and a length-only router.
 */
import type { SparseFeatures } from './featurizer.js';
import { crossFit, isGsm8k, isMmlu, type ChatDev, type SplitScheme } from './cross-fit.js';
import type { BaselineMetrics, BenchmarkEvaluation, SchemeEvaluation, Spread } from './model-card.js';
import { createRng } from './prng.js';
import type { LabeledPrompt } from './routing-data.js';
import { evaluateRouter } from './routing-metrics.js';

export const RANDOM_RUNS = 10;

export const PROTOCOL = 'RouteLLM evals: 11 decile edges of the scores as thresholds (strong iff score >= edge, last edge strict), '
  + 'quality = mean correctness of the routed answers, APGR = trapezoid area of PGR over strong share, '
  + 'PGR normalised by weak and strong quality on the same prompts, CPT(x) = strong share at PGR = x; '
  + 'contaminated prompts (RouteLLM lists) removed from evaluation. Router scores are cross-fitted '
  + '(k outer folds; each fold scored by a model trained without it, L2 per head, κ and length weight β chosen by an inner CV on the '
  + 'training folds only: best mean of MMLU and GSM8K APGR among candidates whose chat dev AUC reaches the floor); '
  + 'scheme `subjects` keeps each MMLU subject inside one fold.';

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
  const lengthPerFold: number[] = [];
  if (foldOf) {
    const folds = new Set(Array.from({ length: rows.length }, (_, i) => foldOf[i]!));
    for (const f of [...folds].sort((a, b) => a - b)) {
      const ids = rows.map((_, i) => i).filter((i) => foldOf[i] === f);
      const w = ids.map((i) => weak[i]!);
      const s = ids.map((i) => strong[i]!);
      perFold.push(evaluateRouter(ids.map((i) => scores[i]!), w, s).apgr);
      lengthPerFold.push(evaluateRouter(ids.map((i) => rows[i]!.prompt.length), w, s).apgr);
    }
  }
  const spread = (xs: number[], whole: number): { mean: number; min: number; max: number } => (xs.length
    ? { mean: mean(xs), min: Math.min(...xs), max: Math.max(...xs) }
    : { mean: whole, min: whole, max: whole });
  const length = evaluateRouter(rows.map((r) => r.prompt.length), weak, strong);
  return {
    benchmark: name,
    n: rows.length,
    weakQuality: router.weakQuality,
    strongQuality: router.strongQuality,
    router: pick(router),
    perFoldApgr: spread(perFold, router.apgr),
    random: {
      runs: RANDOM_RUNS,
      apgr: rMean,
      apgrSd: Math.sqrt(mean(rApgr.map((a) => (a - rMean) ** 2))),
      cpt50: mean(randoms.map((m) => m.cpt50)),
      cpt80: mean(randoms.map((m) => m.cpt80)),
    },
    length: pick(length),
    lengthPerFoldApgr: spread(lengthPerFold, length.apgr),
  };
}

export interface SchemeOptions {
  scheme: SplitScheme;
  k: number;
  innerK: number;
  /** Inner cross-validations averaged per choice (see CrossFitOptions). */
  repeats?: number;
  seed: number;
  chat?: ChatDev;
  log?: (line: string) => void;
}

/** Cross-fits the whole training procedure under one fold scheme and evaluates MMLU and GSM8K. */
export function evaluateScheme(rows: readonly LabeledPrompt[], feats: readonly SparseFeatures[], opts: SchemeOptions): SchemeEvaluation {
  const { scores, folds, chosen } = crossFit(rows, feats, opts);
  const benchmarks: BenchmarkEvaluation[] = [];
  for (const [name, test] of [['mmlu', isMmlu], ['gsm8k', isGsm8k]] as const) {
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
    lines.push(`  APGR per outer fold (one model each): classifier mean ${f3(b.perFoldApgr.mean)} (${f3(b.perFoldApgr.min)}..${f3(b.perFoldApgr.max)}), `
      + `length mean ${f3(b.lengthPerFoldApgr.mean)} (${f3(b.lengthPerFoldApgr.min)}..${f3(b.lengthPerFoldApgr.max)})`);
  }
  return lines.join('\n');
}


/** One scheme × benchmark, summarised over fold seeds. */
export interface EvaluationSummary {
  scheme: string;
  benchmark: string;
  seeds: number[];
  router: { apgr: Spread; cpt50: Spread; cpt80: Spread };
  random: { apgr: Spread };
  length: { apgr: Spread };
}

function spreadOf(xs: number[]): Spread {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean: m, sd: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) };
}

/** Groups repeated scheme evaluations (different fold seeds) by scheme and benchmark. */
export function summarize(runs: readonly SchemeEvaluation[]): EvaluationSummary[] {
  const out: EvaluationSummary[] = [];
  const keys = new Set(runs.flatMap((r) => r.benchmarks.map((b) => `${r.scheme}\u0000${b.benchmark}`)));
  for (const key of keys) {
    const [scheme, benchmark] = key.split('\u0000') as [string, string];
    const picked = runs.filter((r) => r.scheme === scheme).flatMap((r) => r.benchmarks.filter((b) => b.benchmark === benchmark).map((b) => ({ seed: r.seed, b })));
    const bs = picked.map((p) => p.b);
    out.push({
      scheme, benchmark, seeds: picked.map((p) => p.seed),
      router: { apgr: spreadOf(bs.map((b) => b.router.apgr)), cpt50: spreadOf(bs.map((b) => b.router.cpt50)), cpt80: spreadOf(bs.map((b) => b.router.cpt80)) },
      random: { apgr: spreadOf(bs.map((b) => b.random.apgr)) },
      length: { apgr: spreadOf(bs.map((b) => b.length.apgr)) },
    });
  }
  return out;
}

/** One line per summary: mean ± sd over the fold seeds. */
export function formatSummary(rows: readonly EvaluationSummary[]): string {
  const pm = (s: Spread): string => `${f3(s.mean)} ± ${f3(s.sd)}`;
  return [
    'scheme    benchmark  seeds  classifier APGR   CPT(50%)          CPT(80%)          random APGR   length APGR',
    ...rows.map((r) => `${r.scheme.padEnd(9)} ${r.benchmark.padEnd(10)} ${String(r.seeds.length).padEnd(6)} ${pm(r.router.apgr)}   ${pm(r.router.cpt50)}   ${pm(r.router.cpt80)}   ${f3(r.random.apgr.mean)}         ${f3(r.length.apgr.mean)}`),
  ].join('\n');
}
