/**
 * One onnxruntime-node session on a router file, single-threaded (`intraOpNumThreads: 1`: the
 * graph is a gather and a dot product; more threads would only add hand-offs and contend with the
 * ingress). Features are computed in TypeScript and fed as the graph's two inputs.
 */
import fs from 'node:fs';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { LocalRouterError } from '../errors/index.js';
import { featurize, type SparseFeatures } from './featurizer.js';
import { cardPathFor, readModelCard, type ModelCard } from './model-card.js';

export class OnnxRouter {
  readonly card: ModelCard;
  #session: InferenceSession;

  private constructor(session: InferenceSession, card: ModelCard) {
    this.#session = session;
    this.card = card;
  }

  /** Loads `<name>.onnx` after checking its card `<name>.json` (featurizer version). */
  static async load(modelPath: string): Promise<OnnxRouter> {
    const card = readModelCard(cardPathFor(modelPath));
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(modelPath);
    } catch (err) {
      throw new LocalRouterError('LR_ERR_CLASSIFIER', `cannot read the router model ${modelPath}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const session = await InferenceSession.create(bytes, {
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
      return new OnnxRouter(session, card);
    } catch (err) {
      throw new LocalRouterError('LR_ERR_CLASSIFIER', `cannot load the router model ${modelPath}: ${(err as Error).message}`, { cause: err });
    }
  }

  async scoreFeatures(f: SparseFeatures): Promise<number> {
    const n = f.indices.length;
    const out = await this.#session.run({
      indices: new Tensor('int32', f.indices, [n]),
      values: new Tensor('float32', f.values, [1, n]),
    });
    return (out.score!.data as Float32Array)[0]!;
  }

  /** P(strong wins) for a prompt (the last user message). */
  score(prompt: string): Promise<number> {
    return this.scoreFeatures(featurize(prompt));
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}
