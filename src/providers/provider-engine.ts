import { Pool } from 'undici';
import { randomBytes } from 'node:crypto';
import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import { FRAME, REQ_FLAG, type FromActorFrame, type ProviderRuntime, type ToActorFrame } from '../workers/protocol.js';
import type { Operation, TranslateContext } from './adapter.js';
import { adapterFor, dialectFor } from './adapters.js';
import { splitBaseUrl } from './openai-compatible/api.js';
import { UpstreamExchange } from './upstream-exchange.js';

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
  #inflight = new Map<number, UpstreamExchange>();
  #onTestCrash: (() => void) | null;
  #done = (id: number): void => { this.#inflight.delete(id); };

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
      const reusable = old && splitBaseUrl(old.runtime.baseUrl).origin === origin
        && old.runtime.connectTimeoutMs === runtime.connectTimeoutMs && old.runtime.headersTimeoutMs === runtime.headersTimeoutMs;
      const pool = reusable ? old.pool : new Pool(origin, {
        connections: 256,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        connect: { timeout: runtime.connectTimeoutMs },
        headersTimeout: runtime.headersTimeoutMs,
        // Streams may pause for long between chunks (reasoning models); idle limits belong to routing.
        bodyTimeout: 0,
      });
      next.set(runtime.name, { runtime, pool, prefix });
    }
    for (const [name, old] of this.#providers) {
      if (next.get(name)?.pool !== old.pool) void old.pool.close().catch(() => {});
    }
    this.#providers = next;
  }

  async close(): Promise<void> {
    for (const ex of this.#inflight.values()) ex.cancel();
    await Promise.all([...this.#providers.values()].map((p) => p.pool.close().catch(() => {})));
  }

  #start(id: number, provider: string, op: Operation, model: string, body: string | null, flags: number): void {
    if ((flags & REQ_FLAG.TEST_CRASH) !== 0 && this.#onTestCrash) {
      this.#onTestCrash();
      return;
    }
    const entry = this.#providers.get(provider);
    if (!entry) {
      const err = new LocalRouterError('LR_ERR_MODEL_NOT_FOUND', `provider "${provider}" is not configured`);
      this.#emit([FRAME.ERROR, id, err.toPlain()]);
      return;
    }
    const adapter = adapterFor(entry.runtime.protocol);
    const ctx: TranslateContext = {
      provider: entry.runtime, model, stream: (flags & REQ_FLAG.STREAM) !== 0,
      clientWantsUsage: (flags & REQ_FLAG.CLIENT_WANTS_USAGE) !== 0, now: Date.now, newId,
    };
    let upstream;
    let dialect;
    try {
      dialect = op === 'chat' ? dialectFor((flags & REQ_FLAG.DIALECT_MASK) >> REQ_FLAG.DIALECT_SHIFT) : null;
      upstream = adapter.request(op, body, ctx);
    } catch (err) {
      this.#emit([FRAME.ERROR, id, toLocalRouterError(err).toPlain()]);
      return;
    }
    const exchange = new UpstreamExchange(id, adapter, dialect, op, ctx, upstream.streams, this.#emit, this.#done);
    this.#inflight.set(id, exchange);
    try {
      entry.pool.dispatch({ path: entry.prefix + upstream.path, method: upstream.method, headers: upstream.headers, body: upstream.body }, exchange);
    } catch (err) {
      exchange.onResponseError(null, err as Error);
    }
  }
}

/** Ids for translated responses (`chatcmpl-...`, `msg_...`): random, so they never collide across actors. */
function newId(prefix: string): string {
  return prefix + randomBytes(12).toString('base64url');
}
