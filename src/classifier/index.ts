/**
 * @module classifier
 * RouteLLM-style routing classifier: a versioned TypeScript featurizer, a logistic-regression router
 * trained offline on RouteLLM's correctness labels and shipped as ONNX (`models/router-<name>.onnx`
 * plus its JSON card), RouteLLM's evaluation metrics (APGR, CPT), and the classifier actor: one worker
 * thread with one onnxruntime session that scores prompts for `auto` routing, with a caller-side
 * timeout. Every failure is a LocalRouterError with code LR_ERR_CLASSIFIER.
 */
export { startClassifier, type Classifier, type ClassifierEvent, type ClassifierOptions, type ClassifierStats } from './classifier-actor.js';
export { DENSE_NAMES, FEATURE_DIM, FEATURIZER_VERSION, featurize, type SparseFeatures } from './featurizer.js';
export { OnnxRouter } from './onnx-scorer.js';
export { scoreFeatures, scorePrompt, toFloat32Model, type RouterModel } from './router-model.js';
export {
  ROUTELLM_ATTRIBUTION, cardPathFor, readModelCard, thresholdForShare,
  type BenchmarkEvaluation, type ModelCard, type SchemeEvaluation,
} from './model-card.js';
export { decileEdges, evaluateRouter, trapezoid, type CurvePoint, type RouterMetrics } from './routing-metrics.js';
export { loadRoutingData, parseContaminated, parseLabeledCsv, type LabeledPrompt, type RoutingData } from './routing-data.js';
export { parseCsv } from './parse-csv.js';
export { HYPER_GRID, SPLIT_SCHEMES, assignFolds, crossFit, fitRouter, type Hyper, type SplitScheme } from './cross-fit.js';
export { PROTOCOL, RANDOM_RUNS, evaluateBenchmark, evaluateScheme, formatBenchmark, formatSummary, summarize, type EvaluationSummary } from './evaluate-router.js';
export { DEFAULT_MODEL_NAME, DEFAULT_MODEL_PATH, MODELS_DIR, modelPathFor, trainRouterModel, type TrainRouterOptions } from './train-router.js';
export { runCalibrateCommand, runEvalCommand, runScoreCommand, type CalibrateCommandOptions, type EvalCommandOptions, type ScoreCommandOptions } from './commands.js';
