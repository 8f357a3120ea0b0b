/**
 * The JSON card shipped next to each `models/router-<name>.bin`: what the model computes, the
 * featurizer version it needs, where its data came from (with checksums), its evaluation, how it
 * ranks chat prompts, and the score percentiles (per traffic mix) that turn a target strong share
 * into a threshold.
 */
import fs from 'node:fs';
import { LocalRouterError } from '../errors/index.js';
import { FEATURIZER_VERSION } from './featurizer.js';

export const ROUTELLM_ATTRIBUTION = 'Trained on correctness labels from RouteLLM (lm-sys/RouteLLM), Apache License 2.0.';
export const ARENA_HARD_ATTRIBUTION = 'Uses prompts from Arena-Hard-Auto (lmarena), Apache License 2.0.';

export interface Spread {
  mean: number;
  sd: number;
}

export interface BaselineMetrics {
  apgr: number;
  cpt50: number;
  cpt80: number;
}

/** One benchmark's held-out evaluation under one fold scheme. */
export interface BenchmarkEvaluation {
  benchmark: 'mmlu' | 'gsm8k' | string;
  /** Prompts evaluated (contaminated ones removed). */
  n: number;
  weakQuality: number;
  strongQuality: number;
  router: BaselineMetrics;
  /** APGR of each outer fold on its own (one model per fold), mean and min..max. */
  perFoldApgr: { mean: number; min: number; max: number };
  /** Seeded uniform random scores, mean (and sd of APGR) over the runs. */
  random: BaselineMetrics & { runs: number; apgrSd: number };
  /** Score = prompt length in characters. */
  length: BaselineMetrics;
  /** The length router's APGR per outer fold, for comparison with `perFoldApgr`. */
  lengthPerFoldApgr: { mean: number; min: number; max: number };
}

export interface SchemeEvaluation {
  scheme: string;
  k: number;
  innerK: number;
  seed: number;
  /** Hyper-parameters the inner selection chose in each outer fold. */
  chosen: { l2Weak: number; l2Strong: number; l2Shape: number; kappa: number; beta: number; blend: { gain: number; logChars: number; bias: number } }[];
  benchmarks: BenchmarkEvaluation[];
}

/** Score distribution of one category of chat prompts. */
export interface CategoryScores {
  category: string;
  n: number;
  mean: number;
  p10: number;
  p50: number;
  p90: number;
}

/** How the router scores one part of the chat set (no labels: a ranking and distributions). */
export interface ChatPartReport {
  part: string;
  /** P(score of a coding or maths prompt > score of a creative-writing prompt); null without those categories. */
  auc: number | null;
  categories: CategoryScores[];
}

/** Score percentiles of one traffic mix (index p = the p-th percentile). */
export interface MixCalibration {
  source: string;
  n: number;
  percentiles: number[];
}

export interface ModelCard {
  name: string;
  modelFile: string;
  modelSha256: string;
  modelBytes: number;
  format: { name: string; version: number; layout: string };
  featurizer: { version: string; dim: number; input: string; where: string; shapeNames: readonly string[] };
  score: string;
  models: { weak: string; strong: string };
  training: {
    algorithm: string;
    objective: string;
    /** The knob: weight of P(strong fails) in the score. */
    kappa: number;
    seed: number;
    /** Weight of prompt length in the blend, and the blend it gave (see router-model.ts). */
    beta: number;
    blend: { gain: number; logChars: number; bias: number };
    hyper: { l2Weak: number; l2Strong: number; l2Shape: number };
    hyperSelection: string;
    candidates: { l2Weak: number; l2Strong: number; kappa: number; beta: number; mmluApgr: number; gsm8kApgr: number; apgr: number; chatAuc: number; score: number }[];
    rows: number;
    /** Chat weak-label rows trained on (arena-hard v2.0 `ties` part). */
    chatRows: number;
    excludedGroups: string[];
  };
  data: { source: string; license: string; root: string; files: { path: string; sha256: string; rows: number }[] };
  chatData: { source: string; license: string; use: string; files: { path: string; sha256: string; rows: number }[] };
  attribution: string;
  chatAttribution: string;
  /**
   * `percentiles` (and `deciles`) are those of the chat mix, the default for `auto` routing and
   * `router calibrate`; `mixes` holds both mixes and `table` the thresholds per strong share.
   */
  calibration: {
    source: string;
    deciles: number[];
    percentiles: number[];
    mixes: { chat: MixCalibration; benchmark: MixCalibration };
    table: { strongShare: number; chatThreshold: number; benchmarkThreshold: number; chatShareAtBenchmarkThreshold: number }[];
  };
  chat: ChatPartReport[];
  /** Held-out evaluation of the training procedure (`npm run router:eval -- --write-card`). */
  metrics: {
    protocol: string;
    /** Mean ± sd over the fold seeds, per scheme and benchmark. */
    summary: {
      scheme: string; benchmark: string; seeds: number[];
      router: { apgr: Spread; cpt50: Spread; cpt80: Spread }; random: { apgr: Spread }; length: { apgr: Spread };
    }[];
    runs: SchemeEvaluation[];
  } | null;
}

/** The card path of a model file: `router-x.bin` → `router-x.json`. */
export function cardPathFor(modelPath: string): string {
  return modelPath.replace(/\.bin$/, '') + '.json';
}

/** Reads a card and checks it matches this build's featurizer. */
export function readModelCard(path: string): ModelCard {
  let card: ModelCard;
  try {
    card = JSON.parse(fs.readFileSync(path, 'utf8')) as ModelCard;
  } catch (err) {
    throw new LocalRouterError('LR_ERR_CLASSIFIER', `cannot read the router model card ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (card.featurizer?.version !== FEATURIZER_VERSION) {
    throw new LocalRouterError('LR_ERR_CLASSIFIER', `router model card ${path} needs featurizer ${String(card.featurizer?.version)}, this build has ${FEATURIZER_VERSION}`);
  }
  return card;
}

/**
 * The score threshold that sends about `strongShare` of prompts to the strong model, from sorted
 * percentiles (index p = the p-th percentile): the (1 - share) quantile, linearly interpolated.
 */
export function thresholdForShare(percentiles: readonly number[], strongShare: number): number {
  if (!(strongShare >= 0 && strongShare <= 1)) throw new RangeError('strong share must be within 0..1');
  // Scores are probabilities: above 1 nothing is strong, at 0 everything is.
  if (strongShare === 0) return 1 + 1e-6;
  if (strongShare === 1) return 0;
  const pos = (1 - strongShare) * (percentiles.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, percentiles.length - 1);
  return percentiles[lo]! + (percentiles[hi]! - percentiles[lo]!) * (pos - lo);
}
