/** Breaker state of one provider, as `/metrics` and `providers list` show it. */
export type BreakerState = 'closed' | 'open' | 'half_open';

interface Entry {
  failures: number;
  openUntil: number;
  probing: boolean;
}

/**
 * One circuit breaker per provider: closed → open after `threshold` consecutive failures (or at once
 * for an upstream 429 with Retry-After) → after the cool-down, half-open, letting one probe through →
 * closed on its success, open again on its failure.
 */
export class CircuitBreakers {
  #entries = new Map<string, Entry>();
  #threshold: number;
  #cooldownMs: number;
  #now: () => number;

  constructor(opts: { threshold: number; cooldownMs: number; now?: () => number }) {
    this.#threshold = opts.threshold;
    this.#cooldownMs = opts.cooldownMs;
    this.#now = opts.now ?? Date.now;
  }

  configure(threshold: number, cooldownMs: number): void {
    this.#threshold = threshold;
    this.#cooldownMs = cooldownMs;
  }

  state(provider: string): BreakerState {
    const e = this.#entries.get(provider);
    if (!e || e.openUntil === 0) return 'closed';
    return this.#now() < e.openUntil ? 'open' : 'half_open';
  }

  /**
   * May a request go to `provider` now? Claims the half-open probe slot when it takes it, so only
   * one request probes a recovering provider at a time.
   */
  tryAcquire(provider: string): boolean {
    const e = this.#entries.get(provider);
    if (!e || e.openUntil === 0) return true;
    if (this.#now() < e.openUntil || e.probing) return false;
    e.probing = true;
    return true;
  }

  /** Milliseconds until `provider` may be probed again (0 when it may be used now). */
  retryInMs(provider: string): number {
    const e = this.#entries.get(provider);
    return e ? Math.max(0, e.openUntil - this.#now()) : 0;
  }

  success(provider: string): void {
    this.#entries.delete(provider);
  }

  /** A failure worth counting (5xx, 429, timeout, refused); `retryAfterMs` from the upstream, 0 if none. */
  failure(provider: string, retryAfterMs = 0): void {
    const e = this.#entries.get(provider) ?? { failures: 0, openUntil: 0, probing: false };
    this.#entries.set(provider, e);
    e.failures++;
    const wasProbe = e.probing;
    e.probing = false;
    if (retryAfterMs > 0 || wasProbe || e.failures >= this.#threshold) {
      e.openUntil = this.#now() + Math.max(this.#cooldownMs, retryAfterMs);
    }
  }

  /** A request that had claimed the probe slot ended without reaching the provider. */
  release(provider: string): void {
    const e = this.#entries.get(provider);
    if (e) e.probing = false;
  }

  snapshot(): Record<string, BreakerState> {
    const out: Record<string, BreakerState> = {};
    for (const name of this.#entries.keys()) out[name] = this.state(name);
    return out;
  }
}
