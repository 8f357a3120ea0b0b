/**
 * @module classifier
 * RouteLLM-style routing classifier: a versioned TypeScript featurizer, a two-head logistic router
 * trained offline on RouteLLM's correctness labels (plus chat tie rows from Arena-Hard) and shipped
 * as a versioned weights file (`models/router-<name>.bin` plus its JSON card), RouteLLM's evaluation
 * metrics (APGR, CPT), and the classifier actor: one worker thread that scores prompts for `auto`
 * routing in plain JavaScript (sparse dot products), with a caller-side timeout. Every failure is a
 * LocalRouterError with code LR_ERR_CLASSIFIER.
 */
export { startClassifier, type Classifier, type ClassifierEvent, type ClassifierOptions, type ClassifierStats } from './classifier-actor.js';
export { FEATURE_DIM, FEATURIZER_VERSION, HASH_BITS, LOG_CHARS_SLOT, SHAPE, SHAPE_NAMES, featurize, type SparseFeatures } from './featurizer.js';
export {
  LinearRouter, MODEL_FORMAT_VERSION, READABLE_FORMAT_VERSIONS, blendScore, combineHeads, decodeRouterModel, encodeRouterModel, logCharsOf, scoreFeatures, scorePrompt,
  toFloat32Head, type Head, type LengthBlend, type RouterModel,
} from './router-model.js';
export {
  ARENA_HARD_ATTRIBUTION, ROUTELLM_ATTRIBUTION, cardPathFor, readModelCard, thresholdForShare,
  type BenchmarkEvaluation, type ChatPartReport, type ModelCard, type SchemeEvaluation,
} from './model-card.js';
export { decileEdges, evaluateRouter, trapezoid, type CurvePoint, type RouterMetrics } from './routing-metrics.js';
export {
  CHAT_ROW_WEIGHT, chatWeakRows, isChatTrainingPrompt, loadChatData, loadRoutingData, parseContaminated, parseLabeledCsv, trainingRows, type ChatData, type ChatPrompt, type ChatWeakLabelOptions, type LabeledPrompt, type RoutingData,
} from './routing-data.js';
export { parseCsv } from './parse-csv.js';
export {
  BETA_GRID, CHAT_AUC_FLOOR, KAPPA_GRID, SPLIT_SCHEMES, STRONG_L2_GRID, WEAK_L2_GRID, assignFolds, chatAuc, crossFit, fitBlend, fitHeads, rankAuc, selectHyper,
  type Hyper, type Pick, type SplitScheme, type TwoHeads,
} from './cross-fit.js';
export { PROTOCOL, RANDOM_RUNS, evaluateBenchmark, evaluateScheme, formatBenchmark, formatSummary, summarize, type EvaluationSummary } from './evaluate-router.js';
export { DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH, MODELS_DIR, chatReport, modelPathFor, trainRouterModel, type TrainRouterOptions } from './train-router.js';
export { runCalibrateCommand, runEvalCommand, runScoreCommand, type CalibrateCommandOptions, type EvalCommandOptions, type ScoreCommandOptions } from './commands.js';
