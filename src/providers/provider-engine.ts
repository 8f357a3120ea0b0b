import { buildConnector, Pool } from 'undici';
import { randomUUID } from 'node:crypto';
import { LiveSet, type CallController, type CallHandler, type CallRequest, type EngineStats, type ProviderRuntime, type UpstreamEngine } from '../model/index.js';
import { splitBaseUrl } from './openai-compatible/api.js';
import { PriceBook } from './catalog/index.js';
import { RequestRun, type RunHost } from './request-run.js';
import { watchBodyWrites } from './body-pool.js';

interface ProviderEntry {
  runtime: ProviderRuntime;
  pool: Pool;
  prefix: string;
}

/** The controller of a call that never started (its thread is going down). */
const INERT: CallController = { pause() {}, resume() {}, abort() {} };

/**
 * Everything about talking to upstreams, behind the engine interface: `inline` mode is this engine
 * called directly on the main thread, and each provider actor thread runs one too. One keep-alive
 * undici pool per provider.
 */
export class ProviderEngine implements UpstreamEngine {
  readonly mode = 'inline' as const;
  #providers = new Map<string, ProviderEntry>();
  #prices = new PriceBook([]);
  #inflight = new LiveSet<RequestRun>();
  #onTestCrash: (() => void) | null;
  #host: RunHost = {
    provider: (name) => this.#providers.get(name),
    prices: () => this.#prices,
    done: (run) => { this.#inflight.delete(run.inflightSlot, run); },
    newId,
  };

  /** `onTestCrash` is set only when test hooks are on; it makes the hosting thread die. */
  constructor(providers: ProviderRuntime[], onTestCrash: (() => void) | null = null) {
    this.#onTestCrash = onTestCrash;
    this.setProviders(providers);
  }

  call(request: CallRequest, handler: CallHandler): CallController {
    if (request.testCrash === true && this.#onTestCrash) {
      this.#onTestCrash();
      return INERT;
    }
    const run = new RequestRun(this.#host, request, handler);
    run.inflightSlot = this.#inflight.add(run);
    run.start();
    return run;
  }

  ready(): Promise<void> {
    return Promise.resolve();
  }

  stats(): EngineStats {
    return { mode: this.mode, actors: 0, inflight: this.#inflight.size, restarts: 0 };
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
        // An idle connection is dropped before the common server idle timeout (Node's 5 s): reusing
        // one the upstream has just closed fails a POST, which undici does not retry.
        keepAliveTimeout: 4_000,
        connect: watchingConnector(runtime.connectTimeoutMs),
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
    for (const run of this.#inflight) run.abort();
    await Promise.all([...this.#providers.values()].map((p) => p.pool.close().catch(() => {})));
  }
}

/** undici's own connector, with each new connection's writes of pooled body memory counted (see body-pool.ts). */
function watchingConnector(timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: timeoutMs });
  return (options, callback) => connect(options, (err, socket) => {
    if (err !== null || socket === null) return callback(err ?? new Error('no socket'), null);
    watchBodyWrites(socket);
    callback(null, socket);
  });
}

/** Ids for translated responses (`chatcmpl-...`, `msg_...`): random, so they never collide across actors. */
function newId(prefix: string): string {
  return prefix + randomUUID().replaceAll('-', '').slice(0, 24);
}
