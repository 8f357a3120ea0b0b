import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import { LocalRouterError, toLocalRouterError, type PlainError } from '../errors/index.js';
import type { RequestRun } from './request-run.js';
import type { Operation, ProviderAdapter, TranslateContext } from './adapter.js';
import { answerPipeline, type AnswerPipeline, type AnswerStream } from './answer-pipeline.js';
import type { ClientDialect } from './client-dialect.js';
import { isConnectionFailure, mapTransportError } from './map-upstream-error.js';
import { parseRetryAfter } from './retry-after.js';

/** Largest upstream error or non-streamed body the gateway will hold in memory. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * One upstream HTTP exchange, as an undici dispatch handler. A 2xx stream goes through the call's
 * answer pipeline and reaches the run as text chunks; everything else is buffered, translated, and
 * handed on as one response.
 * Pause, resume and abort go through undici's controller, so client backpressure reaches the
 * upstream socket. Besides undici's first-byte and idle timeouts, the whole response has a deadline
 * (`totalTimeoutMs`), so an upstream dripping a byte at a time cannot hold a request forever.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  #run: RequestRun;
  #adapter: ProviderAdapter;
  #pipeline: AnswerPipeline;
  #op: Operation;
  #ctx: TranslateContext;
  #expectStream: boolean;
  #controller: Dispatcher.DispatchController | null = null;
  #status = 0;
  #contentType = '';
  #translator: AnswerStream | null = null;
  #decoder: StringDecoder | null = null;
  #parts: Buffer[] = [];
  #bytes = 0;
  #finished = false;
  #pauseRequested = false;
  #headSent = false;
  #retryAfterMs = 0;
  #deadline: NodeJS.Timeout | null = null;
  /** Translated stream output not yet handed on (see `#emit`). */
  #pending = '';
  #flushQueued = false;
  readonly #dialect: ClientDialect;

  /** `dialect` is the client's: chat answers are encoded in it, and so is an upstream 4xx of any operation. */
  constructor(run: RequestRun, adapter: ProviderAdapter, dialect: ClientDialect, op: Operation, ctx: TranslateContext,
    expectStream: boolean) {
    this.#run = run;
    this.#adapter = adapter;
    this.#dialect = dialect;
    this.#pipeline = answerPipeline(adapter, dialect, op, ctx, (usage) => run.costOf(usage));
    this.#op = op;
    this.#ctx = ctx;
    this.#expectStream = expectStream;
    const total = ctx.provider.totalTimeoutMs;
    if (total !== undefined && total > 0) this.#deadline = setTimeout(() => this.#onDeadline(total), total).unref();
  }

  pause(): void {
    this.#pauseRequested = true;
    this.#controller?.pause();
  }

  resume(): void {
    this.#pauseRequested = false;
    this.#controller?.resume();
  }

  /** Client went away: abort upstream, emit nothing more. */
  cancel(): void {
    if (this.#finished) return;
    this.#pending = '';
    this.#settle();
    this.#controller?.abort(new Error('cancelled by client'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#finished) controller.abort(new Error('cancelled by client'));
    else if (this.#pauseRequested) controller.pause();
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.#status = statusCode;
    const ct = headers['content-type'];
    const contentType = (Array.isArray(ct) ? ct[0] : ct) ?? '';
    this.#contentType = contentType || 'application/json';
    this.#retryAfterMs = parseRetryAfter(headers['retry-after'], headers['retry-after-ms'], Date.now());
    if (this.#finished || statusCode < 200 || statusCode >= 300) return;
    const problem = this.#adapter.contentTypeProblem?.(contentType, this.#expectStream) ?? null;
    if (problem !== null) {
      this.#fail(new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${this.#ctx.provider.name}" ${problem}`).toPlain());
      controller.abort(new Error('unexpected upstream content type'));
      return;
    }
    // The head is sent with the first translated bytes, not now: until then a failure can still fall back.
    if (this.#expectStream) {
      try {
        this.#translator = this.#pipeline.stream();
      } catch (err) {
        this.#fail(badResponse(this.#ctx.provider.name, err));
        controller.abort(new Error('untranslatable upstream stream'));
        return;
      }
      this.#decoder = new StringDecoder('utf8');
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#finished) return;
    if (this.#translator) {
      this.#translate(() => this.#translator!.feed(this.#decoder!.write(chunk)), controller);
      return;
    }
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_BUFFERED_BYTES) {
      this.#fail(new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${this.#ctx.provider.name}" sent a body over ${MAX_BUFFERED_BYTES} bytes`).toPlain());
      controller.abort(new Error('upstream body too large'));
      return;
    }
    // undici reuses its buffers: keep a copy.
    this.#parts.push(Buffer.from(chunk));
  }

  onResponseEnd(): void {
    if (this.#finished) return;
    if (this.#translator) {
      if (!this.#translate(() => this.#translator!.feed(this.#decoder!.end()) + this.#translator!.end(), null)) return;
      this.#sendHead();
      this.#flush();
      const usage = this.#translator.usage;
      this.#settle();
      this.#run.onEnd(usage, this.#run.costOf(usage), this.#translator.upstreamId);
      return;
    }
    const body = this.#parts.length === 1 ? this.#parts[0]!.toString('utf8') : Buffer.concat(this.#parts).toString('utf8');
    this.#parts = [];
    if (this.#status >= 200 && this.#status < 300) {
      let out;
      try {
        out = this.#pipeline.response(body);
      } catch (err) {
        this.#fail(badResponse(this.#ctx.provider.name, err));
        return;
      }
      this.#settle();
      this.#run.onResponse(this.#status, this.#op === 'chat' || this.#op === 'models' ? 'application/json' : this.#contentType, out.body, out.usage, out.costUsd, out.upstreamId);
      return;
    }
    const mapped = this.#adapter.error(this.#status, body, this.#ctx);
    const failure = { status: this.#status, retryAfterMs: this.#retryAfterMs, upstreamBody: body };
    this.#settle();
    if ('code' in mapped) {
      this.#run.fail({ ...failure, error: mapped });
    } else {
      const error = new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${this.#ctx.provider.name}" returned ${this.#status}`,
        { status: mapped.status, upstreamBody: mapped.body, upstream: mapped.detail }).toPlain();
      this.#run.fail({ ...failure, error, passThrough: { status: mapped.status, body: this.#dialect.encodeError(mapped) } });
    }
  }

  onResponseError(_c: Dispatcher.DispatchController | null, err: Error): void {
    if (this.#finished) return;
    const coded = err as Error & { code?: string };
    // Before any HTTP answer, a refused, reset or unresolvable connection is the provider's, not the model's.
    this.#fail(mapTransportError(this.#ctx.provider.name, coded), this.#status === 0 && isConnectionFailure(coded));
  }

  /** The whole response took too long: the try ends as a timeout (a 504 or fallback before the first byte, an error event after). */
  #onDeadline(totalMs: number): void {
    this.#deadline = null;
    if (this.#finished) return;
    const what = this.#status === 0 ? 'did not answer' : 'did not finish its answer';
    this.#fail(new LocalRouterError('LR_ERR_UPSTREAM_TIMEOUT', `provider "${this.#ctx.provider.name}" ${what} within ${totalMs} ms (total timeout)`).toPlain());
    this.#controller?.abort(new Error('upstream total timeout'));
  }

  #sendHead(): void {
    if (this.#headSent) return;
    this.#headSent = true;
    this.#run.onStart(this.#status, 'text/event-stream; charset=utf-8');
  }

  /** Runs a pipeline step and forwards the output; a step that throws ends the stream with an error. */
  #translate(step: () => string, controller: Dispatcher.DispatchController | null): boolean {
    let out: string;
    try {
      out = step();
    } catch (err) {
      this.#fail(badResponse(this.#ctx.provider.name, err));
      controller?.abort(new Error('untranslatable upstream stream'));
      return false;
    }
    if (out.length > 0) {
      this.#sendHead();
      this.#emit(out);
    }
    return true;
  }

  /**
   * Queues stream output to be handed on once the current socket read has been parsed: an upstream
   * that writes each event as its own HTTP chunk yields dozens of body callbacks per read, and each
   * hand-on costs a client write (a syscall in inline mode, a frame in workers mode).
   */
  #emit(out: string): void {
    this.#pending = this.#pending.length === 0 ? out : this.#pending + out;
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    queueMicrotask(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#pending.length === 0) return;
    const text = this.#pending;
    this.#pending = '';
    try {
      this.#run.onChunk(text);
    } catch (err) {
      // Run from a microtask, not from undici's callback: a throw here would reach no one.
      this.#fail(toLocalRouterError(err).toPlain());
      this.#controller?.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #fail(error: PlainError, connectionLevel = false): void {
    if (this.#finished) return;
    // What was translated before the failure reaches the client before the error does (a handler
    // that throws on it fails the call from #flush: then this failure has nothing left to end).
    this.#flush();
    if (this.#finished) return;
    this.#settle();
    this.#run.fail({ error, status: 0, retryAfterMs: this.#retryAfterMs, connectionLevel });
  }

  #settle(): void {
    this.#finished = true;
    if (this.#deadline !== null) {
      clearTimeout(this.#deadline);
      this.#deadline = null;
    }
  }
}

function badResponse(provider: string, err: unknown): PlainError {
  const coded = toLocalRouterError(err);
  if (coded.code !== 'LR_ERR_INTERNAL') return coded.toPlain();
  return new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" sent a response that cannot be translated: ${(err as Error).message}`).toPlain();
}
