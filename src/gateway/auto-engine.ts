import type { CallController, CallHandler, CallRequest, EngineStats, ProviderRuntime, UpstreamEngine } from '../model/index.js';

/** How long calls stay on the actors after one saw another client request open. */
export const BUSY_HOLD_MS = 100;

/**
 * Machines with this many cores or fewer run every `auto` call on the main thread, as `inline`:
 * there the actor threads compete with the main thread (and the clients beside it) for the same
 * cores, and every hop costs both threads a wake-up and a copy. Measured on 2 vCPUs (README,
 * Benchmarks; inline ÷ auto within each run): streams ×1.09–1.20, agent-sized bodies at c=16 mostly
 * above 1 (×0.93–1.41), c=256 ×1.04–1.14, small requests at saturation even (×0.93–1.02), and
 * ~18 MB less idle.
 */
export const AUTO_INLINE_MAX_CORES = 2;

/**
 * `execution: auto`: a call made while the gateway has no other client request open (and no other
 * call in flight) runs on this thread, any other goes to the provider actor threads. One request at
 * a time, the hop to an idle actor and back (two thread wake-ups, 0.1–0.3 ms on a small machine)
 * costs more than the call's own work, and there is nothing else for the ingress to do meanwhile.
 * Open requests are counted from their arrival, not only their upstream calls: under load the
 * ingress thread is the busy one, and requests it is still reading or answering must not make a
 * call look alone and put its upstream work on that thread too. Requests the ingress has not read
 * yet are not counted, so under load a call can still look alone now and then: after any call that
 * saw another request open, calls stay on the actors for {@link BUSY_HOLD_MS}. A call stays where
 * it started.
 *
 * The on-thread engine is loaded in the background once a provider is configured (start-up and a
 * config without providers do not pay for it); until it is there, every call goes to the actors.
 * Calls with the crash test hook always go to an actor.
 *
 * With `everyCallLocal` (a machine of {@link AUTO_INLINE_MAX_CORES} cores or fewer) every call runs
 * on this thread once its engine is loaded; the actors are a fallback until then.
 */
export class AutoEngine implements UpstreamEngine {
  readonly mode = 'auto' as const;
  readonly #actors: UpstreamEngine;
  readonly #loadLocal: (providers: ProviderRuntime[]) => Promise<UpstreamEngine>;
  #local: UpstreamEngine | null = null;
  #loading: Promise<void> | null = null;
  #providers: ProviderRuntime[];
  #closed = false;
  readonly #openRequests: () => number;
  readonly #now: () => number;
  /** Until when (`#now` ms) calls go to the actors: the last time one saw company, plus the hold. */
  #busyUntil = Number.NEGATIVE_INFINITY;
  readonly #everyCallLocal: boolean;

  /**
   * `actors`: the actor-thread engine; `loadLocal`: builds the engine for this thread (may import it);
   * `openRequests`: how many client requests the gateway has open, the caller's own included;
   * `everyCallLocal`: run every call on this thread, alone or not.
   */
  constructor(providers: ProviderRuntime[], actors: UpstreamEngine, loadLocal: (providers: ProviderRuntime[]) => Promise<UpstreamEngine>,
    openRequests: () => number, now: () => number = () => performance.now(), options: { everyCallLocal?: boolean } = {}) {
    this.#everyCallLocal = options.everyCallLocal === true;
    this.#openRequests = openRequests;
    this.#now = now;
    this.#providers = providers;
    this.#actors = actors;
    this.#loadLocal = loadLocal;
    if (providers.length > 0) this.#startLoading();
  }

  call(request: CallRequest, handler: CallHandler): CallController {
    const local = this.#local;
    if (local !== null && request.testCrash !== true && (this.#everyCallLocal || this.#alone(local))) return local.call(request, handler);
    return this.#actors.call(request, handler);
  }

  #alone(local: UpstreamEngine): boolean {
    const now = this.#now();
    if (this.#openRequests() > 1 || local.stats().inflight > 0 || this.#actors.stats().inflight > 0) {
      this.#busyUntil = now + BUSY_HOLD_MS;
      return false;
    }
    return now >= this.#busyUntil;
  }

  setProviders(list: ProviderRuntime[]): void {
    this.#providers = list;
    this.#actors.setProviders(list);
    if (this.#local !== null) this.#local.setProviders(list);
    else if (list.length > 0) this.#startLoading();
  }

  /** The actors' readiness: calls go to them until the on-thread engine is loaded, so start-up does not wait for it. */
  ready(): Promise<void> {
    return this.#actors.ready();
  }

  /** Resolves once the on-thread engine is loaded (or failed to load); at once without providers. */
  async localReady(): Promise<boolean> {
    await this.#loading;
    return this.#local !== null;
  }

  stats(): EngineStats {
    const actors = this.#actors.stats();
    const inflight = actors.inflight + (this.#local === null ? 0 : this.#local.stats().inflight);
    return { mode: this.mode, actors: actors.actors, inflight, restarts: actors.restarts };
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#actors.close(), this.#local?.close()]);
  }

  #startLoading(): void {
    if (this.#loading !== null) return;
    this.#loading = this.#loadLocal(this.#providers).then((engine) => {
      if (this.#closed) {
        void engine.close();
        return;
      }
      // Providers may have changed while the engine loaded.
      engine.setProviders(this.#providers);
      this.#local = engine;
    }, () => {
      // Without the on-thread engine every call goes to the actors, as in `workers`.
    });
  }
}
