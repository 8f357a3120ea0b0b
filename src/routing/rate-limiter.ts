import type { LimitConfig } from '../config/index.js';

const WINDOW_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MAX_CACHED_KEYS = 4096;

/** What one request consumes, per limit kind. Requests are known up front; tokens and cost at the end. */
export interface Consumption {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  cost: number;
}

export interface LimitState {
  limit: LimitConfig;
  /** How much is left in the window now (never negative). */
  remaining: number;
  /** Milliseconds until the budget is whole again. */
  resetMs: number;
}

export type Admission =
  | { ok: true; states: LimitState[] }
  | { ok: false; retryAfterMs: number; limit: LimitConfig; states: LimitState[] };

/**
 * GCRA per (key, limit), in memory, no I/O: each limit keeps a theoretical arrival time (TAT) that
 * advances by `amount × window / max`. A request is admitted when every limit still has room; its
 * request count is charged at once, tokens and cost when the real usage is known (`charge`). The
 * single-threaded ingress makes check-and-charge atomic, so concurrent requests cannot over-admit a
 * request limit. State can be snapshotted and restored so a restart is not a reset.
 */
export class RateLimiter {
  /** key → TAT (epoch ms) per limit id. */
  #tat = new Map<string, number>();
  /** Entry names per limit (a config's limit objects live as long as the config that holds them). */
  #ids = new WeakMap<LimitConfig, Map<string, string>>();
  #now: () => number;
  #onWrite: ((entry: string, tat: number) => void) | null = null;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /**
   * Checks every limit of `key` and, if all have room, charges `upfront` (typically 1 request and
   * the projected input tokens). A request limit needs room for this request; a token or cost limit
   * admits while any budget is left.
   */
  admit(key: string, limits: readonly LimitConfig[], upfront: Partial<Consumption>): Admission {
    const now = this.#now();
    let retryAfterMs = 0;
    let worst: LimitConfig | null = null;
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i]!;
      const window = WINDOW_MS[limit.window];
      // Requests are exact and need room for this one; tokens and cost are projections, so they only
      // need budget left (the real usage is charged when known).
      const amount = limit.kind === 'requests' ? upfront.requests ?? 0 : 0;
      const tat = Math.max(this.#tat.get(this.#id(key, limit)) ?? now, now);
      // Room means the new TAT stays within one window of now (a request of 1 always fits an empty budget).
      const next = tat + (Math.max(amount, 0) * window) / limit.max;
      const over = amount > 0 ? next - now > window + 1e-6 : tat - now >= window;
      if (over) {
        const retry = Math.ceil((amount > 0 ? next - window : tat - window + 1) - now);
        if (worst === null || retry > retryAfterMs) {
          retryAfterMs = Math.max(retry, 1);
          worst = limit;
        }
      }
    }
    if (worst !== null) return { ok: false, retryAfterMs, limit: worst, states: this.states(key, limits) };
    this.charge(key, limits, upfront);
    return { ok: true, states: this.states(key, limits) };
  }

  /**
   * Adds consumption known only after the fact (tokens, cost); may push a limit past its budget.
   * A negative amount gives back an over-projection (never below an empty budget).
   */
  charge(key: string, limits: readonly LimitConfig[], used: Partial<Consumption>): void {
    const now = this.#now();
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i]!;
      const amount = used[limit.kind] ?? 0;
      if (amount === 0) continue;
      const k = this.#id(key, limit);
      const tat = Math.max(this.#tat.get(k) ?? now, now);
      const next = Math.max(now, tat + (amount * WINDOW_MS[limit.window]) / limit.max);
      this.#tat.set(k, next);
      this.#onWrite?.(k, next);
    }
  }

  /** Every TAT change is reported to `write` (the journal that makes charges survive a hard kill). */
  journal(write: (entry: string, tat: number) => void): void {
    this.#onWrite = write;
  }

  states(key: string, limits: readonly LimitConfig[]): LimitState[] {
    const now = this.#now();
    const out = new Array<LimitState>(limits.length);
    for (let i = 0; i < limits.length; i++) {
      const limit = limits[i]!;
      const window = WINDOW_MS[limit.window];
      const used = Math.max((this.#tat.get(this.#id(key, limit)) ?? now) - now, 0);
      out[i] = { limit, remaining: Math.max(0, limit.max * (1 - used / window)), resetMs: Math.ceil(used) };
    }
    return out;
  }

  /**
   * The TAT entry's name for (key, limit), built once per pair: a request looks its limits up three
   * to five times, and a new string is hashed again on every lookup. Keys past the cap are built
   * each time, so many distinct keys cannot grow the cache.
   */
  #id(key: string, limit: LimitConfig): string {
    let byKey = this.#ids.get(limit);
    if (byKey === undefined) {
      byKey = new Map();
      this.#ids.set(limit, byKey);
    }
    let name = byKey.get(key);
    if (name === undefined) {
      name = id(key, limit);
      if (byKey.size < MAX_CACHED_KEYS) byKey.set(key, name);
    }
    return name;
  }

  /** Entries still in force, for persistence. */
  snapshot(): Record<string, number> {
    const now = this.#now();
    const out: Record<string, number> = {};
    for (const [k, tat] of this.#tat) if (tat > now) out[k] = tat;
    return out;
  }

  /** Takes entries from a snapshot or a journal; for a key seen twice the later TAT wins. */
  restore(snapshot: Record<string, number>): void {
    const now = this.#now();
    for (const [k, tat] of Object.entries(snapshot)) if (typeof tat === 'number' && Number.isFinite(tat) && tat > now) this.#tat.set(k, tat);
  }

  /** Forgets expired entries so memory stays bounded by active keys. */
  prune(): void {
    const now = this.#now();
    for (const [k, tat] of this.#tat) if (tat <= now) this.#tat.delete(k);
  }
}

function id(key: string, limit: LimitConfig): string {
  return `${key}|${limit.kind}|${limit.window}|${limit.max}`;
}
