import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { LocalRouterError, toLocalRouterError, type ErrorCode, type PlainError } from '../errors/index.js';
import {
  admitRequest, needsClassifier, noProviderAvailable, planCandidates, projectInputTokens, rateLimitHeaders, retryAfterSeconds, routeByClassifier,
  type AutoDecision, type CandidateProbe, type LimitState,
} from '../routing/index.js';
import type { Attempt, CallController, CallHandler, CallRequest, Usage } from '../model/index.js';
import { randomFillSync } from 'node:crypto';
import {
  answerAfterBody, OWN_BODY_BUFFER_BYTES, readBody, statusLine, writeResponse, type AttemptRecord, type AuthedClient, type GatewayState, type GatewayTables, type HeaderPairs,
  type OpenExchange, type RouteHandler,
} from '../ingress/index.js';
import { headerSafe } from '../model/index.js';
import { giveBack, scanTopLevel, spliceTopLevel, spliceTopLevelText, takeBody, type TopLevelObject } from '../providers/index.js';
import { isUtf8 } from 'node:buffer';
import { isObject, parseJsonBody, PASS_THROUGH_SKIM_MIN_BYTES, SKIM_MIN_BYTES, type FrontRequest, type LlmFront } from './llm-fronts.js';

const SSE_HEADERS: HeaderPairs = [['cache-control', 'no-cache'], ['x-accel-buffering', 'no']];

/**
 * The shared LLM path for every client-facing API: authenticate, read and check the body (through
 * the front), resolve the model, dispatch to an actor, and write the answer.
 */
export function llmRoute(front: LlmFront): RouteHandler {
  return (state, res, req, cors) => handleLlmRequest(front, state, res, req, cors);
}

function handleLlmRequest(front: LlmFront, state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
  const t0 = performance.now();
  // One config for the whole request, whatever reloads happen while it runs.
  const tables = state.tables;
  const server = tables.server;
  const authorization = req.getHeader('authorization');
  const xApiKey = req.getHeader('x-api-key');
  const contentType = req.getHeader('content-type');
  const contentLength = Number(req.getHeader('content-length') || '0');
  const crashHook = state.testHooks && req.getHeader('x-localrouter-test-crash') === '1';
  if (state.testHooks && req.getHeader('x-localrouter-test-crash') === 'main') throwOnMainThread();

  let client;
  try {
    client = tables.clients.authenticate(authorization, xApiKey);
    if (contentType.length > 0 && !/^application\/json\b/i.test(contentType)) {
      throw new LocalRouterError('LR_ERR_UNSUPPORTED_MEDIA_TYPE', `content-type must be application/json, got "${contentType.slice(0, 100)}"`);
    }
    if (contentLength > server.max_body_bytes) {
      throw new LocalRouterError('LR_ERR_BODY_TOO_LARGE', `request body is over the limit of ${server.max_body_bytes} bytes`);
    }
  } catch (err) {
    // Answered once the unread body has been dropped (a client still sending would miss an answer
    // sent at once), then the connection is closed.
    const e = toLocalRouterError(err);
    answerAfterBody(res, Number.isFinite(contentLength) ? contentLength : 0, () => writeResponse(res, e.status, 'application/json', front.errorBody(e), cors, true), server.body_timeout_ms);
    return;
  }

  const exchange = new LlmExchange(front, state, tables, res, cors, t0, client.name);
  exchange.strategy = client.policy.strategy; // monitoring: the series' strategy dimension
  exchange.clientId = client.id; // monitoring: generation records belong to the client's id, not its name
  res.onAborted(() => exchange.abort());
  readBody(res, server.max_body_bytes, (err, raw) => {
    if (exchange.aborted) return;
    if (err) return exchange.fail(err, true);
    exchange.holdBody(raw!);
    try {
      const cap = state.logBodyBytes ?? 0; // monitoring: request body for the request log (opt-in)
      if (cap > 0) exchange.requestBody = raw!.toString('utf8', 0, Math.min(raw!.length, cap));
      const parsed = parseJsonBody(raw!, server.max_json_depth, skimFrom(front, tables));
      const request = front.parse(parsed.value, { maxMessages: server.max_messages }, parsed.messages);
      if (!needsClassifier(request, client)) {
        proceed(front, state, exchange, client, request, raw!, parsed.top, crashHook, null);
        return;
      }
      routeByClassifier(request, client, state.classifiers).then(({ ids, decision }) => {
        if (exchange.aborted) return;
        exchange.route(decision);
        try {
          proceed(front, state, exchange, client, request, raw!, parsed.top, crashHook, ids);
        } catch (e) {
          exchange.fail(clientError(state, e), false);
        }
      }, (e: unknown) => { if (!exchange.aborted) exchange.fail(clientError(state, e), false); });
    } catch (e) {
      exchange.fail(clientError(state, e), false);
    }
  }, server.body_timeout_ms, Number.isFinite(contentLength) ? contentLength : 0, takeBody);
}

/** From which size a body of this front is skimmed instead of parsed whole (see `parseJsonBody`). */
function skimFrom(front: LlmFront, tables: GatewayTables): number {
  if (front.skimsMessages !== true) return Infinity;
  return tables.openAIOnly ? PASS_THROUGH_SKIM_MIN_BYTES : SKIM_MIN_BYTES;
}

/** Test hook: an exception and a rejection nobody handles, on the ingress thread, outside any request. */
function throwOnMainThread(): void {
  setImmediate(() => { throw new Error('test hook: uncaught exception on the main thread'); });
  void Promise.reject(new Error('test hook: unhandled rejection on the main thread'));
}

/** The coded error a client gets for `e`; anything that is not already one is a bug, logged with its stack. */
function clientError(state: GatewayState, e: unknown): LocalRouterError {
  const err = toLocalRouterError(e);
  if (err.code === 'LR_ERR_INTERNAL') state.reportInternal(e, 'llm request');
  return err;
}

/**
 * Plans the candidates, admits the request against its limits, and hands it to an actor. A request
 * that would reach a model its strategy marks `ask` (any of its candidates, as resolved: a bare id,
 * a fallback list or an auto route cannot get around it) first waits for a person's approval;
 * nothing goes upstream meanwhile, and it is planned again once approved.
 */
function proceed(front: LlmFront, state: GatewayState, exchange: LlmExchange, client: AuthedClient, request: FrontRequest,
  raw: Buffer, top: TopLevelObject | null, crashHook: boolean, ids: string[] | null, approved = false): void {
  const plan = planCandidates(request, { directory: state.directory, breakers: state.breakers, capabilities: exchange.tables.capabilities }, client, ids);
  if (plan.targets.length === 0) {
    exchange.countAgainst(plan.skipped[0]!);
    throw noProviderAvailable(plan, state);
  }
  const wait = approved || state.askModel === undefined ? null : askForModels(state, client, request.model, plan.targets, raw.length);
  if (wait !== null) {
    // The half-open probe slots go back while the request waits: it may never be sent.
    for (const p of plan.probes) state.breakers.release(p.claims);
    exchange.onAbort = wait.drop;
    wait.decided.then((refusal) => {
      exchange.onAbort = null;
      if (exchange.aborted) return;
      if (refusal !== null) return exchange.fail(refusal, false);
      try {
        proceed(front, state, exchange, client, request, raw, top, crashHook, ids, true);
      } catch (e) {
        exchange.fail(clientError(state, e), false);
      }
    }, (e: unknown) => { if (!exchange.aborted) exchange.fail(clientError(state, e), false); });
    return;
  }
  exchange.holdProbes(plan.probes);
  const projected = projectInputTokens(raw.length);
  exchange.limits(client, admitRequest(state, client, projected), projected);
  const candidates = plan.targets.map((t) => ({ provider: t.provider, model: t.upstreamModel }));
  exchange.dispatch({
    candidates, op: front.op, body: upstreamBody(request, raw, top, plan.targets[0]!.upstreamModel), stream: request.stream, clientWantsUsage: request.wantsUsage,
    dialect: front.dialect, meta: request.meta ?? null, testCrash: crashHook, answerId: exchange.generationId,
  });
}

/** The approval wait of the first of the request's models (as named, then each candidate as resolved) that asks; null when none does. No allocation when none asks: this runs on every request. */
function askForModels(state: GatewayState, client: AuthedClient, named: string, targets: readonly { id: string }[], bytes: number): ReturnType<NonNullable<GatewayState['askModel']>> {
  let wait = state.askModel!(client, named, bytes);
  for (let i = 0; wait === null && i < targets.length; i++) {
    const id = targets[i]!.id;
    if (id !== named) wait = state.askModel!(client, id, bytes);
  }
  return wait;
}

/**
 * The OpenAI-dialect body for the first candidate: `model` set to its id, `models` removed, and for
 * a stream `stream_options.include_usage` on (the gateway always reads usage). The client's own
 * bytes with those members spliced in when they can be (see json-top-level.ts: well-formed UTF-8,
 * no top-level key written twice or with escapes), else the edited object serialized.
 */
export function upstreamBody(request: FrontRequest, raw: Buffer, scanned: TopLevelObject | null, model: string): string | Uint8Array {
  const body = request.body;
  const so = body.stream_options;
  const usageOn = isObject(so) && so.include_usage === true;
  const streamOptions = request.stream && !usageOn ? { ...(isObject(so) ? so : {}), include_usage: true } : null;
  // A body parsed in pieces was scanned and checked already.
  if (request.clientBody && (scanned !== null || isUtf8(raw))) {
    const top = scanned ?? scanTopLevel(raw);
    if (top !== null) {
      const set = new Map([['model', JSON.stringify(model)]]);
      if (streamOptions !== null) set.set('stream_options', JSON.stringify(streamOptions));
      // A small body crosses to an actor more cheaply as text; a large one as bytes, transferred,
      // and it is not needed here after this: it is spliced where it lies when there is room.
      if (raw.length < BYTES_BODY_MIN) return spliceTopLevelText(raw, top, set, DROPPED_MEMBERS);
      return spliceTopLevel(raw, top, set, DROPPED_MEMBERS, raw.length >= OWN_BODY_BUFFER_BYTES);
    }
  }
  body.model = model;
  delete body.models;
  if (streamOptions !== null) body.stream_options = streamOptions;
  return JSON.stringify(body);
}

/** Bodies shorter than this go to the engine as text (see `upstreamBody`); a frame's string clones faster than a small buffer. */
const BYTES_BODY_MIN = 8 * 1024;

/** The OpenRouter-style fallback list is the gateway's: upstreams never see it. */
const DROPPED_MEMBERS = ['models'];

/**
 * One client request in flight: the handler of its engine call, writing what it hears to the client,
 * with backpressure (a write that buffers pauses the upstream until uWS drains) and cancellation (a
 * client that goes away aborts the upstream call).
 */
class LlmExchange implements CallHandler, OpenExchange {
  aborted = false;
  /** The config tables this request started with. */
  readonly tables: GatewayTables;
  #front: LlmFront;
  #state: GatewayState;
  #res: HttpResponse;
  #cors: HeaderPairs;
  #t0: number;
  /** Its slot in the gateway's open requests. */
  #openSlot = -1;
  #call: CallController | null = null;
  #headSent = false;
  /** A stream's status and type, committed but not written yet: they go out with its first bytes (see `#putHead`). */
  #headPending: { status: number; contentType: string } | null = null;
  #done = false;
  #paused = false;
  #ttftMs = 0;
  #usage: Usage | null = null;
  #costUsd: number | null = null;
  /** The id the upstream gave its answer (the client got `generationId`). */
  #upstreamId: string | null = null;
  #errorCode: ErrorCode | null = null;
  #client: string;
  #provider: string | null = null;
  #model: string | null = null;
  #attempts: AttemptRecord[] = [];
  #upstreamMs = 0;
  #probes: CandidateProbe[] = [];
  /** The candidate an answer of the gateway's own (no try made) is counted against in metrics. */
  #countedAgainst: { provider: string; model: string } | null = null;
  /** The last failed try's Retry-After, passed on with a 429 or 503 answer. */
  #upstreamRetryAfterMs = 0;
  #limitClient: AuthedClient | null = null;
  #limitStates: LimitState[] = [];
  #projectedInput = 0;
  #heartbeat: NodeJS.Timeout | null = null;
  #route: AutoDecision | null = null;
  readonly generationId = newGenerationId();
  strategy: string | null = null;
  clientId: string | null = null;
  requestBody: string | null = null;
  #responseBody: string | null = null;
  /** The request's bytes, lent from the body pool when large (see body-pool.ts); null once given back. */
  #body: Buffer | null = null;
  /** The engine's call ended by itself (its last callback came): nothing of it can still use the body. */
  #callOver = false;
  /** A client abort or a shutdown cut the call short: it may still hold the body, which is then not given back. */
  #cut = false;

  constructor(front: LlmFront, state: GatewayState, tables: GatewayTables, res: HttpResponse, cors: HeaderPairs, t0: number, client: string) {
    this.#front = front;
    this.tables = tables;
    this.#client = client;
    this.#state = state;
    this.#res = res;
    this.#cors = cors;
    this.#t0 = t0;
    this.#openSlot = state.open.add(this);
  }

  /** `raw` is the request's body for as long as the request lasts. */
  holdBody(raw: Buffer): void {
    this.#body = raw;
  }

  terminate(err: PlainError): void {
    if (this.#done || this.aborted) return;
    this.#cut = true;
    this.#call?.abort();
    this.onError(err);
    // A request still waiting for approval is answered now: its wait is dropped.
    this.onAbort?.();
    this.onAbort = null;
  }


  /** The classifier's choice for an auto-routed request. */
  route(decision: AutoDecision): void {
    this.#route = decision;
  }

  /** Half-open breaker slots this request claimed; released at the end if no try used them. */
  holdProbes(probes: CandidateProbe[]): void {
    this.#probes = probes;
  }

  /** Metrics count an answer no try was made for (every breaker open) against this candidate. */
  countAgainst(target: { provider: string; id: string }): void {
    this.#countedAgainst = { provider: target.provider, model: target.id };
  }

  /** The client's limits, charged up front with `projectedInput` tokens and reconciled at the end. */
  limits(client: AuthedClient, states: LimitState[], projectedInput: number): void {
    if (states.length === 0) return;
    this.#limitClient = client;
    this.#limitStates = states;
    this.#projectedInput = projectedInput;
  }

  dispatch(call: CallRequest): void {
    this.#call = this.#state.engine.call(call, this);
    const every = this.tables.server.sse_heartbeat_ms;
    // A call can end inside `engine.call` (inline, an unknown provider): no heartbeat then.
    if (call.stream && every > 0 && !this.#done) this.#heartbeat = setTimeout(() => this.#beat(every), every);
  }

  /**
   * While a stream waits for its first token, an SSE comment every `every` ms keeps idle proxies from
   * cutting it. It commits the response as a 200 stream; later failures become error events.
   */
  #beat(every: number): void {
    if (this.#done || this.aborted) return;
    if (!this.#headSent) this.#writeHead(200, 'text/event-stream; charset=utf-8');
    this.#res.cork(() => {
      this.#putHead();
      this.#res.write(': keep-alive\n\n');
    });
    this.#heartbeat = setTimeout(() => this.#beat(every), every);
  }

  /** Called when the client goes away before the request is dispatched (a wait for approval ends). */
  onAbort: (() => void) | null = null;

  abort(): void {
    this.aborted = true;
    this.#cut = true;
    this.onAbort?.();
    this.onAbort = null;
    if (!this.#done) this.#call?.abort();
    this.#finish(499);
  }

  fail(err: LocalRouterError, close: boolean): void {
    // Answered already (a shutdown's error, or the answer itself): a late failure writes nothing.
    if (this.#done) return;
    this.#errorCode = err.code;
    this.#writeError(err, close, err.headers ?? []);
    this.#finish(err.status);
  }

  onAttempt(attempt: Attempt): void {
    if (this.aborted) return;
    this.#attempts.push({ provider: attempt.provider, model: attempt.model, status: attempt.status, code: attempt.code, durationMs: attempt.durationMs });
    this.#upstreamMs += attempt.durationMs;
    if (attempt.code !== null) this.#upstreamRetryAfterMs = attempt.retryAfterMs;
    if (attempt.code === null) {
      this.#provider = attempt.provider;
      this.#model = `${attempt.provider}/${attempt.model}`;
    }
    this.#state.onAttempt(attempt);
  }

  onResponse(status: number, contentType: string, body: string, usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    this.#callOver = true;
    if (!this.#answering()) return;
    if (this.#state.logBodyBytes) this.#captureResponse(body);
    this.#usage = usage;
    this.#costUsd = costUsd;
    this.#upstreamId = upstreamId;
    // An upstream 4xx comes already in the client's dialect (the engine encodes it).
    writeResponse(this.#res, status, contentType, body, this.#withRetryAfter(status, this.#responseHeaders()), this.#state.shuttingDown);
    this.#finish(status);
  }

  onStart(status: number, contentType: string): void {
    if (!this.#answering()) return;
    if (!this.#headSent) this.#writeHead(status, contentType);
  }

  onChunk(text: string): void {
    if (this.#answering()) this.#writeChunk(text);
  }

  onEnd(usage: Usage | null, costUsd: number | null, upstreamId: string | null = null): void {
    this.#callOver = true;
    if (!this.#answering()) return;
    this.#usage = usage;
    this.#costUsd = costUsd;
    this.#upstreamId = upstreamId;
    this.#res.cork(() => {
      this.#putHead();
      this.#res.end();
    });
    this.#finish(200);
  }

  onError(err: PlainError): void {
    this.#callOver = true;
    if (!this.#answering()) return;
    this.#errorCode = err.code;
    if (!this.#headSent) {
      this.#writeError(err, this.#state.shuttingDown);
    } else if (err.relayed === true) {
      // The client received the upstream's error event already.
      this.#res.cork(() => {
        this.#putHead();
        this.#res.end();
      });
    } else {
      // After the first byte the status is gone: end the stream with an error event.
      const event = this.#front.errorEvent(err);
      this.#res.cork(() => {
        this.#putHead();
        this.#res.write(event);
        this.#res.end();
      });
    }
    this.#finish(err.status);
  }

  /** False once the client went away; otherwise the answer has begun, so the heartbeat stops. */
  #answering(): boolean {
    if (this.aborted) return false;
    if (this.#heartbeat !== null) {
      clearTimeout(this.#heartbeat);
      this.#heartbeat = null;
    }
    return true;
  }

  /** CORS plus where the request went and what the gateway itself cost. */
  #responseHeaders(): HeaderPairs {
    const overhead = Math.max(0, performance.now() - this.#t0 - this.#upstreamMs);
    const h: (readonly [string, string])[] = [...this.#cors, ...rateLimitHeaders(this.#limitStates), ['x-localrouter-generation-id', this.generationId], ['x-localrouter-attempts', String(this.#attempts.length)], ['x-localrouter-overhead-ms', overhead.toFixed(3)]];
    // The model id can come from an upstream's model list: never echoed into a header unchecked.
    if (this.#provider !== null) h.push(['x-localrouter-provider', this.#provider], ['x-localrouter-model', headerSafe(this.#model!)]);
    if (this.#route !== null) {
      const r = this.#route;
      h.push(['x-localrouter-route', `${r.side}; classifier=${r.classifier}; score=${r.score === null ? 'none' : r.score.toFixed(4)}; threshold=${r.threshold.toFixed(4)}`]);
    }
    return h;
  }

  #writeError(err: PlainError, close: boolean, extra: HeaderPairs = []): void {
    const body = this.#front.errorBody(err);
    const headers = [...this.#responseHeaders(), ...extra];
    // The gateway's own Retry-After (limits, open breakers) is exact; an upstream's is capped.
    writeResponse(this.#res, err.status, 'application/json', body, err.retryAfterMs === undefined
      ? this.#withRetryAfter(err.status, headers)
      : [...headers, ['retry-after', retryAfterSeconds(err.retryAfterMs, Infinity)]], close);
  }

  /** A 429 or 503 that an upstream's refusal led to carries its Retry-After (at most `server.max_retry_after_ms`). */
  #withRetryAfter(status: number, headers: HeaderPairs): HeaderPairs {
    if ((status !== 429 && status !== 503) || this.#upstreamRetryAfterMs <= 0) return headers;
    return [...headers, ['retry-after', retryAfterSeconds(this.#upstreamRetryAfterMs, this.tables.server.max_retry_after_ms)]];
  }

  /** Replaces the projected input tokens with the real usage, and charges output tokens and cost. */
  #reconcileLimits(): void {
    const client = this.#limitClient;
    if (client === null) return;
    const u = this.#usage;
    const prompt = u ? u.input : 0;
    const completion = u ? u.output : 0;
    this.#state.limiter.charge(client.id, client.policy.limits, {
      input_tokens: prompt - this.#projectedInput,
      output_tokens: completion,
      total_tokens: prompt + completion - this.#projectedInput,
      cost: this.#costUsd ?? 0,
    });
  }

  /**
   * Commits the response as a stream. The head is written with the first bytes that follow it
   * (inside the same cork), so a stream's head and first chunk leave in one send instead of two.
   */
  #writeHead(status: number, contentType: string): void {
    this.#headSent = true;
    this.#headPending = { status, contentType };
  }

  /** Inside a cork: writes the stream's head if it is not written yet. */
  #putHead(): void {
    const head = this.#headPending;
    if (head === null) return;
    this.#headPending = null;
    const res = this.#res;
    res.writeStatus(statusLine(head.status));
    res.writeHeader('content-type', head.contentType);
    for (const [k, v] of SSE_HEADERS) res.writeHeader(k, v);
    for (const [k, v] of this.#responseHeaders()) res.writeHeader(k, v);
  }

  /** Monitoring (opt-in `monitoring.log_bodies`): the answer as sent, up to the cap. */
  #captureResponse(text: string): void {
    const room = (this.#state.logBodyBytes ?? 0) - (this.#responseBody?.length ?? 0);
    if (room > 0) this.#responseBody = (this.#responseBody ?? '') + text.slice(0, room);
  }

  #writeChunk(text: string): void {
    if (this.#state.logBodyBytes) this.#captureResponse(text);
    if (this.#ttftMs === 0) this.#ttftMs = performance.now() - this.#t0;
    let ok = true;
    this.#res.cork(() => {
      this.#putHead();
      ok = this.#res.write(text);
    });
    if (!ok && !this.#paused) {
      this.#paused = true;
      this.#call?.pause();
      this.#res.onWritable(() => {
        if (this.#paused && !this.aborted) {
          this.#paused = false;
          this.#call?.resume();
        }
        return true;
      });
    }
  }

  /**
   * Gives a lent body back to the pool when nothing of this request can still use it: no call was
   * made, or the call ended by itself. After an abort or a shutdown the call may still hold it.
   */
  #releaseBody(): void {
    const body = this.#body;
    this.#body = null;
    if (body === null || this.#cut || (this.#call !== null && !this.#callOver)) return;
    giveBack(body);
  }

  #finish(status: number): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#heartbeat !== null) clearTimeout(this.#heartbeat);
    // Probe slots whose try settled them are already free again; this hands back the rest.
    for (const p of this.#probes) this.#state.breakers.release(p.claims);
    this.#reconcileLimits();
    this.#state.open.delete(this.#openSlot, this);
    this.#releaseBody();
    this.#state.onRequestDone({
      id: this.generationId, op: this.#front.op, attempts: this.#attempts, route: this.#route,
      status, startMs: this.#t0, durationMs: performance.now() - this.#t0, ttftMs: this.#ttftMs,
      streamed: this.#headSent, usage: this.#usage, costUsd: this.#costUsd, errorCode: this.#errorCode, client: this.#client,
      provider: this.#provider ?? this.#countedAgainst?.provider ?? null, model: this.#model ?? this.#countedAgainst?.model ?? null,
      strategy: this.strategy, clientId: this.clientId, requestBody: this.requestBody, responseBody: this.#responseBody, upstreamId: this.#upstreamId,
    });
  }
}

/**
 * Random bytes for generation ids, drawn from the CSPRNG a few thousand at a time: one
 * `randomBytes(10)` per request was a kernel-backed call that cost more than the request's routing.
 */
const ID_RANDOM = Buffer.alloc(10 * 512);
let idRandomAt = ID_RANDOM.length;

/** `gen-` + 32 hex digits (time first, then 80 random bits): unique across restarts, unguessable. */
function newGenerationId(): string {
  if (idRandomAt === ID_RANDOM.length) {
    randomFillSync(ID_RANDOM);
    idRandomAt = 0;
  }
  const random = ID_RANDOM.toString('hex', idRandomAt, idRandomAt + 10);
  idRandomAt += 10;
  // Time first (UUIDv7 style): the request log's id index then grows at its end instead of taking
  // inserts anywhere (measured with bench/micro/metrics/monitoring-record.ts IDS=time).
  return `gen-${Date.now().toString(16).padStart(12, '0')}${random}`;
}
