import { LocalRouterError, toLocalRouterError, type PlainError } from '../errors/index.js';
import { fallsBack } from '../routing/index.js';
import { FRAME, REQ_FLAG, type FromActorFrame, type ProviderRuntime, type Usage } from '../workers/protocol.js';
import type { PriceBook } from './catalog/index.js';
import type { Operation, ProviderAdapter, TranslateContext } from './adapter.js';
import { adapterFor, dialectFor } from './adapters.js';
import type { ClientDialect } from './client-dialect.js';
import { UpstreamExchange } from './upstream-exchange.js';
import { redactExact, redactSecret } from './redact-secret.js';
import type { Pool } from 'undici';

/** What a run needs from the engine that hosts it. */
export interface RunHost {
  provider(name: string): { runtime: ProviderRuntime; pool: Pool; prefix: string } | undefined;
  prices(): PriceBook;
  emit(frame: FromActorFrame): void;
  done(id: number): void;
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
 * One client request across its candidates: tries them in order, moving on after a retryable failure
 * as long as nothing has reached the client, and reports every try as an ATTEMPT frame. Everything
 * it hands on passes one door that removes the current provider's API key from upstream text (an
 * upstream that echoes the request's Authorization header must not reach the client or the logs).
 */
export class RequestRun {
  readonly id: number;
  #host: RunHost;
  #candidates: string[];
  #op: Operation;
  #body: string | null;
  #flags: number;
  #meta: Record<string, unknown> | null;
  #index = -2;
  #current: UpstreamExchange | null = null;
  /** The current candidate's API key, scrubbed from everything relayed. */
  #secret: string | null = null;
  #tryStarted = 0;
  #committed = false;
  #finished = false;
  #paused = false;

  constructor(host: RunHost, id: number, candidates: string[], op: Operation, body: string | null, flags: number, meta: string | null = null) {
    this.#host = host;
    this.id = id;
    this.#candidates = candidates;
    this.#op = op;
    this.#body = body;
    this.#flags = flags;
    this.#meta = meta === null ? null : JSON.parse(meta) as Record<string, unknown>;
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

  cancel(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#host.done(this.id);
    this.#current?.cancel();
  }

  /** Called by the exchange for frames that reach the client: the first one commits the run. */
  emit(frame: FromActorFrame): void {
    if (this.#finished) return;
    if (!this.#committed) {
      this.#committed = true;
      this.#reportTry(frame[0] === FRAME.FULL ? frame[2] : 200, null, 0, false);
    }
    const kind = frame[0];
    if (kind === FRAME.END || kind === FRAME.FULL || kind === FRAME.ERROR) {
      this.#finished = true;
      this.#host.done(this.id);
    }
    this.#host.emit(this.#scrub(frame));
  }

  /** The USD cost of `usage` on the current candidate; null when its price is unknown. */
  costOf(usage: Usage | null): number | null {
    if (usage === null) return null;
    return this.#host.prices().costOf(this.#candidates[this.#index]!, this.#candidates[this.#index + 1]!,
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
    this.#finished = true;
    this.#host.done(this.id);
    if (this.#committed) this.#host.emit([FRAME.ERROR, this.id, f.error]);
    else if (f.passThrough) this.#host.emit([FRAME.FULL, this.id, f.passThrough.status, 'application/json', f.passThrough.body, null, null]);
    else this.#host.emit([FRAME.ERROR, this.id, f.error]);
  }

  #hasNext(): boolean {
    return this.#index + 2 < this.#candidates.length;
  }

  #next(): void {
    this.#index += 2;
    const provider = this.#candidates[this.#index]!;
    const model = this.#candidates[this.#index + 1]!;
    this.#tryStarted = performance.now();
    const entry = this.#host.provider(provider);
    this.#secret = entry?.runtime.apiKey ?? null;
    if (!entry) {
      this.fail({ error: new LocalRouterError('LR_ERR_MODEL_NOT_FOUND', `provider "${provider}" is not configured`).toPlain(), status: 0, retryAfterMs: 0 });
      return;
    }
    const ctx: TranslateContext = {
      provider: entry.runtime, model, stream: (this.#flags & REQ_FLAG.STREAM) !== 0,
      clientWantsUsage: (this.#flags & REQ_FLAG.CLIENT_WANTS_USAGE) !== 0, now: Date.now, newId: this.#host.newId,
      ...this.#meta,
    };
    let adapter: ProviderAdapter;
    let dialect: ClientDialect | null;
    let upstream;
    try {
      adapter = adapterFor(entry.runtime.protocol);
      dialect = this.#op === 'chat' ? dialectFor((this.#flags & REQ_FLAG.DIALECT_MASK) >> REQ_FLAG.DIALECT_SHIFT) : null;
      upstream = adapter.request(this.#op, this.#bodyFor(model), ctx);
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
  #bodyFor(model: string): string | null {
    if (this.#index === 0 || this.#body === null) return this.#body;
    const parsed = JSON.parse(this.#body) as { model?: string };
    parsed.model = model;
    return JSON.stringify(parsed);
  }

  #reportTry(status: number, code: PlainError['code'] | null, retryAfterMs: number, connectionLevel: boolean): void {
    const ms = Math.round((performance.now() - this.#tryStarted) * 1000) / 1000;
    this.#host.emit([FRAME.ATTEMPT, this.id, this.#candidates[this.#index]!, this.#candidates[this.#index + 1]!, status, code, ms, retryAfterMs, connectionLevel]);
  }

  /** Answers are checked for the exact key only (one `includes` per chunk); error text also for any `Bearer` token. */
  #scrub(frame: FromActorFrame): FromActorFrame {
    const secret = this.#secret;
    switch (frame[0]) {
      case FRAME.CHUNK: {
        const text = redactExact(frame[2], secret);
        return text === frame[2] ? frame : [FRAME.CHUNK, frame[1], text];
      }
      case FRAME.FULL: {
        const body = frame[2] >= 400 ? redactSecret(frame[4], secret) : redactExact(frame[4], secret);
        return body === frame[4] ? frame : [FRAME.FULL, frame[1], frame[2], frame[3], body, frame[5], frame[6]];
      }
      case FRAME.ERROR: return [FRAME.ERROR, frame[1], scrubError(frame[2], secret)];
      default: return frame;
    }
  }

  #scrubFailure(f: TryFailure): TryFailure {
    const secret = this.#secret;
    const out: TryFailure = { ...f, error: scrubError(f.error, secret) };
    if (f.upstreamBody !== undefined) out.upstreamBody = redactSecret(f.upstreamBody, secret);
    if (f.passThrough) out.passThrough = { status: f.passThrough.status, body: redactSecret(f.passThrough.body, secret) };
    return out;
  }
}

function scrubError(error: PlainError, secret: string | null): PlainError {
  const out: PlainError = { ...error, message: redactSecret(error.message, secret) };
  if (error.upstreamBody !== undefined) out.upstreamBody = redactSecret(error.upstreamBody, secret);
  return out;
}
