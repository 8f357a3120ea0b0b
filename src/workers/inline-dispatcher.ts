import { ProviderEngine } from '../providers/index.js';
import type { DispatcherStats, FrameSink, UpstreamDispatcher } from './dispatcher.js';
import { FRAME, type FromActorFrame, type ProviderRuntime, type UpstreamCall } from './protocol.js';

/** Runs upstream calls on the main thread: the same engine as the actors, without the hop. */
export class InlineDispatcher implements UpstreamDispatcher {
  readonly mode = 'inline' as const;
  #sinks = new Map<number, FrameSink>();
  #seq = 0;
  #engine: ProviderEngine;

  constructor(providers: ProviderRuntime[]) {
    this.#engine = new ProviderEngine((frame) => this.#deliver(frame), providers);
  }

  start(call: UpstreamCall, sink: FrameSink): number {
    const id = ++this.#seq;
    this.#sinks.set(id, sink);
    this.#engine.handle([FRAME.REQUEST, id, call.candidates, call.op, call.body, call.flags, call.meta]);
    return id;
  }

  cancel(id: number): void {
    if (this.#sinks.delete(id)) this.#engine.handle([FRAME.CANCEL, id]);
  }

  pause(id: number): void {
    this.#engine.handle([FRAME.PAUSE, id]);
  }

  resume(id: number): void {
    this.#engine.handle([FRAME.RESUME, id]);
  }

  setProviders(providers: ProviderRuntime[]): void {
    this.#engine.setProviders(providers);
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  stats(): DispatcherStats {
    return { mode: this.mode, actors: 0, inflight: this.#sinks.size, restarts: 0 };
  }

  async close(): Promise<void> {
    this.#sinks.clear();
    await this.#engine.close();
  }

  #deliver(frame: FromActorFrame): void {
    const id = frame[1];
    const sink = this.#sinks.get(id);
    if (!sink) return;
    const kind = frame[0];
    if (kind === FRAME.END || kind === FRAME.ERROR || kind === FRAME.FULL) this.#sinks.delete(id);
    sink.onFrame(frame);
  }
}
