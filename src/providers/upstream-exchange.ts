import { StringDecoder } from 'node:string_decoder';
import type { Dispatcher } from 'undici';
import type { PlainError } from '../errors/index.js';
import { FRAME, REQ_FLAG, type FromActorFrame } from '../workers/protocol.js';
import { mapStatusError, mapTransportError } from './map-upstream-error.js';
import { createOpenAIStreamState, endOpenAIStream, passOpenAIStream, type OpenAIStreamState } from './openai-compatible/from-openai-stream.js';
import { extractUsage } from './openai-compatible/usage.js';

/** Largest upstream error or non-streamed body the gateway will hold in memory. */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * One upstream HTTP exchange, as an undici dispatch handler. Streams are passed through as text
 * frames; everything else is buffered and sent as one frame. Pause, resume and abort go through
 * undici's controller, so client backpressure reaches the upstream socket.
 */
export class UpstreamExchange implements Dispatcher.DispatchHandler {
  readonly id: number;
  #provider: string;
  #emit: (frame: FromActorFrame) => void;
  #onDone: (id: number) => void;
  #flags: number;
  #controller: Dispatcher.DispatchController | null = null;
  #status = 0;
  #contentType = '';
  #streaming = false;
  #stream: OpenAIStreamState | null = null;
  #decoder: StringDecoder | null = null;
  #parts: Buffer[] = [];
  #bytes = 0;
  #finished = false;
  #pauseRequested = false;

  constructor(id: number, provider: string, flags: number, emit: (frame: FromActorFrame) => void, onDone: (id: number) => void) {
    this.id = id;
    this.#provider = provider;
    this.#flags = flags;
    this.#emit = emit;
    this.#onDone = onDone;
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
    this.#onDone(this.id);
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
    this.#streaming = (this.#flags & REQ_FLAG.STREAM) !== 0 && statusCode >= 200 && statusCode < 300
      && this.#contentType.includes('text/event-stream');
    if (this.#streaming && !this.#finished) {
      this.#stream = createOpenAIStreamState((this.#flags & REQ_FLAG.CLIENT_WANTS_USAGE) !== 0);
      this.#decoder = new StringDecoder('utf8');
      this.#emit([FRAME.HEAD, this.id, statusCode, 'text/event-stream; charset=utf-8']);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#finished) return;
    if (this.#streaming) {
      const out = passOpenAIStream(this.#stream!, this.#decoder!.write(chunk));
      if (out.length > 0) this.#emit([FRAME.CHUNK, this.id, out]);
      return;
    }
    this.#bytes += chunk.length;
    if (this.#bytes > MAX_BUFFERED_BYTES) {
      this.#fail({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE', status: 502, message: `provider "${this.#provider}" sent a body over ${MAX_BUFFERED_BYTES} bytes` });
      controller.abort(new Error('upstream body too large'));
      return;
    }
    // undici reuses its buffers: keep a copy.
    this.#parts.push(Buffer.from(chunk));
  }

  onResponseEnd(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onDone(this.id);
    if (this.#streaming) {
      const rest = passOpenAIStream(this.#stream!, this.#decoder!.end()) + endOpenAIStream(this.#stream!);
      if (rest.length > 0) this.#emit([FRAME.CHUNK, this.id, rest]);
      this.#emit([FRAME.END, this.id, this.#stream!.usage]);
      return;
    }
    const body = this.#parts.length === 1 ? this.#parts[0]!.toString('utf8') : Buffer.concat(this.#parts).toString('utf8');
    this.#parts = [];
    if (this.#status >= 200 && this.#status < 300) {
      this.#emit([FRAME.FULL, this.id, this.#status, this.#contentType, body, extractUsage(body)]);
      return;
    }
    const mapped = mapStatusError(this.#provider, this.#status, body);
    if ('code' in mapped) this.#emit([FRAME.ERROR, this.id, mapped]);
    else this.#emit([FRAME.FULL, this.id, mapped.status, 'application/json', mapped.body, null]);
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    if (this.#finished) return;
    this.#fail(mapTransportError(this.#provider, err as Error & { code?: string }));
  }

  #fail(error: PlainError): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#onDone(this.id);
    this.#emit([FRAME.ERROR, this.id, error]);
  }
}
