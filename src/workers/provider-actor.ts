/**
 * Entry of a provider actor thread: a long-lived loop that owns upstream connections. It receives
 * frame batches from the ingress on its port and answers with frame batches.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ProviderEngine } from '../providers/index.js';
import { FrameBatcher } from './frame-batcher.js';
import { FRAME, type ActorWorkerData, type FromActorFrame, type ToActorFrame } from './protocol.js';

const port = parentPort;
if (!port) throw new Error('provider-actor must run in a worker thread');
const data = workerData as ActorWorkerData;

// Chunks of one stream that arrive in the same event-loop turn travel (and are written) as one.
const out = new FrameBatcher<FromActorFrame>((frames) => port.postMessage(frames), mergeChunks);
const crash = data.testHooks
  ? (): void => { setImmediate(() => { throw new Error('test hook: provider actor crash'); }); }
  : null;
const engine = new ProviderEngine((f) => out.push(f), data.providers, crash);

port.on('message', (frames: ToActorFrame[]) => {
  for (let i = 0; i < frames.length; i++) engine.handle(frames[i]!);
});
out.push([FRAME.READY, 0]);

function mergeChunks(last: FromActorFrame, next: FromActorFrame): boolean {
  if (last[0] !== FRAME.CHUNK || next[0] !== FRAME.CHUNK || last[1] !== next[1]) return false;
  last[2] += next[2];
  return true;
}
