import type { CallController, CallHandler, CallRequest, EngineStats, ProviderRuntime, UpstreamEngine } from '../model/index.js';

/**
 * The provider actor pool, started once there is a provider to call: a gateway with none (a fresh
 * install) holds no provider actor thread, each of which costs about 20 MB idle. The first enabled
 * provider, at start or by a config reload, starts the pool; so would a call (none can name a
 * provider before then, but the pool would answer it as usual). Once started, the pool stays until
 * the gateway closes. A `lazy` pool starts at its first call only (for `auto` on a small machine,
 * where calls run on the main thread and an actor is only a fallback).
 */
export class OnDemandEngine implements UpstreamEngine {
  readonly mode = 'workers' as const;
  readonly #start: (providers: ProviderRuntime[]) => UpstreamEngine;
  #providers: ProviderRuntime[];
  #engine: UpstreamEngine | null = null;
  #closed = false;
  readonly #lazy: boolean;

  constructor(providers: ProviderRuntime[], start: (providers: ProviderRuntime[]) => UpstreamEngine, options: { lazy?: boolean } = {}) {
    this.#providers = providers;
    this.#start = start;
    this.#lazy = options.lazy === true;
    if (providers.length > 0 && !this.#lazy) this.#started();
  }

  /** Whether the pool's threads exist. */
  get started(): boolean {
    return this.#engine !== null;
  }

  call(request: CallRequest, handler: CallHandler): CallController {
    return this.#started().call(request, handler);
  }

  setProviders(list: ProviderRuntime[]): void {
    this.#providers = list;
    if (this.#engine !== null) this.#engine.setProviders(list);
    else if (list.length > 0 && !this.#lazy) this.#started();
  }

  ready(): Promise<void> {
    return this.#engine?.ready() ?? Promise.resolve();
  }

  stats(): EngineStats {
    return this.#engine?.stats() ?? { mode: this.mode, actors: 0, inflight: 0, restarts: 0 };
  }

  close(): Promise<void> {
    this.#closed = true;
    return this.#engine?.close() ?? Promise.resolve();
  }

  #started(): UpstreamEngine {
    if (this.#engine === null) {
      this.#engine = this.#start(this.#providers);
      // A call after close still gets the pool's answer for a closed pool, and leaves no thread behind.
      if (this.#closed) void this.#engine.close();
    }
    return this.#engine;
  }
}
