/**
 * `npm run router:train`: featurize RouteLLM's correctness labels (plus the chat tie rows), pick
 * the L2 strengths and κ by subject-grouped cross-validation and the chat development prompts, fit
 * both heads on everything, write `models/router-<name>.bin` and its card. Deterministic: the same
 * data and seed give byte-identical files.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { installRoot } from '../config/index.js';
import {
  BETA_GRID, CHAT_AUC_FLOOR, KAPPA_GRID, MIN_STRONG_ACCURACY, STRONG_L2_GRID, WEAK_L2_GRID, blendScores, chatAuc, combineScores, fitHeads, isGsm8k, isMmlu,
  selectHyper, trainableRows,
} from './cross-fit.js';
import { FEATURE_DIM, FEATURIZER_VERSION, SHAPE_NAMES, featurize } from './featurizer.js';
import {
  ARENA_HARD_ATTRIBUTION, ROUTELLM_ATTRIBUTION, cardPathFor, thresholdForShare, type CategoryScores, type ChatPartReport, type ModelCard,
} from './model-card.js';
import { MODEL_FORMAT_VERSION, encodeRouterModel, logCharsOf, toFloat32Head, scoreFeatures, type RouterModel } from './router-model.js';
import { isChatTrainingPrompt, loadChatData, loadRoutingData, trainingRows, type ChatPrompt } from './routing-data.js';
import { decileEdges } from './routing-metrics.js';

export const MODELS_DIR = path.join(installRoot(), 'models');
export const DEFAULT_MODEL_NAME = 'hashlr';

/** `models/router-<name>.bin`. */
export function modelPathFor(name: string, dir = MODELS_DIR): string {
  return path.join(dir, `router-${name}.bin`);
}

export const DEFAULT_MODEL_PATH = modelPathFor(DEFAULT_MODEL_NAME);

export interface TrainRouterOptions {
  dataDir: string;
  outDir?: string;
  name?: string;
  seed?: number;
  /** Folds of the cross-validation that picks the hyper-parameters. */
  k?: number;
  /** Cross-validations (fold seeds) averaged per candidate. */
  repeats?: number;
  log?: (line: string) => void;
}

function round(x: number, digits = 6): number {
  return Number(x.toFixed(digits));
}

function percentilesOf(scores: ArrayLike<number>): number[] {
  return decileEdges(scores, 100).map((x) => round(x));
}

/** Score distribution of each category among `prompts`, with the coding+maths vs creative AUC. */
export function chatReport(part: string, prompts: readonly ChatPrompt[], scores: ArrayLike<number>): ChatPartReport {
  const categories: CategoryScores[] = [];
  for (const category of [...new Set(prompts.map((p) => p.category))].sort()) {
    const s = Float64Array.from(prompts.flatMap((p, i) => (p.category === category ? [scores[i]!] : []))).sort();
    const q = decileEdges(s, 10);
    categories.push({ category, n: s.length, mean: round(s.reduce((a, b) => a + b, 0) / s.length), p10: round(q[1]!), p50: round(q[5]!), p90: round(q[9]!) });
  }
  const auc = chatAuc(prompts.map((p) => p.category), scores);
  return { part, auc: Number.isFinite(auc) ? round(auc) : null, categories };
}

export async function trainRouterModel(opts: TrainRouterOptions): Promise<{ modelPath: string; cardPath: string; card: ModelCard }> {
  const name = opts.name ?? DEFAULT_MODEL_NAME;
  const seed = opts.seed ?? 42;
  const k = opts.k ?? 5;
  const repeats = opts.repeats ?? 1;
  const log = opts.log ?? (() => {});
  const data = loadRoutingData(opts.dataDir);
  const chatData = loadChatData(opts.dataDir);
  const rows = trainingRows(data, chatData);
  const chatRows = rows.filter((r) => r.group.startsWith('arena-hard/'));
  log(`data: ${data.mmlu.length} MMLU + ${data.gsm8k.length} GSM8K prompts + ${chatRows.length} chat weak-label rows from ${opts.dataDir}`);
  const feats = rows.map((r) => featurize(r.prompt));
  const all = rows.map((_, i) => i);
  const trainable = new Set(trainableRows(rows, all));
  const excluded = [...new Set(rows.filter((_, i) => !trainable.has(i)).map((r) => r.group))].sort();
  log(`excluded from training (strong accuracy < ${MIN_STRONG_ACCURACY}): ${excluded.join(', ') || 'none'}`);
  const dev = chatData.prompts.filter((p) => p.part === 'dev');

  const sel = selectHyper(rows, feats, all, {
    k, innerK: k, repeats, seed, scheme: 'subjects', log, chat: { feats: dev.map((p) => featurize(p.prompt)), categories: dev.map((p) => p.category) },
  });
  const pick = sel.pick;
  log(`chosen: l2 weak ${pick.l2Weak} strong ${pick.l2Strong} κ=${pick.kappa} β=${pick.beta} (inner APGR ${sel.apgr.toFixed(3)}, chat dev AUC ${sel.chatAuc.toFixed(3)})`);
  const heads = fitHeads(rows, feats, all, pick);
  const blend = { gain: Math.fround(pick.blend.gain), logChars: Math.fround(pick.blend.logChars), bias: Math.fround(pick.blend.bias) };
  const model: RouterModel = {
    featurizer: FEATURIZER_VERSION,
    kappa: pick.kappa,
    weakFails: toFloat32Head(heads.weakFails.weights, heads.weakFails.bias),
    strongFails: toFloat32Head(heads.strongFails.weights, heads.strongFails.bias),
    blend,
  };
  const bytes = encodeRouterModel(model);
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
  // Benchmark mix: the inner-CV held-out scores of the MMLU and GSM8K prompts (scored by models that
  // did not see them). Chat mix: the shipped model on every chat prompt it was not trained on.
  const benchIds = all.filter((i) => isMmlu(rows[i]!) || isGsm8k(rows[i]!));
  const heldOut = blendScores(combineScores(sel.heldOut, pick.kappa), feats.map(logCharsOf), blend);
  const benchScores = benchIds.map((i) => heldOut[i]!);
  const chatPrompts = chatData.prompts.filter((p) => !isChatTrainingPrompt(p));
  const chatScores = chatPrompts.map((p) => scoreFeatures(model, featurize(p.prompt)));
  const chatPct = percentilesOf(chatScores);
  const benchPct = percentilesOf(benchScores);
  const table = [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95].map((share) => {
    const benchmarkThreshold = round(thresholdForShare(benchPct, share));
    return {
      strongShare: share,
      chatThreshold: round(thresholdForShare(chatPct, share)),
      benchmarkThreshold,
      chatShareAtBenchmarkThreshold: round(chatScores.filter((s) => s >= benchmarkThreshold).length / chatScores.length, 4),
    };
  });
  const partScores = (part: string): ChatPartReport => {
    const ps = chatPrompts.map((p, i) => [p, chatScores[i]!] as const).filter(([p]) => p.part === part && p.category !== 'mixed');
    return chatReport(part, ps.map(([p]) => p), ps.map(([, s]) => s));
  };
  const mixed = chatPrompts.map((p, i) => [p, chatScores[i]!] as const).filter(([p]) => p.category === 'mixed');
  const chat = [partScores('dev'), partScores('check'), chatReport('v0.1', mixed.map(([p]) => p), mixed.map(([, s]) => s))];
  for (const c of chat) log(`chat ${c.part}: AUC ${c.auc?.toFixed(3) ?? 'n/a'}; ${c.categories.map((x) => `${x.category} mean ${x.mean.toFixed(3)}`).join(', ')}`);

  const card: ModelCard = {
    name,
    modelFile: path.basename(modelPath),
    modelSha256: sha,
    modelBytes: bytes.length,
    format: {
      name: 'lrrm',
      version: MODEL_FORMAT_VERSION,
      layout: 'magic "LRRM", u32 version, u32 header length, JSON header {featurizer, dim, kappa, heads, blend: {gain, logChars, bias}}, then per head (weak_fails, strong_fails) dim float32 weights and a float32 bias, little-endian (src/classifier/router-model.ts); version 1 files (no blend) still load',
    },
    featurizer: {
      version: FEATURIZER_VERSION,
      dim: FEATURE_DIM,
      input: 'the last user message (RouteLLM routes on the last turn)',
      where: 'TypeScript (src/classifier/featurizer.ts), in the classifier worker thread and in `localrouter router score`',
      shapeNames: SHAPE_NAMES,
    },
    score: 'sigmoid(blend.gain·g + blend.logChars·x + blend.bias), g = (P(weak fails) − κ·P(strong fails) + κ) / (1 + κ) (the strong model\'s expected gain with prompts both models fail discounted by κ), x = ln(1 + chars)/8; the blend weights come from held-out scores: g/sd(g) + β·x/sd(x), centred on its median',
    models: { weak: 'mistralai/Mixtral-8x7B-Instruct-v0.1', strong: 'gpt-4-1106-preview' },
    training: {
      algorithm: 'two logistic-regression heads on the same features, L2 (a strength per head for hashed n-grams, a light one for shape buckets), L-BFGS from zero; GSM8K rows weighted so that GSM8K and MMLU weigh the same in the loss; then a length blend fitted on held-out head scores',
      objective: 'head 1: weak model wrong (1) / right (0); head 2: strong model wrong / right (chat weak-label rows: creative writing both right, coding and maths weak wrong and strong right); combined with the knob κ (graded quality: a prompt both models fail is a hard one where the strong model still earns partial credit, so κ < 1 ranks it above one both answer)',
      kappa: pick.kappa,
      seed,
      beta: pick.beta,
      blend,
      hyper: { l2Weak: pick.l2Weak, l2Strong: pick.l2Strong, l2Shape: pick.l2Shape },
      hyperSelection: `among candidates whose chat dev AUC (coding and maths over creative writing, arena-hard v2.0 dev part, heads fitted on all rows) is at least ${CHAT_AUC_FLOOR} (the previous build's dev AUC), the best mean of MMLU and GSM8K APGR from subject-grouped ${k}-fold CV${repeats > 1 ? ` averaged over ${repeats} fold seeds` : ''} (if none reaches it: best mean of APGR, APGR, AUC); grid L2 weak head ${WEAK_L2_GRID.join(', ')} × L2 strong head ${STRONG_L2_GRID.join(', ')} × κ ${KAPPA_GRID.join(', ')} × β ${BETA_GRID.join(', ')}`,
      candidates: sel.candidates.map((c) => ({
        ...c, mmluApgr: round(c.mmluApgr, 4), gsm8kApgr: round(c.gsm8kApgr, 4), apgr: round(c.apgr, 4), chatAuc: round(c.chatAuc, 4), score: round(c.score, 4),
      })),
      rows: trainable.size,
      chatRows: chatRows.length,
      excludedGroups: excluded,
    },
    data: { source: 'RouteLLM (lm-sys/RouteLLM) correctness labels', license: 'Apache-2.0', root: 'shared/data/routing', files: data.files },
    chatData: {
      source: 'Arena-Hard-Auto (lmarena/arena-hard-auto) prompts, unlabeled',
      license: 'Apache-2.0',
      use: 'v2.0 split in thirds by a hash of the uid: `ties` (trained on as weak labels: creative writing as ties, both models right; coding and maths as "the strong model helps", weak wrong and strong right), `dev` (model selection), `check` (reported only); v0.1 and every prompt not trained on set the chat-mix calibration',
      files: chatData.files,
    },
    attribution: ROUTELLM_ATTRIBUTION,
    chatAttribution: ARENA_HARD_ATTRIBUTION,
    calibration: {
      source: 'percentiles/deciles: the chat mix (see mixes.chat), which auto routing and `router calibrate` use by default',
      deciles: decileEdges(chatScores).map((x) => round(x)),
      percentiles: chatPct,
      mixes: {
        chat: { source: 'the shipped model on the arena-hard prompts it was not trained on (v2.0 dev and check parts, all of v0.1)', n: chatScores.length, percentiles: chatPct },
        benchmark: { source: `inner-CV held-out scores of the MMLU and GSM8K prompts (subject-grouped, ${k} folds)`, n: benchScores.length, percentiles: benchPct },
      },
      table,
    },
    chat,
    metrics,
  };
  fs.writeFileSync(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  log(`wrote ${modelPath} (${bytes.length} bytes, sha256 ${sha}) and ${cardPath}`);
  return { modelPath, cardPath, card };
}
