/** Breaker state, as `/metrics`, the admin API and `providers list` show it. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What a failure says is unwell: the whole provider (it cannot be reached) or one of its models. */
export type FailureScope = 'provider' | 'model';

/** One breaker as the admin API shows it. */
export interface BreakerEntry {
  provider: string;
  /** null for the provider's own (connection-level) breaker. */
  model: string | null;
  state: BreakerState;
  /** Consecutive failures counted so far. */
  failures: number;
  /** Milliseconds until an open breaker lets a probe through (0 when it may be used now). */
  retryInMs: number;
}

/** A breaker changed state: closed → open, open → half_open (one probe let through), → closed, half_open → open. */
export interface BreakerTransition {
  provider: string;
  model: string | null;
  from: BreakerState;
  to: BreakerState;
  failures: number;
  /** How long the breaker stays open when `to` is `open`; 0 otherwise. */
  openForMs: number;
  /** The upstream's Retry-After that set the open time, after the cap; 0 when none. */
  retryAfterMs: number;
}

/** A half-open probe slot a request took; handed back with `release` when the request did not use it. */
export interface ProbeClaim {
  key: string;
  token: number;
}

export interface CircuitBreakerOptions {
  threshold: number;
  cooldownMs: number;
  /** Longest an upstream's Retry-After may keep a breaker open; 0 = Retry-After is ignored. */
  maxRetryAfterMs: number;
  now?: () => number;
  onTransition?: (t: BreakerTransition) => void;
}

interface Entry {
  provider: string;
  model: string | null;
  failures: number;
  /** 0 while closed. */
  openUntil: number;
  /** Token of the request holding the half-open probe slot; 0 when nobody holds it. */
  probe: number;
}

/**
 * Breakers only for what failed: entries are created by failures and dropped by answers, and at most
 * this many are kept (the oldest closed ones go first), so a flood of failing model ids stays bounded.
 */
const MAX_ENTRIES = 4096;

const NO_CLAIMS: readonly ProbeClaim[] = Object.freeze([]);

/**
 * Circuit breakers per (provider, model), plus one per provider for connection-level failures.
 *
 * Each breaker goes closed → open after `threshold` consecutive failures (or at once for an upstream
 * Retry-After, honoured up to `maxRetryAfterMs`) → after the cool-down, half-open, letting one probe
 * through → closed on its success, open again on its failure. A request may go to (provider, model)
 * only when both the provider's breaker and the model's let it.
 */
export class CircuitBreakers {
  #entries = new Map<string, Entry>();
  #threshold: number;
  #cooldownMs: number;
  #maxRetryAfterMs: number;
  #now: () => number;
  #onTransition: (t: BreakerTransition) => void;
  #tokens = 0;

  constructor(opts: CircuitBreakerOptions) {
    this.#threshold = opts.threshold;
    this.#cooldownMs = opts.cooldownMs;
    this.#maxRetryAfterMs = opts.maxRetryAfterMs;
    this.#now = opts.now ?? Date.now;
    this.#onTransition = opts.onTransition ?? (() => {});
  }

  /** New settings; breakers already open are shortened to the longest the new settings allow. */
  configure(threshold: number, cooldownMs: number, maxRetryAfterMs: number): void {
    this.#threshold = threshold;
    this.#cooldownMs = cooldownMs;
    this.#maxRetryAfterMs = maxRetryAfterMs;
    const latest = this.#now() + Math.max(cooldownMs, maxRetryAfterMs);
    for (const e of this.#entries.values()) if (e.openUntil > latest) e.openUntil = latest;
  }

  /** The provider's own breaker, or with `model` the stricter of the provider's and the model's. */
  state(provider: string, model?: string): BreakerState {
    const own = stateOf(this.#entries.get(provider), this.#now());
    if (model === undefined) return own;
    return worse(own, stateOf(this.#entries.get(modelKey(provider, model)), this.#now()));
  }

  /** Milliseconds until (provider[, model]) may be probed again (0 when it may be used now). */
  retryInMs(provider: string, model?: string): number {
    const now = this.#now();
    const own = Math.max(0, (this.#entries.get(provider)?.openUntil ?? 0) - now);
    if (model === undefined) return own;
    return Math.max(own, (this.#entries.get(modelKey(provider, model))?.openUntil ?? 0) - now);
  }

  /**
   * May a request go to (provider, model) now? Null when not; else the half-open probe slots it
   * claimed on the way (usually none), so only one request probes a recovering breaker at a time.
   */
  acquire(provider: string, model: string): readonly ProbeClaim[] | null {
    // The hot path: nothing has failed lately, nothing to look up.
    if (this.#entries.size === 0) return NO_CLAIMS;
    const now = this.#now();
    const own = this.#entries.get(provider);
    const its = this.#entries.get(modelKey(provider, model));
    let claims: ProbeClaim[] | null = null;
    for (const e of [own, its]) {
      if (!e || e.openUntil === 0) continue;
      if (now < e.openUntil || e.probe !== 0) return null;
    }
    for (const e of [own, its]) {
      if (!e || e.openUntil === 0) continue;
      e.probe = ++this.#tokens;
      this.#emit(e, 'open', 'half_open', 0);
      (claims ??= []).push({ key: keyOf(e), token: e.probe });
    }
    return claims ?? NO_CLAIMS;
  }

  /** Gives back probe slots a request claimed and did not use (its try never reached the upstream). */
  release(claims: readonly ProbeClaim[]): void {
    for (const c of claims) {
      const e = this.#entries.get(c.key);
      if (e && e.probe === c.token) e.probe = 0;
    }
  }

  /** (provider, model) answered: both its breaker and the provider's close. */
  success(provider: string, model: string): void {
    this.#close(provider);
    this.#close(modelKey(provider, model));
  }

  /**
   * A failure worth counting. `provider` scope (the upstream could not be reached) counts against
   * the provider's breaker; `model` scope against (provider, model)'s, and since the upstream did
   * answer, the provider's own breaker closes. `retryAfterMs` is the upstream's, 0 if none.
   */
  failure(provider: string, model: string, scope: FailureScope, retryAfterMs = 0): void {
    if (scope === 'model') this.#close(provider);
    const key = scope === 'provider' ? provider : modelKey(provider, model);
    let e = this.#entries.get(key);
    if (!e) {
      this.#makeRoom();
      e = { provider, model: scope === 'provider' ? null : model, failures: 0, openUntil: 0, probe: 0 };
      this.#entries.set(key, e);
    }
    const now = this.#now();
    const from = stateOf(e, now);
    e.failures++;
    const wasProbe = e.probe !== 0;
    e.probe = 0;
    const honoured = Math.min(Math.max(0, retryAfterMs), this.#maxRetryAfterMs);
    if (honoured > 0 || wasProbe || e.failures >= this.#threshold) {
      const openFor = Math.max(this.#cooldownMs, honoured);
      e.openUntil = Math.max(e.openUntil, now + openFor);
      if (from !== 'open') this.#emit(e, from, 'open', e.openUntil - now, honoured);
    }
  }

  /** Every breaker that counted a failure and has not closed since, provider-level ones included. */
  entries(): BreakerEntry[] {
    const now = this.#now();
    return [...this.#entries.values()].map((e) => ({
      provider: e.provider, model: e.model, state: stateOf(e, now), failures: e.failures, retryInMs: Math.max(0, e.openUntil - now),
    }));
  }

  #close(key: string): void {
    const e = this.#entries.get(key);
    if (!e) return;
    this.#entries.delete(key);
    const from = stateOf(e, this.#now());
    if (e.openUntil !== 0) this.#emit(e, from, 'closed', 0);
  }

  #makeRoom(): void {
    if (this.#entries.size < MAX_ENTRIES) return;
    let victim: string | undefined;
    for (const [key, e] of this.#entries) {
      if (e.openUntil === 0) { victim = key; break; }
      victim ??= key;
    }
    if (victim !== undefined) this.#entries.delete(victim);
  }

  #emit(e: Entry, from: BreakerState, to: BreakerState, openForMs: number, retryAfterMs = 0): void {
    this.#onTransition({ provider: e.provider, model: e.model, from, to, failures: e.failures, openForMs, retryAfterMs });
  }
}

/** Provider names hold no `/` (config NAME_PATTERN), so `provider/model` never collides with a provider key. */
function modelKey(provider: string, model: string): string {
  return `${provider}/${model}`;
}

function keyOf(e: Entry): string {
  return e.model === null ? e.provider : modelKey(e.provider, e.model);
}

function stateOf(e: Entry | undefined, now: number): BreakerState {
  if (!e || e.openUntil === 0) return 'closed';
  return now < e.openUntil ? 'open' : 'half_open';
}

const RANK: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

function worse(a: BreakerState, b: BreakerState): BreakerState {
  return RANK[a] >= RANK[b] ? a : b;
}
