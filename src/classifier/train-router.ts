/**
 * `npm run router:train`: featurize RouteLLM's labels, pick the L2 strengths by subject-grouped
 * cross-validation, fit on everything, write `models/router-<name>.onnx` and its card. Deterministic:
 * the same data and seed give byte-identical files.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { installRoot } from '../config/index.js';
import { HYPER_GRID, MIN_STRONG_ACCURACY, fitRouter, selectHyper, trainableRows } from './cross-fit.js';
import { DENSE_NAMES, FEATURE_DIM, FEATURIZER_VERSION, featurize } from './featurizer.js';
import { ROUTELLM_ATTRIBUTION, cardPathFor, type ModelCard } from './model-card.js';
import { toFloat32Model } from './router-model.js';
import { loadRoutingData } from './routing-data.js';
import { decileEdges } from './routing-metrics.js';

export const MODELS_DIR = path.join(installRoot(), 'models');
export const DEFAULT_MODEL_NAME = 'hashlr';

/** `models/router-<name>.onnx`. */
export function modelPathFor(name: string, dir = MODELS_DIR): string {
  return path.join(dir, `router-${name}.onnx`);
}

export const DEFAULT_MODEL_PATH = modelPathFor(DEFAULT_MODEL_NAME);

export interface TrainRouterOptions {
  dataDir: string;
  outDir?: string;
  name?: string;
  seed?: number;
  /** Folds of the cross-validation that picks the L2 strengths. */
  k?: number;
  log?: (line: string) => void;
}

function round(x: number, digits = 6): number {
  return Number(x.toFixed(digits));
}

export async function trainRouterModel(opts: TrainRouterOptions): Promise<{ modelPath: string; cardPath: string; card: ModelCard }> {
  const name = opts.name ?? DEFAULT_MODEL_NAME;
  const seed = opts.seed ?? 42;
  const k = opts.k ?? 5;
  const log = opts.log ?? (() => {});
  const data = loadRoutingData(opts.dataDir);
  const rows = [...data.mmlu, ...data.gsm8k];
  log(`data: ${data.mmlu.length} MMLU + ${data.gsm8k.length} GSM8K prompts from ${opts.dataDir}`);
  const feats = rows.map((r) => featurize(r.prompt));
  const all = rows.map((_, i) => i);
  const trainable = new Set(trainableRows(rows, all));
  const excluded = [...new Set(rows.filter((_, i) => !trainable.has(i)).map((r) => r.group))].sort();
  log(`excluded from training (strong accuracy < ${MIN_STRONG_ACCURACY}): ${excluded.join(', ') || 'none'}`);

  const sel = selectHyper(rows, feats, all, { k, innerK: k, seed, scheme: 'subjects', log });
  log(`chosen: l2=${sel.hyper.l2} l2Dense=${sel.hyper.l2Dense} (subject-grouped ${k}-fold mean APGR ${sel.score.toFixed(3)})`);
  const fit = fitRouter(rows, feats, all, sel.hyper).raw;
  const model = toFloat32Model(fit.weights, fit.bias);

  const { encodeRouterOnnx } = await import('./export-onnx.js'); // devDependency: loaded only here
  const bytes = encodeRouterOnnx(model, { featurizer: FEATURIZER_VERSION, name });
  const outDir = opts.outDir ?? MODELS_DIR;
  fs.mkdirSync(outDir, { recursive: true });
  const modelPath = modelPathFor(name, outDir);
  const cardPath = cardPathFor(modelPath);
  fs.writeFileSync(modelPath, bytes);
  const sha = createHash('sha256').update(bytes).digest('hex');

  let metrics: ModelCard['metrics'] = null;
  if (fs.existsSync(cardPath)) {
    const old = JSON.parse(fs.readFileSync(cardPath, 'utf8')) as ModelCard;
    if (old.modelSha256 === sha) metrics = old.metrics; // same weights: the evaluation still holds
  }
  const sortedHeldOut = Float64Array.from(sel.heldOut).sort();
  const card: ModelCard = {
    name,
    modelFile: path.basename(modelPath),
    modelSha256: sha,
    modelBytes: bytes.length,
    graph: {
      opset: 13,
      inputs: 'indices int32 [N], values float32 [1, N]: the featurizer\'s sparse vector',
      output: 'score float32 [1, 1] = sigmoid(b + values · W[indices])',
    },
    featurizer: {
      version: FEATURIZER_VERSION,
      dim: FEATURE_DIM,
      input: 'the last user message (RouteLLM routes on the last turn)',
      where: 'TypeScript, before the graph (src/classifier/featurizer.ts), in the classifier worker thread',
      denseNames: DENSE_NAMES,
    },
    score: 'P(strong model wins | prompt) with a tie counted as half a win: the model is fitted to (1 + strong_correct - weak_correct) / 2',
    models: { weak: 'mistralai/Mixtral-8x7B-Instruct-v0.1', strong: 'gpt-4-1106-preview' },
    training: {
      algorithm: 'logistic regression with L2 (separate strengths for hashed n-grams and dense features), L-BFGS, dense features standardised then folded into the weights',
      label: '(1 + strong_correct - weak_correct) / 2',
      seed,
      hyper: sel.hyper,
      hyperSelection: `best mean APGR (MMLU, GSM8K) of subject-grouped ${k}-fold CV over ${HYPER_GRID.length} grid points`,
      rows: trainable.size,
      excludedGroups: excluded,
    },
    data: { source: 'RouteLLM (lm-sys/RouteLLM) correctness labels', license: 'Apache-2.0', root: 'shared/data/routing', files: data.files },
    attribution: ROUTELLM_ATTRIBUTION,
    calibration: {
      source: `held-out scores of all ${rows.length} prompts from the hyper-parameter selection CV (subject-grouped, ${k} folds); percentiles[p] is the p-th percentile`,
      deciles: decileEdges(sortedHeldOut).map((x) => round(x)),
      percentiles: Array.from({ length: 101 }, (_, p) => round(decileEdges(sortedHeldOut, 100)[p]!)),
    },
    metrics,
  };
  fs.writeFileSync(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  log(`wrote ${modelPath} (${bytes.length} bytes, sha256 ${sha}) and ${cardPath}`);
  return { modelPath, cardPath, card };
}
