import type { Worker } from 'node:worker_threads';
import { LocalRouterError } from '../errors/index.js';
import type { CallController, CallHandler, CallRequest, EngineStats, ProviderRuntime, UpstreamEngine } from '../model/index.js';
import { FrameBatcher } from './frame-batcher.js';
import type { ActorWorkerData, FromActorFrame, ToActorFrame } from './protocol.js';
import {
  callIdOf, deliverFrame, encodeCancel, encodePause, encodeProviders, encodeRequest, encodeResume, endsCall, isReady,
} from './provider-codec.js';
import { moduleBeside, spawnWorker } from './spawn-worker.js';

const ACTOR_ENTRY = moduleBeside(import.meta.url, 'provider-actor');
/** Request ids carry the actor slot in their low bits, so control frames need no lookup table. */
const SLOT_BITS = 64;
const MAX_RESTART_DELAY_MS = 5_000;

interface ActorSlot {
  index: number;
  worker: Worker | null;
  out: FrameBatcher<ToActorFrame>;
  /** Frames queued while the slot waits to restart. */
  parked: ToActorFrame[];
  /** The handlers of the calls in flight on this actor, by request id. */
  sinks: Map<number, CallHandler>;
  startedAt: number;
  quickCrashes: number;
  /** Resolved by the actor's first READY frame. */
  readyOnce: Promise<void>;
  markReady: () => void;
}

export interface ActorPoolOptions {
  actors: number;
  providers: ProviderRuntime[];
  testHooks?: boolean;
  onCrash?: (info: { actor: number; error: string; failedRequests: number }) => void;
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
  #seq = 0;
  #next = 0;
  #restarts = 0;
  #closing = false;

  constructor(opts: ActorPoolOptions) {
    if (opts.actors < 1 || opts.actors > SLOT_BITS) throw new RangeError(`actors must be 1..${SLOT_BITS}`);
    this.#providers = opts.providers;
    this.#testHooks = opts.testHooks ?? false;
    this.#onCrash = opts.onCrash;
    for (let i = 0; i < opts.actors; i++) this.#slots.push(this.#createSlot(i));
  }

  call(request: CallRequest, handler: CallHandler): CallController {
    const slot = this.#slots[this.#next]!;
    this.#next = (this.#next + 1) % this.#slots.length;
    const id = ++this.#seq * SLOT_BITS + slot.index;
    slot.sinks.set(id, handler);
    this.#send(slot, encodeRequest(id, request));
    return new ActorCall(slot, id);
  }

  setProviders(providers: ProviderRuntime[]): void {
    this.#providers = providers;
    for (const slot of this.#slots) this.#send(slot, encodeProviders(providers));
  }

  ready(): Promise<void> {
    return Promise.all(this.#slots.map((s) => s.readyOnce)).then(() => undefined);
  }

  stats(): EngineStats {
    let inflight = 0;
    for (const slot of this.#slots) inflight += slot.sinks.size;
    return { mode: this.mode, actors: this.#slots.length, inflight, restarts: this.#restarts };
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((slot) => slot.worker?.terminate()));
  }

  #createSlot(index: number): ActorSlot {
    let markReady = (): void => {};
    const readyOnce = new Promise<void>((r) => { markReady = r; });
    const slot: ActorSlot = {
      index, worker: null, parked: [], sinks: new Map(), startedAt: 0, quickCrashes: 0, readyOnce, markReady,
      out: new FrameBatcher<ToActorFrame>((frames) => {
        if (slot.worker) slot.worker.postMessage(frames);
        else slot.parked.push(...frames);
      }),
    };
    this.#spawn(slot);
    return slot;
  }

  #spawn(slot: ActorSlot): void {
    const data: ActorWorkerData = { actorIndex: slot.index, providers: this.#providers, testHooks: this.#testHooks };
    const worker = spawnWorker(ACTOR_ENTRY, { workerData: data, name: `provider-actor-${slot.index}` });
    slot.worker = worker;
    slot.startedAt = Date.now();
    let lastError = 'exited';
    worker.on('message', (frames: FromActorFrame[]) => this.#receive(slot, frames));
    worker.on('error', (err) => { lastError = err.stack ?? err.message; });
    worker.on('exit', () => this.#onExit(slot, worker, lastError));
    if (slot.parked.length > 0) {
      worker.postMessage(slot.parked);
      slot.parked = [];
    }
  }

  #send(slot: ActorSlot, frame: ToActorFrame): void {
    slot.out.push(frame);
  }

  #receive(slot: ActorSlot, frames: FromActorFrame[]): void {
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      if (isReady(frame)) {
        slot.quickCrashes = 0;
        slot.markReady();
        continue;
      }
      const id = callIdOf(frame);
      const sink = slot.sinks.get(id);
      if (!sink) continue; // aborted meanwhile
      if (endsCall(frame)) slot.sinks.delete(id);
      deliverFrame(frame, sink);
    }
  }

  #onExit(slot: ActorSlot, worker: Worker, error: string): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    const failed = [...slot.sinks];
    slot.sinks.clear();
    if (this.#closing) return;
    this.#restarts++;
    this.#onCrash?.({ actor: slot.index, error, failedRequests: failed.length });
    const crashError = new LocalRouterError('LR_ERR_ACTOR_CRASHED', 'the provider actor handling this request crashed; it has been restarted').toPlain();
    for (const [, sink] of failed) sink.onError(crashError);
    // A thread that dies right after starting would spin: back off exponentially in that case only.
    const quick = Date.now() - slot.startedAt < 1_000;
    slot.quickCrashes = quick ? slot.quickCrashes + 1 : 0;
    const delay = slot.quickCrashes === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 50 * 2 ** slot.quickCrashes);
    if (delay === 0) this.#spawn(slot);
    else setTimeout(() => { if (!this.#closing) this.#spawn(slot); }, delay).unref();
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
