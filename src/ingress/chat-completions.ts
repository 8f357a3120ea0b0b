import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { LocalRouterError, openAIErrorBody, toLocalRouterError, type ErrorCode, type PlainError } from '../errors/index.js';
import { resolveModel } from '../routing/index.js';
import { FRAME, REQ_FLAG, type FrameSink, type FromActorFrame, type UsageTuple } from '../workers/index.js';
import type { GatewayState, OpenExchange } from './gateway-state.js';
import { readBody, statusLine, writeError, writeResponse, type HeaderPairs } from './http-io.js';

const SSE_HEADERS: HeaderPairs = [['cache-control', 'no-cache'], ['x-accel-buffering', 'no']];

/** `POST /v1/chat/completions`: authenticate, read and check the body, resolve the model, dispatch. */
export function handleChatCompletions(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
  const t0 = performance.now();
  const authorization = req.getHeader('authorization');
  const xApiKey = req.getHeader('x-api-key');
  const contentType = req.getHeader('content-type');
  const contentLength = Number(req.getHeader('content-length') || '0');
  const crashHook = state.testHooks && req.getHeader('x-localrouter-test-crash') === '1';

  let client;
  try {
    client = state.clients.authenticate(authorization, xApiKey);
    if (contentType.length > 0 && !/^application\/json\b/i.test(contentType)) {
      throw new LocalRouterError('LR_ERR_UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json, got "${contentType.slice(0, 100)}"`);
    }
    if (contentLength > state.server.max_body_bytes) {
      throw new LocalRouterError('LR_ERR_BODY_TOO_LARGE', `request body is over the limit of ${state.server.max_body_bytes} bytes`);
    }
  } catch (err) {
    // Answered before reading the body: close the connection so the unread body is not parsed as a next request.
    writeError(res, toLocalRouterError(err), cors, true);
    return;
  }

  const exchange = new ChatExchange(state, res, cors, t0, client.name);
  res.onAborted(() => exchange.abort());
  readBody(res, state.server.max_body_bytes, (err, raw) => {
    if (exchange.aborted) return;
    if (err) return exchange.fail(err, true);
    try {
      const body = parseChatBody(raw!, state.server.max_messages);
      const target = resolveModel(body.model, state.directory, client.mayUse);
      const stream = body.stream === true;
      const wantsUsage = stream && isObject(body.stream_options) && body.stream_options.include_usage === true;
      exchange.target(target.provider, target.id);
      body.model = target.upstreamModel;
      if (stream) body.stream_options = { ...(isObject(body.stream_options) ? body.stream_options : {}), include_usage: true };
      const flags = (stream ? REQ_FLAG.STREAM : 0) | (wantsUsage ? REQ_FLAG.CLIENT_WANTS_USAGE : 0) | (crashHook ? REQ_FLAG.TEST_CRASH : 0);
      exchange.dispatch({ provider: target.provider, op: 'chat', model: target.upstreamModel, body: JSON.stringify(body), flags });
    } catch (e) {
      exchange.fail(toLocalRouterError(e), false);
    }
  });
}

interface ChatBody {
  model: string;
  messages: unknown[];
  stream?: unknown;
  stream_options?: unknown;
  [key: string]: unknown;
}

/** Parses and checks the parts of a chat request the gateway relies on; the rest goes upstream as is. */
export function parseChatBody(raw: Buffer, maxMessages: number): ChatBody {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new LocalRouterError('LR_ERR_BAD_JSON', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(body)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'request body must be a JSON object');
  if (typeof body.model !== 'string' || body.model.length === 0) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'missing required parameter: "model"', { param: 'model' });
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', '"messages" must be a non-empty array', { param: 'messages' });
  }
  if (messages.length > maxMessages) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `"messages" has ${messages.length} items; at most ${maxMessages} are accepted`, { param: 'messages' });
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObject(m) || typeof m.role !== 'string') {
      throw new LocalRouterError('LR_ERR_BAD_REQUEST', `messages[${i}] must be an object with a string "role"`, { param: `messages[${i}]` });
    }
  }
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', '"stream" must be a boolean', { param: 'stream' });
  }
  return body as ChatBody;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * One client request in flight: receives the actor's frames and writes them to the client, with
 * backpressure (a write that buffers pauses the upstream until uWS drains) and cancellation (a client
 * that goes away aborts the upstream call).
 */
class ChatExchange implements FrameSink, OpenExchange {
  aborted = false;
  #state: GatewayState;
  #res: HttpResponse;
  #cors: HeaderPairs;
  #t0: number;
  #id = -1;
  #headSent = false;
  #done = false;
  #paused = false;
  #ttftMs = 0;
  #usage: UsageTuple | null = null;
  #errorCode: ErrorCode | null = null;
  #client: string;
  #provider: string | null = null;
  #model: string | null = null;

  constructor(state: GatewayState, res: HttpResponse, cors: HeaderPairs, t0: number, client: string) {
    this.#client = client;
    this.#state = state;
    this.#res = res;
    this.#cors = cors;
    this.#t0 = t0;
    state.open.add(this);
  }

  terminate(err: PlainError): void {
    if (this.#done || this.aborted) return;
    if (this.#id !== -1) this.#state.dispatcher.cancel(this.#id);
    this.onFrame([FRAME.ERROR, this.#id, err]);
  }

  target(provider: string, model: string): void {
    this.#provider = provider;
    this.#model = model;
  }

  dispatch(call: Parameters<GatewayState['dispatcher']['start']>[0]): void {
    this.#id = this.#state.dispatcher.start(call, this);
  }

  abort(): void {
    this.aborted = true;
    if (this.#id !== -1 && !this.#done) this.#state.dispatcher.cancel(this.#id);
    this.#finish(499);
  }

  fail(err: LocalRouterError, close: boolean): void {
    this.#errorCode = err.code;
    writeError(this.#res, err, this.#cors, close);
    this.#finish(err.status);
  }

  onFrame(frame: FromActorFrame): void {
    if (this.aborted) return;
    switch (frame[0]) {
      case FRAME.FULL: {
        this.#usage = frame[5];
        writeResponse(this.#res, frame[2], frame[3], frame[4], this.#cors, this.#state.shuttingDown);
        this.#finish(frame[2]);
        return;
      }
      case FRAME.HEAD: return this.#writeHead(frame[2], frame[3]);
      case FRAME.CHUNK: return this.#writeChunk(frame[2]);
      case FRAME.END: {
        this.#usage = frame[2];
        this.#res.cork(() => this.#res.end());
        this.#finish(200);
        return;
      }
      case FRAME.ERROR: {
        const err = frame[2];
        this.#errorCode = err.code;
        if (!this.#headSent) {
          writeError(this.#res, err, this.#cors, this.#state.shuttingDown);
        } else {
          // After the first byte the status is gone: end the stream with an error event.
          const event = `data: ${openAIErrorBody(err)}\n\n`;
          this.#res.cork(() => { this.#res.write(event); this.#res.end(); });
        }
        this.#finish(err.status);
      }
    }
  }

  #writeHead(status: number, contentType: string): void {
    this.#headSent = true;
    const res = this.#res;
    res.cork(() => {
      res.writeStatus(statusLine(status));
      res.writeHeader('content-type', contentType);
      for (const [k, v] of SSE_HEADERS) res.writeHeader(k, v);
      for (const [k, v] of this.#cors) res.writeHeader(k, v);
    });
  }

  #writeChunk(text: string): void {
    if (this.#ttftMs === 0) this.#ttftMs = performance.now() - this.#t0;
    let ok = true;
    this.#res.cork(() => { ok = this.#res.write(text); });
    if (!ok && !this.#paused) {
      this.#paused = true;
      this.#state.dispatcher.pause(this.#id);
      this.#res.onWritable(() => {
        if (this.#paused && !this.aborted) {
          this.#paused = false;
          this.#state.dispatcher.resume(this.#id);
        }
        return true;
      });
    }
  }

  #finish(status: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#state.open.delete(this);
    this.#state.onRequestDone({
      status, startMs: this.#t0, durationMs: performance.now() - this.#t0, ttftMs: this.#ttftMs,
      streamed: this.#headSent, usage: this.#usage, errorCode: this.#errorCode, client: this.#client, provider: this.#provider, model: this.#model,
    });
  }
}
