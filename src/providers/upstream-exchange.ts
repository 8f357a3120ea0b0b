import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import { LocalRouterError, toLocalRouterError, type PlainError } from '../errors/index.js';
import { FRAME, type FromActorFrame } from '../workers/protocol.js';
import type { RequestRun } from './request-run.js';
import { injectCost } from './openai-compatible/usage.js';
import type { Operation, ProviderAdapter, StreamTranslator, TranslateContext } from './adapter.js';
import type { ClientDialect, DialectStream } from './client-dialect.js';
import { mapTransportError } from './map-upstream-error.js';

/** Largest upstream error or non-streamed body the gateway will hold in memory. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * One upstream HTTP exchange, as an undici dispatch handler. A 2xx stream goes through the adapter's
 * stream translator as text frames; everything else is buffered, translated, and sent as one frame.
 * Pause, resume and abort go through undici's controller, so client backpressure reaches the
 * upstream socket.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  readonly id: number;
  #run: RequestRun;
  #adapter: ProviderAdapter;
  #dialect: ClientDialect | null;
  #dialectStream: DialectStream | null = null;
  #op: Operation;
  #ctx: TranslateContext;
  #expectStream: boolean;
  #controller: Dispatcher.DispatchController | null = null;
  #status = 0;
  #contentType = '';
  #translator: StreamTranslator | null = null;
  #decoder: StringDecoder | null = null;
  #parts: Buffer[] = [];
  #bytes = 0;
  #finished = false;
  #pauseRequested = false;
  #headSent = false;
  #retryAfterMs = 0;

  constructor(run: RequestRun, adapter: ProviderAdapter, dialect: ClientDialect | null, op: Operation, ctx: TranslateContext,
    expectStream: boolean) {
    this.id = run.id;
    this.#run = run;
    this.#adapter = adapter;
    this.#dialect = dialect;
    this.#op = op;
    this.#ctx = ctx;
    this.#expectStream = expectStream;
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
    this.#finished = true;
    this.#controller?.abort(new Error('cancelled by client'));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#finished) controller.abort(new Error('cancelled by client'));
    else if (this.#pauseRequested) controller.pause();
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.#status = statusCode;
    const ct = headers['content-type'];
    this.#contentType = (Array.isArray(ct) ? ct[0] : ct) ?? 'application/json';
    this.#retryAfterMs = parseRetryAfter(headers['retry-after']);
    // HEAD is sent with the first translated bytes, not now: until then a failure can still fall back.
    if (this.#expectStream && statusCode >= 200 && statusCode < 300 && !this.#finished) {
      this.#translator = this.#adapter.stream(this.#op, this.#ctx);
      this.#dialectStream = this.#dialect?.stream(this.#ctx) ?? null;
      this.#decoder = new StringDecoder('utf8');
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#finished) return;
    if (this.#translator) {
      this.#translate(() => this.#translator!.feed(this.#decoder!.write(chunk)), false, controller);
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
      if (!this.#translate(() => this.#translator!.feed(this.#decoder!.end()) + this.#translator!.end(), true, null)) return;
      this.#sendHead();
      const usage = this.#translator.usage;
      this.#finish([FRAME.END, this.id, usage, this.#run.costOf(usage)]);
      return;
    }
    const body = this.#parts.length === 1 ? this.#parts[0]!.toString('utf8') : Buffer.concat(this.#parts).toString('utf8');
    this.#parts = [];
    if (this.#status >= 200 && this.#status < 300) {
      let out;
      let cost: number | null = null;
      try {
        out = this.#adapter.response(this.#op, body, this.#ctx);
        cost = this.#run.costOf(out.usage);
        if (this.#dialect) out = { body: this.#dialect.response(out.body, this.#ctx), usage: out.usage };
        else if (cost !== null && this.#op === 'chat') out = { body: injectCost(out.body, cost), usage: out.usage };
      } catch (err) {
        this.#fail(badResponse(this.#ctx.provider.name, err));
        return;
      }
      this.#finish([FRAME.FULL, this.id, this.#status, this.#op === 'chat' || this.#op === 'models' ? 'application/json' : this.#contentType, out.body, out.usage, cost]);
      return;
    }
    const mapped = this.#adapter.error(this.#status, body, this.#ctx);
    const failure = { status: this.#status, retryAfterMs: this.#retryAfterMs, upstreamBody: body };
    this.#finished = true;
    if ('code' in mapped) {
      this.#run.fail({ ...failure, error: mapped });
    } else {
      const error = new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${this.#ctx.provider.name}" returned ${this.#status}`, { status: mapped.status, upstreamBody: mapped.body }).toPlain();
      this.#run.fail({ ...failure, error, passThrough: mapped });
    }
  }

  onResponseError(_c: Dispatcher.DispatchController | null, err: Error): void {
    if (this.#finished) return;
    this.#fail(mapTransportError(this.#ctx.provider.name, err as Error & { code?: string }));
  }

  #sendHead(): void {
    if (this.#headSent) return;
    this.#headSent = true;
    this.#run.emit([FRAME.HEAD, this.id, this.#status, 'text/event-stream; charset=utf-8']);
  }

  /**
   * Runs a translator step (then the client dialect's, if any) and forwards the output; a translator
   * that throws ends the stream with an error.
   */
  #translate(step: () => string, last: boolean, controller: Dispatcher.DispatchController | null): boolean {
    let out: string;
    try {
      out = step();
      // The chunk that hands the client its usage also gets the cost, priced on the usage known then
      // (translators that learn usage early, like Anthropic's message_start, report it at the end).
      if (this.#ctx.clientWantsUsage && !this.#dialectStream && this.#translator!.usage !== null && out.includes('"usage":{')) {
        const cost = this.#run.costOf(this.#translator!.usage);
        if (cost !== null) out = injectCost(out, cost);
      }
      const ds = this.#dialectStream;
      if (ds) out = last ? ds.feed(out) + ds.end() : ds.feed(out);
    } catch (err) {
      this.#fail(badResponse(this.#ctx.provider.name, err));
      controller?.abort(new Error('untranslatable upstream stream'));
      return false;
    }
    if (out.length > 0) {
      this.#sendHead();
      this.#run.emit([FRAME.CHUNK, this.id, out]);
    }
    return true;
  }

  #finish(frame: FromActorFrame): void {
    this.#finished = true;
    this.#run.emit(frame);
  }

  #fail(error: PlainError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#run.fail({ error, status: 0, retryAfterMs: this.#retryAfterMs });
  }
}

/** `Retry-After` in seconds or as an HTTP date, in ms; 0 when absent or unreadable. */
function parseRetryAfter(value: string | string[] | undefined): number {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return 0;
  const seconds = Number(v);
  if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds * 1000));
  const at = Date.parse(v);
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now());
}

function badResponse(provider: string, err: unknown): PlainError {
  const coded = toLocalRouterError(err);
  if (coded.code !== 'LR_ERR_INTERNAL') return coded.toPlain();
  return new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" sent a response that cannot be translated: ${(err as Error).message}`).toPlain();
}
