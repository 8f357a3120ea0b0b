/**
 * Entry of a provider actor thread: a long-lived loop that owns upstream connections. Frame batches
 * from the ingress become calls on its `ProviderEngine`, and each call's handler callbacks become
 * frames back, batched per event-loop turn.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { IdTable, type CallController, type CallRequest } from '../model/index.js';
import { adoptBody, giveBack, loadProviderEngine } from '../providers/index.js';
import { FrameBatcher } from './frame-batcher.js';
import { CALL_ID_STRIDE, type ActorWorkerData, type FromActorFrame, type ToActorFrame } from './protocol.js';
import { applyToActor, FrameEncoder, memoryFrame, mergeChunks, READY_FRAME, transfersFromActor, type ActorSide } from './provider-codec.js';

const port = parentPort;
if (!port) throw new Error('provider-actor must run in a worker thread');
const data = workerData as ActorWorkerData;

/** Calls in flight by request id. */
const calls = new IdTable<CallController>(CALL_ID_STRIDE);
// Chunks of one stream that arrive in the same event-loop turn travel (and are written) as one.
const out = new FrameBatcher<FromActorFrame>((frames) => port.postMessage(frames, transfersFromActor(frames)), mergeChunks);

// With at most one call in flight, a frame's batch goes when the current task ends, not at the turn's end.
const push = (frame: FromActorFrame): void => out.push(frame, calls.size <= 1);
const crash = data.testHooks
  ? (): void => { setImmediate(() => { throw new Error('test hook: provider actor crash'); }); }
  : null;
const ProviderEngine = await loadProviderEngine();
const engine = new ProviderEngine(data.providers, crash);
/**
 * Bodies of calls in flight whose memory goes back to the ingress once free (see `adoptBody`): given
 * back when the call ends by itself (its last frame), dropped on a cancel, when the call may still
 * hold it.
 */
const lentBodies = new IdTable<Uint8Array>(CALL_ID_STRIDE);
const sendHome = (memory: ArrayBuffer): void => out.push(memoryFrame(memory));
const forget = (id: number): void => {
  calls.delete(id);
  const body = lentBodies.get(id);
  if (body === undefined) return;
  lentBodies.delete(id);
  giveBack(body);
};

const side: ActorSide = {
  call(id: number, request: CallRequest): void {
    const body = request.body;
    if (body instanceof Uint8Array && adoptBody(body, sendHome)) lentBodies.set(id, body);
    const encoder = new FrameEncoder(id, push, forget);
    const controller = engine.call(request, encoder);
    // A call that failed at once has already ended.
    if (!encoder.ended) calls.set(id, controller);
  },
  abort(id: number): void {
    lentBodies.delete(id);
    const controller = calls.get(id);
    if (controller === undefined) return;
    calls.delete(id);
    controller.abort();
  },
  pause: (id) => calls.get(id)?.pause(),
  resume: (id) => calls.get(id)?.resume(),
  setProviders: (providers) => engine.setProviders(providers),
};

port.on('message', (frames: ToActorFrame[]) => {
  for (let i = 0; i < frames.length; i++) applyToActor(frames[i]!, side);
});
out.push(READY_FRAME);
