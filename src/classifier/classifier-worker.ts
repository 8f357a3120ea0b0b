/**
 * Entry of the classifier actor thread: loads the router once (its weights, read into one
 * Float32Array), then answers score requests by id: featurize and two sparse dot products, off the
 * ingress thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toLocalRouterError } from '../errors/index.js';
import type { ClassifierWorkerData, FromClassifierFrame, ToClassifierFrame } from '../workers/protocol.js';
// Direct imports: the workers index would load the provider engine into this thread.
import {
  decodeToClassifier, encodeClassifierError, encodeClassifierLoadFailed, encodeClassifierReady, encodeClassifierResult, type ToClassifierHandler,
} from '../workers/classifier-codec.js';
import { FrameBatcher } from '../workers/frame-batcher.js';
import { FEATURIZER_VERSION } from './featurizer.js';
import { LinearRouter } from './router-model.js';

const port = parentPort;
if (!port) throw new Error('classifier-worker must run in a worker thread');
const data = workerData as ClassifierWorkerData;
const out = new FrameBatcher<FromClassifierFrame>((frames) => port.postMessage(frames));

let router: LinearRouter;
try {
  router = LinearRouter.load(data.modelPath);
} catch (err) {
  out.push(encodeClassifierLoadFailed(toLocalRouterError(err).toPlain()));
  out.flushNow();
  // Nothing useful left to do: the owner sees the error frame, then the exit.
  process.exit(1);
}

function score(id: number, prompt: string): void {
  try {
    out.push(encodeClassifierResult(id, router.score(prompt)));
  } catch (err) {
    out.push(encodeClassifierError(id, toLocalRouterError(err).toPlain()));
  }
}

const handler: ToClassifierHandler = {
  onScore: score,
  onTestCrash: () => {
    // Thrown right here, the frames after it in the batch are lost with the thread, as in a real crash.
    if (data.testHooks) throw new Error('test hook: classifier crash');
  },
  onTestStall: (ms) => {
    if (!data.testHooks) return;
    const end = Date.now() + ms;
    while (Date.now() < end) { /* a hung thread, on purpose */ }
  },
};

port.on('message', (frames: ToClassifierFrame[]) => decodeToClassifier(frames, handler));
out.push(encodeClassifierReady(FEATURIZER_VERSION));
