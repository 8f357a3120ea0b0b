import { LocalRouterError, toLocalRouterError, type PlainError } from '../errors/index.js';
import { fallsBack } from '../routing/index.js';
import type { Attempt, CallCandidate, CallController, CallHandler, CallRequest, ProviderRuntime, Usage } from '../model/index.js';
import type { PriceBook } from './catalog/index.js';
import type { Operation, ProviderAdapter, TranslateContext, UpstreamBytesRequest, UpstreamRequest } from './adapter.js';
import { withTopLevelValue } from './json-top-level.js';
import { adapterFor, dialectFor } from './adapters.js';
import type { ClientDialect } from './client-dialect.js';
import { UpstreamExchange } from './upstream-exchange.js';
import { redactExact, redactSecret } from './redact-secret.js';
import type { Pool } from 'undici';

/** What a run needs from the engine that hosts it. */
export interface RunHost {
  provider(name: string): { runtime: ProviderRuntime; pool: Pool; prefix: string } | undefined;
  prices(): PriceBook;
  done(run: RequestRun): void;
  newId(prefix: string): string;
}

/** How a failed try ended, for the retry decision. */
export interface TryFailure {
  error: PlainError;
  /** Upstream status (0 for transport errors). */
  status: number;
  retryAfterMs: number;
  /** A client answer to use if no candidate is left (an upstream 4xx passed through). */
  passThrough?: { status: number; body: string };
  /** The upstream's error text, for recognising context-length errors. */
  upstreamBody?: string;
  /** The try failed at the connection, before any HTTP answer (the provider is unreachable, not one model). */
  connectionLevel?: boolean;
}

/**
 * One call across its candidates: tries them in order, moving on after a retryable failure as long
 * as nothing has reached the caller, and reports every try to the handler (`onAttempt`). It stands
 * between the exchange and the caller's handler like an undici decorator handler: everything it
 * hands on has the current provider's API key removed from upstream text (an upstream that echoes
 * the request's Authorization header must not reach the client or the logs).
 */
export class RequestRun implements CallController {
  /** Its slot in the engine's runs in flight (`LiveSet`). */
  inflightSlot = -1;
  #host: RunHost;
  #handler: CallHandler;
  #request: CallRequest;
  #candidates: CallCandidate[];
  #op: Operation;
  #body: string | Uint8Array | null;
  #meta: Record<string, unknown> | null;
  /** The id every candidate's answer carries to the client. */
  #answerId: string;
  #index = -1;
  #current: UpstreamExchange | null = null;
  /** The current candidate's API key, scrubbed from everything relayed. */
  #secret: string | null = null;
  #tryStarted = 0;
  #committed = false;
  #finished = false;
  #paused = false;

  constructor(host: RunHost, request: CallRequest, handler: CallHandler) {
    this.#host = host;
    this.#handler = handler;
    this.#request = request;
    this.#candidates = request.candidates;
    this.#op = request.op;
    this.#body = request.body;
    this.#meta = request.meta === null ? null : JSON.parse(request.meta) as Record<string, unknown>;
    this.#answerId = request.answerId ?? host.newId('gen-');
  }

  start(): void {
    this.#next();
  }

  pause(): void {
    this.#paused = true;
    this.#current?.pause();
  }

  resume(): void {
    this.#paused = false;
    this.#current?.resume();
  }

  /** The caller went away: the upstream request is aborted, and the handler hears nothing more. */
  abort(): void {
    if (this.#finished) return;
    this.#close();
    this.#current?.cancel();
  }

  // What the exchange hands on. The first of these commits the run to the current candidate (no
  // fallback after it); answers are checked for the exact key only (one `includes` per chunk),
  // upstream error bodies also for any `Bearer` token.

  onStart(status: number, contentType: string): void {
    if (this.#commit(200)) this.#handler.onStart(status, contentType);
  }

  onChunk(text: string): void {
    if (this.#commit(200)) this.#handler.onChunk(redactExact(text, this.#secret));
  }

  onEnd(usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    if (!this.#commit(200)) return;
    this.#close();
    this.#handler.onEnd(usage, costUsd, upstreamIdOf(upstreamId, this.#secret));
  }

  onResponse(status: number, contentType: string, body: string, usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    if (!this.#commit(status)) return;
    this.#close();
    const secret = this.#secret;
    this.#handler.onResponse(status, contentType, status >= 400 ? redactSecret(body, secret) : redactExact(body, secret), usage, costUsd, upstreamIdOf(upstreamId, secret));
  }

  /** The USD cost of `usage` on the current candidate; null when its price is unknown. */
  costOf(usage: Usage | null): number | null {
    if (usage === null) return null;
    const { provider, model } = this.#candidates[this.#index]!;
    return this.#host.prices().costOf(provider, model,
      { prompt: usage.input, completion: usage.output, cached: usage.cacheRead, cache_write: usage.cacheWrite, reasoning: usage.reasoning });
  }

  /** Called by the exchange when its try failed. Falls back when allowed, else ends the request. */
  fail(failure: TryFailure): void {
    if (this.#finished) return;
    const f = this.#scrubFailure(failure);
    this.#reportTry(f.status, f.error.code, f.retryAfterMs, f.connectionLevel === true);
    if (!this.#committed && this.#hasNext() && fallsBack({ status: f.status, code: f.error.code, upstreamBody: f.upstreamBody })) {
      this.#next();
      return;
    }
    this.#end(f);
  }

  /** No candidate is left (or fallback is over): the call ends with the failure. */
  #end(f: TryFailure): void {
    if (this.#finished) return;
    this.#close();
    if (!this.#committed && f.passThrough) this.#handler.onResponse(f.passThrough.status, 'application/json', f.passThrough.body, null, null);
    else this.#handler.onError(f.error);
  }

  /** Commits the run to the current candidate on its first output; false once the call is over. */
  #commit(status: number): boolean {
    if (this.#finished) return false;
    if (!this.#committed) {
      this.#committed = true;
      this.#reportTry(status, null, 0, false);
    }
    // The handler may have aborted from its `onAttempt`.
    return !this.#finished;
  }

  #close(): void {
    this.#finished = true;
    this.#host.done(this);
  }

  #hasNext(): boolean {
    return this.#index + 1 < this.#candidates.length;
  }

  #next(): void {
    if (this.#finished) return;
    this.#index += 1;
    const { provider, model } = this.#candidates[this.#index]!;
    this.#tryStarted = performance.now();
    const entry = this.#host.provider(provider);
    this.#secret = entry?.runtime.apiKey ?? null;
    if (!entry) {
      this.fail({ error: new LocalRouterError('LR_ERR_MODEL_NOT_FOUND', `provider "${provider}" is not configured`).toPlain(), status: 0, retryAfterMs: 0 });
      return;
    }
    const ctx: TranslateContext = {
      provider: entry.runtime, model, stream: this.#request.stream,
      clientWantsUsage: this.#request.clientWantsUsage, now: Date.now, newId: this.#host.newId,
      answer: { id: this.#answerId, model: `${provider}/${model}` },
      ...this.#meta,
    };
    let adapter: ProviderAdapter;
    let dialect: ClientDialect;
    let upstream;
    try {
      adapter = adapterFor(entry.runtime.protocol);
      dialect = dialectFor(this.#request.dialect);
      upstream = requestFor(adapter, this.#op, this.#bodyFor(model), ctx);
    } catch (err) {
      // A candidate that cannot express the request is skipped like a failed one.
      this.fail({ error: toLocalRouterError(err).toPlain(), status: 0, retryAfterMs: 0 });
      return;
    }
    const exchange = new UpstreamExchange(this, adapter, dialect, this.#op, ctx, upstream.streams);
    this.#current = exchange;
    if (this.#paused) exchange.pause();
    try {
      entry.pool.dispatch({
        path: upstream.originPath ?? entry.prefix + upstream.path, method: upstream.method, headers: upstream.headers, body: upstream.body,
        headersTimeout: entry.runtime.firstByteTimeoutMs, bodyTimeout: entry.runtime.idleTimeoutMs,
      }, exchange);
    } catch (err) {
      exchange.onResponseError(null, err as Error);
    }
  }

  /** The first candidate's model is already in the body; later ones need it swapped in. */
  #bodyFor(model: string): string | Uint8Array | null {
    if (this.#index === 0 || this.#body === null) return this.#body;
    if (typeof this.#body !== 'string') {
      const spliced = withTopLevelValue(this.#body, 'model', JSON.stringify(model));
      if (spliced !== null) return spliced;
    }
    const parsed = JSON.parse(typeof this.#body === 'string' ? this.#body : UTF8.decode(this.#body)) as { model?: string };
    parsed.model = model;
    return JSON.stringify(parsed);
  }

  #reportTry(status: number, code: PlainError['code'] | null, retryAfterMs: number, connectionLevel: boolean): void {
    const { provider, model } = this.#candidates[this.#index]!;
    const durationMs = Math.round((performance.now() - this.#tryStarted) * 1000) / 1000;
    const attempt: Attempt = { provider, model, status, code, durationMs, retryAfterMs, connectionLevel };
    this.#handler.onAttempt(attempt);
  }

  #scrubFailure(f: TryFailure): TryFailure {
    const secret = this.#secret;
    const out: TryFailure = { ...f, error: scrubError(f.error, secret) };
    if (f.upstreamBody !== undefined) out.upstreamBody = redactSecret(f.upstreamBody, secret);
    if (f.passThrough) out.passThrough = { status: f.passThrough.status, body: redactSecret(f.passThrough.body, secret) };
    return out;
  }
}

/** The adapter's request for `body`; bytes go as they are to an adapter that takes them, decoded to the others. */
function requestFor(adapter: ProviderAdapter, op: Operation, body: string | Uint8Array | null, ctx: TranslateContext): UpstreamRequest | UpstreamBytesRequest {
  if (body === null || typeof body === 'string') return adapter.request(op, body, ctx);
  if (adapter.requestBytes !== undefined) return adapter.requestBytes(op, body, ctx);
  return adapter.request(op, UTF8.decode(body), ctx);
}

const UTF8 = new TextDecoder();

/** Longest upstream id kept for the generation record; a longer one is not an id worth keeping. */
const MAX_UPSTREAM_ID = 256;

/** The upstream's id for the record: bounded, and never one that holds the provider's key. */
function upstreamIdOf(id: string | null, secret: string | null): string | null {
  if (id === null || id.length === 0 || id.length > MAX_UPSTREAM_ID) return null;
  return secret !== null && secret.length > 0 && id.includes(secret) ? null : id;
}

function scrubError(error: PlainError, secret: string | null): PlainError {
  const out: PlainError = { ...error, message: redactSecret(error.message, secret) };
  if (error.upstreamBody !== undefined) out.upstreamBody = redactSecret(error.upstreamBody, secret);
  if (error.upstream !== undefined) out.upstream = { ...error.upstream, message: redactSecret(error.upstream.message, secret) };
  return out;
}
