import { LocalRouterError } from '../errors/index.js';
import { ActorHost, type ActorCrash, type RestartPolicy } from './actor-host.js';
import type { DispatcherStats, FrameSink, UpstreamDispatcher } from './dispatcher.js';
import { FrameBatcher } from './frame-batcher.js';
import { FRAME, type ActorWorkerData, type FromActorFrame, type ProviderRuntime, type ToActorFrame, type UpstreamCall } from './protocol.js';
import { moduleBeside } from './spawn-worker.js';

const ACTOR_ENTRY = moduleBeside(import.meta.url, 'provider-actor');
/** Request ids carry the actor slot in their low bits, so control frames need no lookup table. */
const SLOT_BITS = 64;
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
  sinks: Map<number, FrameSink>;
}

export interface ActorPoolOptions {
  actors: number;
  providers: ProviderRuntime[];
  testHooks?: boolean;
  onCrash?: (info: { actor: number; error: string; failedRequests: number }) => void;
}

/**
 * Long-lived provider actor threads, each on one shared port with integer request ids and frames
 * batched per event-loop turn. A crashed actor fails its in-flight requests cleanly and is restarted
 * (with backoff when it keeps crashing right after start).
 */
export class ActorPool implements UpstreamDispatcher {
  readonly mode = 'workers' as const;
  #slots: ActorSlot[] = [];
  #providers: ProviderRuntime[];
  #testHooks: boolean;
  #onCrash: ActorPoolOptions['onCrash'];
  #seq = 0;
  #next = 0;

  constructor(opts: ActorPoolOptions) {
    if (opts.actors < 1 || opts.actors > SLOT_BITS) throw new RangeError(`actors must be 1..${SLOT_BITS}`);
    this.#providers = opts.providers;
    this.#testHooks = opts.testHooks ?? false;
    this.#onCrash = opts.onCrash;
    for (let i = 0; i < opts.actors; i++) this.#slots.push(this.#createSlot(i));
  }

  start(call: UpstreamCall, sink: FrameSink): number {
    const slot = this.#slots[this.#next]!;
    this.#next = (this.#next + 1) % this.#slots.length;
    const id = ++this.#seq * SLOT_BITS + slot.index;
    slot.sinks.set(id, sink);
    this.#send(slot, [FRAME.REQUEST, id, call.candidates, call.op, call.body, call.flags, call.meta]);
    return id;
  }

  cancel(id: number): void {
    const slot = this.#slots[id % SLOT_BITS]!;
    if (slot.sinks.delete(id)) this.#send(slot, [FRAME.CANCEL, id]);
  }

  pause(id: number): void {
    this.#send(this.#slots[id % SLOT_BITS]!, [FRAME.PAUSE, id]);
  }

  resume(id: number): void {
    this.#send(this.#slots[id % SLOT_BITS]!, [FRAME.RESUME, id]);
  }

  setProviders(providers: ProviderRuntime[]): void {
    this.#providers = providers;
    for (const slot of this.#slots) this.#send(slot, [FRAME.PROVIDERS, 0, providers]);
  }

  ready(): Promise<void> {
    return Promise.all(this.#slots.map((s) => s.host.whenReady())).then(() => undefined);
  }

  stats(): DispatcherStats {
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
    const out = new FrameBatcher<ToActorFrame>((frames) => slot.host.post(frames));
    const host = new ActorHost<ToActorFrame[], FromActorFrame[]>({
      entry: ACTOR_ENTRY,
      name: `provider-actor-${index}`,
      workerData: (): ActorWorkerData => ({ actorIndex: index, providers: this.#providers, testHooks: this.#testHooks }),
      onMessage: (frames) => this.#receive(slot, frames),
      onCrash: (crash) => this.#failInflight(slot, crash),
      restart: RESTART,
      outbox: out,
    });
    const slot: ActorSlot = { index, host, out, sinks: new Map() };
    host.start();
    return slot;
  }

  #send(slot: ActorSlot, frame: ToActorFrame): void {
    slot.out.push(frame);
  }

  #receive(slot: ActorSlot, frames: FromActorFrame[]): void {
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i]!;
      const kind = frame[0];
      if (kind === FRAME.READY) {
        slot.host.markReady();
        continue;
      }
      const sink = slot.sinks.get(frame[1]);
      if (!sink) continue; // cancelled meanwhile
      if (kind === FRAME.END || kind === FRAME.ERROR || kind === FRAME.FULL) slot.sinks.delete(frame[1]);
      sink.onFrame(frame);
    }
  }

  /** The slot's thread died (the host starts another): its requests in flight fail with LR_ERR_ACTOR_CRASHED. */
  #failInflight(slot: ActorSlot, crash: ActorCrash): void {
    const failed = [...slot.sinks];
    slot.sinks.clear();
    const error = crash.error === null ? 'exited' : crash.error.stack ?? crash.error.message;
    this.#onCrash?.({ actor: slot.index, error, failedRequests: failed.length });
    const crashError = new LocalRouterError('LR_ERR_ACTOR_CRASHED', 'the provider actor handling this request crashed; it has been restarted').toPlain();
    for (const [id, sink] of failed) sink.onFrame([FRAME.ERROR, id, crashError]);
  }
}
