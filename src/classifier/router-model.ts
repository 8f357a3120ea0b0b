/**
 * The router as plain numbers, and the TypeScript reference scorer the ONNX graph must match:
 * score = sigmoid(bias + Σ values[k] · weights[indices[k]]), weights in float32 as in the file.
 */
import { FEATURE_DIM, featurize, type SparseFeatures } from './featurizer.js';

export interface RouterModel {
  weights: Float32Array;
  bias: number;
}

/** Rounds a trained (float64) model to the float32 numbers the ONNX file stores. */
export function toFloat32Model(weights: ArrayLike<number>, bias: number): RouterModel {
  if (weights.length !== FEATURE_DIM) throw new RangeError(`router model: ${weights.length} weights, expected ${FEATURE_DIM}`);
  return { weights: Float32Array.from(weights), bias: Math.fround(bias) };
}

/** Reference score of a feature vector: what the ONNX graph computes, in float64. */
export function scoreFeatures(model: RouterModel, f: SparseFeatures): number {
  let z = model.bias;
  for (let k = 0; k < f.indices.length; k++) z += f.values[k]! * model.weights[f.indices[k]!]!;
  return 1 / (1 + Math.exp(-z));
}

/** Reference score of a prompt: P(strong model wins), ties counted half. */
export function scorePrompt(model: RouterModel, prompt: string): number {
  return scoreFeatures(model, featurize(prompt));
}
