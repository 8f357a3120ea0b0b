import { Pool } from 'undici';
import { randomUUID } from 'node:crypto';
import { FRAME, REQ_FLAG, type FromActorFrame, type ProviderRuntime, type ToActorFrame } from '../workers/protocol.js';
import type { Operation } from './adapter.js';
import { splitBaseUrl } from './openai-compatible/api.js';
import { PriceBook } from './catalog/index.js';
import { RequestRun, type RunHost } from './request-run.js';

interface ProviderEntry {
  runtime: ProviderRuntime;
  pool: Pool;
  prefix: string;
}

/**
 * Everything about talking to upstreams, driven by frames: the same engine runs inside a provider
 * actor thread or inline on the main thread. One keep-alive undici pool per provider.
 */
export class ProviderEngine {
  #emit: (frame: FromActorFrame) => void;
  #providers = new Map<string, ProviderEntry>();
  #prices = new PriceBook([]);
  #inflight = new Map<number, RequestRun>();
  #onTestCrash: (() => void) | null;
  #host: RunHost = {
    provider: (name) => this.#providers.get(name),
    prices: () => this.#prices,
    emit: (frame) => this.#emit(frame),
    done: (id) => { this.#inflight.delete(id); },
    newId,
  };

  /** `onTestCrash` is set only when test hooks are on; it makes the hosting thread die. */
  constructor(emit: (frame: FromActorFrame) => void, providers: ProviderRuntime[], onTestCrash: (() => void) | null = null) {
    this.#emit = emit;
    this.#onTestCrash = onTestCrash;
    this.setProviders(providers);
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  handle(frame: ToActorFrame): void {
    switch (frame[0]) {
      case FRAME.REQUEST: return this.#start(frame[1], frame[2], frame[3], frame[4], frame[5], frame[6]);
      case FRAME.CANCEL: return this.#inflight.get(frame[1])?.cancel();
      case FRAME.PAUSE: return this.#inflight.get(frame[1])?.pause();
      case FRAME.RESUME: return this.#inflight.get(frame[1])?.resume();
      case FRAME.PROVIDERS: return this.setProviders(frame[2]);
    }
  }

  /** Replaces the provider table; pools whose origin or timeouts changed are closed once idle. */
  setProviders(list: ProviderRuntime[]): void {
    const next = new Map<string, ProviderEntry>();
    for (const runtime of list) {
      const old = this.#providers.get(runtime.name);
      const { origin, prefix } = splitBaseUrl(runtime.baseUrl);
      const reusable = old && splitBaseUrl(old.runtime.baseUrl).origin === origin && old.runtime.connectTimeoutMs === runtime.connectTimeoutMs
        && old.runtime.maxConnections === runtime.maxConnections;
      const pool = reusable ? old.pool : new Pool(origin, {
        connections: runtime.maxConnections,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: { timeout: runtime.connectTimeoutMs },
      });
      next.set(runtime.name, { runtime, pool, prefix });
    }
    for (const [name, old] of this.#providers) {
      if (next.get(name)?.pool !== old.pool) void old.pool.close().catch(() => {});
    }
    this.#providers = next;
    const overrides: Record<string, ProviderRuntime['prices'][string]> = {};
    for (const p of list) for (const [model, price] of Object.entries(p.prices)) overrides[`${p.name}/${model}`] = price;
    this.#prices = new PriceBook(list, overrides);
  }

  async close(): Promise<void> {
    for (const ex of this.#inflight.values()) ex.cancel();
    await Promise.all([...this.#providers.values()].map((p) => p.pool.close().catch(() => {})));
  }

  #start(id: number, candidates: string[], op: Operation, body: string | null, flags: number, meta: string | null): void {
    if ((flags & REQ_FLAG.TEST_CRASH) !== 0 && this.#onTestCrash) {
      this.#onTestCrash();
      return;
    }
    const run = new RequestRun(this.#host, id, candidates, op, body, flags, meta);
    this.#inflight.set(id, run);
    run.start();
  }
}

/** Ids for translated responses (`chatcmpl-...`, `msg_...`): random, so they never collide across actors. */
function newId(prefix: string): string {
  return prefix + randomUUID().replaceAll('-', '').slice(0, 24);
}
