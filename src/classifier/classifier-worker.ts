/**
 * Entry of the classifier actor thread: loads the router once (one onnxruntime session), then
 * answers score requests by id. Featurizing happens here too, off the ingress thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toLocalRouterError } from '../errors/index.js';
import { CLASSIFIER_FRAME, type ClassifierWorkerData, type FromClassifierFrame, type ToClassifierFrame } from '../workers/protocol.js';
import { FEATURIZER_VERSION } from './featurizer.js';
// Direct import: the workers index would load the provider engine into this thread.
import { FrameBatcher } from '../workers/frame-batcher.js';
import { OnnxRouter } from './onnx-scorer.js';

const port = parentPort;
if (!port) throw new Error('classifier-worker must run in a worker thread');
const data = workerData as ClassifierWorkerData;
const out = new FrameBatcher<FromClassifierFrame>((frames) => port.postMessage(frames));

let router: OnnxRouter;
try {
  router = await OnnxRouter.load(data.modelPath);
} catch (err) {
  port.postMessage([[CLASSIFIER_FRAME.ERROR, 0, toLocalRouterError(err).toPlain()]] satisfies FromClassifierFrame[]);
  // Nothing useful left to do: the owner sees the error frame, then the exit.
  process.exit(1);
}

function score(id: number, prompt: string): void {
  router.score(prompt).then(
    (s) => out.push([CLASSIFIER_FRAME.RESULT, id, s]),
    (err: unknown) => out.push([CLASSIFIER_FRAME.ERROR, id, toLocalRouterError(err).toPlain()]),
  );
}

port.on('message', (frames: ToClassifierFrame[]) => {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (f[0] === CLASSIFIER_FRAME.SCORE) score(f[1], f[2]);
    // Thrown right here, the frames after it in the batch are lost with the thread, as in a real crash.
    else if (data.testHooks && f[0] === CLASSIFIER_FRAME.TEST_CRASH) throw new Error('test hook: classifier crash');
    else if (data.testHooks && f[0] === CLASSIFIER_FRAME.TEST_STALL) {
      const end = Date.now() + f[2];
      while (Date.now() < end) { /* a hung thread, on purpose */ }
    }
  }
});
out.push([CLASSIFIER_FRAME.READY, 0, FEATURIZER_VERSION]);
