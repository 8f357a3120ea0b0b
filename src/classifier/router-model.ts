/**
 * The router as plain numbers, its file format, and the scorer the gateway and `router score` run.
 *
 * A router is two logistic heads over the featurizer's sparse vector (see cross-fit.ts): P(weak
 * fails) and P(strong fails), combined with the knob κ. Scoring is two sparse dot products, done
 * here in JavaScript: no inference runtime is loaded (onnxruntime cost ~44 MB RSS per thread for
 * what amounts to a gather and a sum).
 *
 * File `models/router-<name>.bin`, format `lrrm` (little-endian):
 *   bytes 0..3   magic "LRRM"
 *   u32          format version (2; version 1 files still load)
 *   u32          header length H
 *   H bytes      UTF-8 JSON header {featurizer, dim, kappa, heads: ["weak_fails", "strong_fails"],
 *                blend: {gain, logChars, bias}} (version 1 has no `blend`), space-padded so the
 *                weights start 4-byte aligned
 *   per head     dim float32 weights, then one float32 bias
 *
 * The blend (version 2) adds prompt length to the heads' gain after the fact: score =
 * sigmoid(gain·g + logChars·x + bias), g the κ-combined gain, x the featurizer's `log_chars/8` slot.
 * Why: the hashed n-grams learn which subjects are hard, which says nothing about a subject never
 * seen, and L2 lets them absorb what length explains; on unseen subjects length alone ranks better
 * than the heads. The blend weights are fitted on held-out (cross-validated) head scores, so length
 * gets the weight it earns where the n-grams do not transfer. Version 1 files score g itself.
 */
import fs from 'node:fs';
import { LocalRouterError } from '../errors/index.js';
import { FEATURE_DIM, FEATURIZER_VERSION, LOG_CHARS_SLOT, featurize, type SparseFeatures } from './featurizer.js';
import { cardPathFor, readModelCard, type ModelCard } from './model-card.js';

export const MODEL_FORMAT_VERSION = 2;
/** Format versions this build reads. */
export const READABLE_FORMAT_VERSIONS: readonly number[] = [1, 2];
const MAGIC = 'LRRM';
const HEAD_NAMES = ['weak_fails', 'strong_fails'] as const;

/** One logistic head in float32, as stored. */
export interface Head {
  weights: Float32Array;
  bias: number;
}

/** The length blend: score = sigmoid(gain·g + logChars·x + bias) (see the file comment). */
export interface LengthBlend {
  gain: number;
  logChars: number;
  bias: number;
}

export interface RouterModel {
  featurizer: string;
  /** Weight of P(strong fails) in the score, 0..1. */
  kappa: number;
  weakFails: Head;
  strongFails: Head;
  /** Null in format-1 files: the score is the combined gain itself. */
  blend: LengthBlend | null;
}

/** Rounds a trained (float64) head to the float32 numbers the file stores. */
export function toFloat32Head(weights: ArrayLike<number>, bias: number): Head {
  if (weights.length !== FEATURE_DIM) throw new RangeError(`router head: ${weights.length} weights, expected ${FEATURE_DIM}`);
  return { weights: Float32Array.from(weights), bias: Math.fround(bias) };
}

/** Serialises a router model (deterministic: the same model gives the same bytes). */
export function encodeRouterModel(model: RouterModel): Uint8Array {
  if (!model.blend) throw new RangeError('router model: format 2 needs a length blend');
  let header = JSON.stringify({ featurizer: model.featurizer, dim: FEATURE_DIM, kappa: model.kappa, heads: HEAD_NAMES, blend: model.blend });
  while ((12 + Buffer.byteLength(header)) % 4 !== 0) header += ' ';
  const h = Buffer.from(header, 'utf8');
  const out = Buffer.alloc(12 + h.length + 2 * 4 * (FEATURE_DIM + 1));
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt32LE(MODEL_FORMAT_VERSION, 4);
  out.writeUInt32LE(h.length, 8);
  h.copy(out, 12);
  let at = 12 + h.length;
  for (const head of [model.weakFails, model.strongFails]) {
    Buffer.from(head.weights.buffer, head.weights.byteOffset, head.weights.byteLength).copy(out, at);
    at += head.weights.byteLength;
    out.writeFloatLE(head.bias, at);
    at += 4;
  }
  return out;
}

function badFile(source: string, why: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_CLASSIFIER', `cannot load the router model ${source}: ${why}`);
}

/** Parses a model file; every inconsistency is LR_ERR_CLASSIFIER ("cannot load ..."). */
export function decodeRouterModel(bytes: Uint8Array, source = 'router model'): RouterModel {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 12 || buf.toString('latin1', 0, 4) !== MAGIC) throw badFile(source, 'not a LocalRouter router file (magic LRRM missing)');
  const version = buf.readUInt32LE(4);
  if (!READABLE_FORMAT_VERSIONS.includes(version)) throw badFile(source, `file format ${version}, this build reads ${READABLE_FORMAT_VERSIONS.join(' and ')}`);
  const hLen = buf.readUInt32LE(8);
  if (12 + hLen > buf.length || (12 + hLen) % 4 !== 0) throw badFile(source, 'bad header length');
  let header: { featurizer?: unknown; dim?: unknown; kappa?: unknown; heads?: unknown; blend?: unknown };
  try {
    header = JSON.parse(buf.toString('utf8', 12, 12 + hLen)) as typeof header;
  } catch {
    throw badFile(source, 'header is not JSON');
  }
  if (header.featurizer !== FEATURIZER_VERSION) throw badFile(source, `needs featurizer ${String(header.featurizer)}, this build has ${FEATURIZER_VERSION}`);
  if (header.dim !== FEATURE_DIM) throw badFile(source, `dimension ${String(header.dim)}, expected ${FEATURE_DIM}`);
  if (typeof header.kappa !== 'number' || !(header.kappa >= 0 && header.kappa <= 1)) throw badFile(source, 'kappa must be a number within 0..1');
  if (JSON.stringify(header.heads) !== JSON.stringify(HEAD_NAMES)) throw badFile(source, `heads must be ${HEAD_NAMES.join(', ')}`);
  const blend = version >= 2 ? parseBlend(header.blend, source) : null;
  const body = 12 + hLen;
  if (buf.length !== body + 2 * 4 * (FEATURE_DIM + 1)) throw badFile(source, `size ${buf.length} bytes does not match the header`);
  // One copy into an aligned buffer: the weights then live in one Float32Array the scorer indexes.
  const floats = new Float32Array(2 * (FEATURE_DIM + 1));
  new Uint8Array(floats.buffer).set(buf.subarray(body));
  for (let i = 0; i < floats.length; i++) if (!Number.isFinite(floats[i]!)) throw badFile(source, 'non-finite weight');
  const head = (k: number): Head => ({ weights: floats.subarray(k * (FEATURE_DIM + 1), k * (FEATURE_DIM + 1) + FEATURE_DIM), bias: floats[k * (FEATURE_DIM + 1) + FEATURE_DIM]! });
  return { featurizer: header.featurizer, kappa: header.kappa, weakFails: head(0), strongFails: head(1), blend };
}

function parseBlend(value: unknown, source: string): LengthBlend {
  const b = (value ?? {}) as Record<string, unknown>;
  const out = { gain: b.gain, logChars: b.logChars, bias: b.bias };
  for (const [k, v] of Object.entries(out)) if (typeof v !== 'number' || !Number.isFinite(v)) throw badFile(source, `blend.${k} must be a finite number`);
  return out as LengthBlend;
}

function headProbability(head: Head, f: SparseFeatures): number {
  let z = head.bias;
  const w = head.weights;
  for (let k = 0; k < f.indices.length; k++) z += f.values[k]! * w[f.indices[k]!]!;
  return 1 / (1 + Math.exp(-z));
}

/**
 * The router score in 0..1 from the heads' probabilities: (P(weak fails) − κ·P(strong fails) + κ) / (1 + κ).
 * Training, evaluation and serving all score with this one function.
 */
export function combineHeads(pWeakFails: number, pStrongFails: number, kappa: number): number {
  return (pWeakFails - kappa * pStrongFails + kappa) / (1 + kappa);
}

/**
 * The final score from the combined gain and the `log_chars/8` slot: the blend's sigmoid, or the gain
 * itself without a blend (format 1). Training, evaluation and serving all score with this function.
 */
export function blendScore(gain: number, logChars: number, blend: LengthBlend | null): number {
  if (!blend) return gain;
  return 1 / (1 + Math.exp(-(blend.gain * gain + blend.logChars * logChars + blend.bias)));
}

/** The featurizer's `log_chars/8` slot of a vector (0 if absent). */
export function logCharsOf(f: SparseFeatures): number {
  for (let k = 0; k < f.indices.length; k++) if (f.indices[k] === LOG_CHARS_SLOT) return f.values[k]!;
  return 0;
}

/** The router score of a featurized prompt. */
export function scoreFeatures(model: RouterModel, f: SparseFeatures): number {
  const gain = combineHeads(headProbability(model.weakFails, f), headProbability(model.strongFails, f), model.kappa);
  return blendScore(gain, logCharsOf(f), model.blend);
}

/** The router score of a prompt (the last user message). */
export function scorePrompt(model: RouterModel, prompt: string): number {
  return scoreFeatures(model, featurize(prompt));
}

/** A loaded router with its card: what `router score` and the classifier thread use. */
export class LinearRouter {
  readonly card: ModelCard;
  readonly model: RouterModel;

  private constructor(model: RouterModel, card: ModelCard) {
    this.model = model;
    this.card = card;
  }

  /** Loads `router-<name>.bin` after checking its card `router-<name>.json` (featurizer version). */
  static load(modelPath: string): LinearRouter {
    const card = readModelCard(cardPathFor(modelPath));
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(modelPath);
    } catch (err) {
      throw new LocalRouterError('LR_ERR_CLASSIFIER', `cannot read the router model ${modelPath}: ${(err as Error).message}`, { cause: err });
    }
    return new LinearRouter(decodeRouterModel(bytes, modelPath), card);
  }

  score(prompt: string): number {
    return scorePrompt(this.model, prompt);
  }
}
