import { LocalRouterError } from '../errors/index.js';
import { IdTable, type CallController, type CallHandler, type CallRequest, type EngineStats, type ProviderRuntime, type UpstreamEngine } from '../model/index.js';
import { ActorHost, type ActorCrash, type RestartPolicy } from './actor-host.js';
import { FrameBatcher } from './frame-batcher.js';
import { CALL_ID_STRIDE, type ActorWorkerData, type FromActorFrame, type ToActorFrame } from './protocol.js';
import {
  callIdOf, deliverFrame, encodeCancel, encodePause, encodeProviders, encodeRequest, encodeResume, endsCall, isMemory, isReady, transfersOf,
} from './provider-codec.js';
import { moduleBeside } from './spawn-worker.js';

const ACTOR_ENTRY = moduleBeside(import.meta.url, 'provider-actor');
/**
 * A thread that dies before it is ready, within a second of its start, would spin: those deaths back
 * off (0.1 s, doubled up to 5 s); any other death restarts at once, since requests wait for it.
 */
const RESTART: RestartPolicy = { quickMs: 1_000, freeRestarts: 1, firstDelayMs: 100, maxDelayMs: 5_000, readyEndsStreak: true };

interface ActorSlot {
  index: number;
  host: ActorHost<ToActorFrame[], FromActorFrame[]>;
  /** Frames batched per turn; held while the slot's thread restarts. */
  out: FrameBatcher<ToActorFrame>;
  /** The handlers of the calls in flight on this actor, by request id. */
  sinks: IdTable<CallHandler>;
}

export interface ActorPoolOptions {
  actors: number;
  providers: ProviderRuntime[];
  testHooks?: boolean;
  onCrash?: (info: { actor: number; error: string; failedRequests: number }) => void;
  /** A request body's memory an actor sent back once free (see MemoryFrame), for the next body to be read into. */
  onMemory?: (memory: ArrayBuffer) => void;
}

/**
 * The engine in `workers` mode: long-lived provider actor threads, each on one shared port with
 * integer request ids and frames batched per event-loop turn (provider-codec.ts turns calls into
 * frames and frames back into handler callbacks). A crashed actor fails its in-flight calls cleanly
 * and is restarted (with backoff when it keeps crashing right after start).
 */
export class ActorPool implements UpstreamEngine {
  readonly mode = 'workers' as const;
  #slots: ActorSlot[] = [];
  #providers: ProviderRuntime[];
  #testHooks: boolean;
  #onCrash: ActorPoolOptions['onCrash'];
  #onMemory: ActorPoolOptions['onMemory'];
  #seq = 0;
  #next = 0;

  constructor(opts: ActorPoolOptions) {
    if (opts.actors < 1 || opts.actors > CALL_ID_STRIDE) throw new RangeError(`actors must be 1..${CALL_ID_STRIDE}`);
    this.#providers = opts.providers;
    this.#testHooks = opts.testHooks ?? false;
    this.#onCrash = opts.onCrash;
    this.#onMemory = opts.onMemory;
    for (let i = 0; i < opts.actors; i++) this.#slots.push(this.#createSlot(i));
  }

  call(request: CallRequest, handler: CallHandler): CallController {
    const slot = this.#slots[this.#next]!;
    this.#next = (this.#next + 1) % this.#slots.length;
    const id = ++this.#seq * CALL_ID_STRIDE + slot.index;
    slot.sinks.set(id, handler);
    // The only call in flight on its actor: nothing is coming to batch it with.
    slot.out.push(encodeRequest(id, request), slot.sinks.size === 1);
    return new ActorCall(slot, id);
  }

  setProviders(providers: ProviderRuntime[]): void {
    this.#providers = providers;
    for (const slot of this.#slots) this.#send(slot, encodeProviders(providers));
  }

  ready(): Promise<void> {
    return Promise.all(this.#slots.map((s) => s.host.whenReady())).then(() => undefined);
  }

  stats(): EngineStats {
    let inflight = 0;
    let restarts = 0;
    for (const slot of this.#slots) {
      inflight += slot.sinks.size;
      restarts += slot.host.restarts;
    }
    return { mode: this.mode, actors: this.#slots.length, inflight, restarts };
  }

  async close(): Promise<void> {
    await Promise.all(this.#slots.map((slot) => slot.host.close()));
  }

  #createSlot(index: number): ActorSlot {
    const out = new FrameBatcher<ToActorFrame>((frames) => slot.host.post(frames, transfersOf(frames)));
    const host = new ActorHost<ToActorFrame[], FromActorFrame[]>({
      entry: ACTOR_ENTRY,
      name: `provider-actor-${index}`,
      workerData: (): ActorWorkerData => ({ actorIndex: index, providers: this.#providers, testHooks: this.#testHooks }),
      onMessage: (frames) => this.#receive(slot, frames),
      onCrash: (crash) => this.#failInflight(slot, crash),
      restart: RESTART,
      outbox: out,
    });
    const slot: ActorSlot = { index, host, out, sinks: new IdTable(CALL_ID_STRIDE) };
    host.start();
    return slot;
  }

  #send(slot: ActorSlot, frame: ToActorFrame): void {
    slot.out.push(frame);
  }

  #receive(slot: ActorSlot, frames: FromActorFrame[]): void {
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      if (isReady(frame)) {
        slot.host.markReady();
        continue;
      }
      if (isMemory(frame)) {
        this.#onMemory?.(frame[2]);
        continue;
      }
      const id = callIdOf(frame);
      const sink = slot.sinks.get(id);
      if (!sink) continue; // aborted meanwhile
      if (endsCall(frame)) slot.sinks.delete(id);
      deliverFrame(frame, sink);
    }
  }

  /** The slot's thread died (the host starts another): its requests in flight fail with LR_ERR_ACTOR_CRASHED. */
  #failInflight(slot: ActorSlot, crash: ActorCrash): void {
    const failed = slot.sinks.entries();
    slot.sinks.clear();
    const error = crash.error === null ? 'exited' : crash.error.stack ?? crash.error.message;
    this.#onCrash?.({ actor: slot.index, error, failedRequests: failed.length });
    const crashError = new LocalRouterError('LR_ERR_ACTOR_CRASHED', 'the provider actor handling this request crashed; it has been restarted').toPlain();
    for (const [, sink] of failed) sink.onError(crashError);
  }
}

/** The controller of a call on an actor: controls travel as frames to the actor that runs it. */
class ActorCall implements CallController {
  #slot: ActorSlot;
  #id: number;

  constructor(slot: ActorSlot, id: number) {
    this.#slot = slot;
    this.#id = id;
  }

  pause(): void {
    if (this.#slot.sinks.has(this.#id)) this.#slot.out.push(encodePause(this.#id));
  }

  resume(): void {
    if (this.#slot.sinks.has(this.#id)) this.#slot.out.push(encodeResume(this.#id));
  }

  abort(): void {
    if (this.#slot.sinks.delete(this.#id)) this.#slot.out.push(encodeCancel(this.#id));
  }
}
