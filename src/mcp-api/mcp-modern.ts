import { randomBytes } from 'node:crypto';
import type { HttpResponse } from 'uWebSockets.js';
import type { McpHost, McpLog, McpSessionLink } from '../mcp/index.js';
import type { McpJsonRpcMessage, McpJsonText, McpSessionInfo } from '../workers/index.js';
import { writeResponse, type AuthedClient, type HeaderPairs } from '../ingress/index.js';
import { jsonRpcErrorBody } from './mcp-auth.js';
import type { McpSessionLimits } from './mcp-route.js';
import { MCP_RATE_LIMITED, type CallSink, type McpCalls } from './mcp-calls.js';
import { BridgedCall, CALL_ID, type CallRound, type RoundOutcome } from './mcp-bridged-call.js';
import { jsonString } from './mcp-post-exchange.js';
import { writeWebResponse, type ResponseSink } from './mcp-web-response.js';

/** The v2 server SDK as the modern side uses it (loaded with the first modern request). */
type ModernSdk = typeof import('./mcp-modern-parts.js');
type McpHttpHandler = ReturnType<ModernSdk['createMcpHandler']>;
type ModernServer = InstanceType<ModernSdk['Server']>;
type RequestStateCodec = ReturnType<ModernSdk['createRequestStateCodec']>;
type Item = Record<string, unknown>;

/** `_meta` key of the per-request envelope's protocol version (the SDK's PROTOCOL_VERSION_META_KEY, needed before it loads). */
const ENVELOPE_VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
/** The first protocol revision served per request (the SDK compares revisions as strings, as here). */
const FIRST_MODERN_VERSION = '2026-07-28';

/**
 * What a modern client can do here: the merged tools, prompts and resources (with completions),
 * `subscriptions/listen` for their list changes and resource updates, and `logging`: the upstreams'
 * log lines of a request, on that request's stream, at the level its `_meta` names (none without
 * one). No `tasks` (not part of the revision).
 */
const CAPABILITIES = {
  tools: { listChanged: true }, prompts: { listChanged: true }, resources: { subscribe: true, listChanged: true }, completions: {}, logging: {},
};

/**
 * Cache hints of the lists: each is filtered for the client's strategy, so only that client may
 * cache it (`private`), and for a short while: a client that wants to hear of changes at once holds
 * a `subscriptions/listen` stream; one that does not re-reads within the minute, and a strategy
 * changed by a config reload reaches it in that time. A read resource is not cached (its content
 * is the upstream's, which may change at any time).
 */
const LIST_TTL_MS = 60_000;
const CACHE_HINTS = {
  'tools/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
  'prompts/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
  'resources/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: LIST_TTL_MS, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
  'server/discover': { ttlMs: 0, cacheScope: 'private' },
} as const;

/** The requests a modern client may make, each answered by the MCP actor as for a session of the client's strategy. */
const FORWARDED = ['tools/list', 'tools/call', 'prompts/list', 'prompts/get', 'resources/list', 'resources/templates/list', 'resources/read', 'completion/complete'] as const;

/** The legacy protocol version the gateway's own one-request actor sessions speak (their answers are lifted to the modern wire by the SDK). */
const ACTOR_PROTOCOL_VERSION = '2025-11-25';
/** The requests whose result may be `input_required` in this revision: an upstream's requests to the client during them are bridged. */
const BRIDGED_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** What an upstream may ask the client mid-call, as embedded requests of an `input_required` result. */
const INPUT_METHODS = new Set(['sampling/createMessage', 'elicitation/create', 'roots/list']);
/**
 * How long a call waits, parked, for the client to come back with the input it needs (a human
 * answering an elicitation): its request state is valid as long.
 */
const PARK_MS = 10 * 60_000;
/**
 * Calls of one client parked at once, at most: each holds an upstream request and an actor session
 * open. Past it, an upstream's request for that client's input is refused (the upstream sees an error).
 */
const MAX_PARKED_PER_CLIENT = 64;
/** Resource URIs one `subscriptions/listen` stream may watch. */
const MAX_LISTEN_URIS = 100;
/** How long a listen stream's acknowledgement waits for its resource subscriptions to reach the upstreams. */
const SUBSCRIBE_WAIT_MS = 5_000;

/** Request headers the v2 SDK reads on a modern POST. */
const MODERN_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-method', 'mcp-name'] as const;
const PARAM_HEADER_PREFIX = 'mcp-param-';

/** Who a modern request is served for: handed to the server factory through the SDK's `authInfo`. */
interface ModernCaller {
  client: AuthedClient;
  endpoint: string | null;
  /** The upstreams' merged instructions (`server/discover` only). */
  instructions?: string;
  /** Size of the request on the wire (for the request log). */
  bytes: number;
}

/** The listen streams of one strategy on one endpoint, and the actor session that hears their changes. */
interface Served {
  handler: McpHttpHandler;
  watcher: Watcher | null;
  /** Open listen streams. */
  listening: number;
  /** Resource URIs the watcher is subscribed to, with the number of open streams that want each. */
  uris: Map<string, number>;
}

interface Watcher {
  no: number;
  seq: number;
  /** Its subscribe requests not answered yet, by id. */
  pending: Map<string, () => void>;
}

export interface McpModernOptions {
  calls: McpCalls;
  /** Read per request (a config reload applies): `maxRequestsInFlightPerClient` and `maxListenStreamsPerClient` cap each client here. */
  limits(): McpSessionLimits;
  metricId(name: string): number;
  version: string;
  log: McpLog;
}

/** Headers of a modern POST, copied out of uWS's short-lived request. */
export type ModernHeaders = [string, string][];

/**
 * Whether a POST without a session could be a 2026-07-28 request: its `MCP-Protocol-Version`
 * header names a modern revision, or a message of its body carries the per-request envelope. Only
 * such requests load the v2 SDK and go through its classification (which may still say legacy);
 * everything else takes the session path exactly as before.
 */
export function mightBeModern(protocolVersion: string, body: unknown): boolean {
  if (protocolVersion.trim() >= FIRST_MODERN_VERSION) return true;
  const messages = Array.isArray(body) ? body : [body];
  for (const m of messages) {
    const meta = (m as { params?: { _meta?: unknown } } | null)?.params?._meta;
    if (typeof meta === 'object' && meta !== null && ENVELOPE_VERSION_KEY in meta) return true;
  }
  return false;
}

/**
 * The 2026-07-28 side of `/mcp`: requests that carry their protocol version, client info and
 * capabilities in every request's `_meta` envelope, with no session. The v2 SDK's
 * `createMcpHandler` (in its strict, modern-only mode) does the protocol: classification, the
 * envelope and `Mcp-Method`/`Mcp-Name` header checks, `-32022` with the supported versions,
 * `server/discover`, `resultType`, the cache hints, and `subscriptions/listen` streams. This file
 * supplies what is LocalRouter's: one server per request built for the client whose key came with
 * it (checked on every request, before this runs), and each of its requests answered by the MCP
 * actor through a session opened for that one request under the client's strategy (the same merged,
 * filtered, shaped view and routing as a legacy session), with the client's rate limits and a
 * request log row per call. List changes and resource updates reach listen streams from one actor
 * session per strategy and endpoint, open while any stream of theirs is.
 */
export class McpModern {
  readonly #host: McpHost;
  readonly #opts: McpModernOptions;
  #loading: Promise<ModernSdk> | null = null;
  /** Calls waiting for the client's input, by handle (the request state names it). */
  readonly #parked = new Map<string, BridgedCall>();
  /** How many of them each client has, by client id. */
  readonly #parkedBy = new Map<string, number>();
  /** Signs request states (a per-process key: a parked call lives in this process only). */
  #codec: RequestStateCodec | null = null;
  /** One SDK handler per strategy and endpoint: their listen streams share change events only among themselves. */
  readonly #served = new Map<string, Served>();
  /** Actor sessions open for modern requests and listen streams (the host does not count them as client sessions). */
  readonly #opened = new Set<number>();
  /**
   * Per client id: its requests being served now (listen streams apart) and its open listen streams.
   * Each holds an actor session or a stream of the shared handler, so one key could otherwise take
   * them all (the handler serves at most 1,024 listen streams for everyone).
   */
  readonly #inFlight = new Map<string, { requests: number; listens: number }>();

  constructor(host: McpHost, opts: McpModernOptions) {
    this.#host = host;
    this.#opts = opts;
  }

  /**
   * Serves a sessionless POST that {@link mightBeModern} picked: true when it was answered here
   * (a modern request, or the SDK's refusal of a malformed one), false when the SDK classifies it
   * legacy (the caller then serves it on the session path).
   */
  async serve(host: string, headers: ModernHeaders, body: unknown, bytes: number, client: AuthedClient, endpoint: string | null,
    res: HttpResponse, cors: HeaderPairs, sink: ResponseSink & { onAbort(cancel: () => void): void }): Promise<boolean> {
    let sdk: ModernSdk;
    try {
      sdk = await this.#load();
    } catch (err) {
      if (!sink.aborted) writeResponse(res, 500, 'application/json', jsonRpcErrorBody(-32603, `internal error: ${(err as Error).message}`), cors);
      return true;
    }
    if (sink.aborted) return true;
    const get = (name: string): string | undefined => headers.find(([k]) => k === name)?.[1];
    const route = sdk.classifyInboundRequest({
      httpMethod: 'POST', body, protocolVersionHeader: get('mcp-protocol-version'), mcpMethodHeader: get('mcp-method'), mcpNameHeader: get('mcp-name'),
    });
    if (route.kind === 'legacy') return false;
    const method = route.kind === 'modern' ? route.message.method : '';
    const slot = method === 'subscriptions/listen' ? 'listens' : 'requests';
    const refusal = this.#admit(client.id, slot);
    if (refusal !== null) {
      const id = route.kind === 'modern' ? (route.message as { id?: unknown }).id : undefined;
      writeResponse(res, 429, 'application/json', JSON.stringify({ jsonrpc: '2.0', id: typeof id === 'string' || typeof id === 'number' ? id : null, error: refusal }), [...cors, ['retry-after', '1']]);
      return true;
    }
    try {
      await this.#serveAdmitted(sdk, route, method, host, headers, body, bytes, client, endpoint, res, cors, sink);
    } finally {
      this.#release(client.id, slot);
    }
    return true;
  }

  /** Counts one more request or listen stream of the client, or says why not (a JSON-RPC error). */
  #admit(clientId: string, slot: 'requests' | 'listens'): { code: number; message: string; data: Item } | null {
    const { maxRequestsInFlightPerClient, maxListenStreamsPerClient } = this.#opts.limits();
    const mine = this.#inFlight.get(clientId) ?? { requests: 0, listens: 0 };
    const [max, setting, what] = slot === 'listens'
      ? [maxListenStreamsPerClient, 'mcp.max_listen_streams_per_client', 'subscriptions/listen streams open']
      : [maxRequestsInFlightPerClient, 'mcp.max_requests_in_flight_per_client', 'MCP requests (protocol 2026-07-28) in flight'];
    if (mine[slot] >= max) {
      return {
        code: MCP_RATE_LIMITED, message: `this client has ${mine[slot]} ${what} (${setting} = ${max}); retry when one ends`,
        data: { code: 'LR_ERR_RATE_LIMITED', retry_after_ms: 1000, retry_after_s: 1, limit: { kind: 'concurrent', setting, max } },
      };
    }
    mine[slot]++;
    this.#inFlight.set(clientId, mine);
    return null;
  }

  #release(clientId: string, slot: 'requests' | 'listens'): void {
    const mine = this.#inFlight.get(clientId);
    if (mine === undefined) return;
    mine[slot]--;
    if (mine.requests <= 0 && mine.listens <= 0) this.#inFlight.delete(clientId);
  }

  async #serveAdmitted(sdk: ModernSdk, route: ReturnType<ModernSdk['classifyInboundRequest']>, method: string, host: string, headers: ModernHeaders, body: unknown, bytes: number,
    client: AuthedClient, endpoint: string | null, res: HttpResponse, cors: HeaderPairs, sink: ResponseSink & { onAbort(cancel: () => void): void }): Promise<void> {
    const served = this.#servedFor(sdk, client, endpoint);
    const caller: ModernCaller = { client, endpoint, bytes };
    if (method === 'server/discover') caller.instructions = await this.#instructions(client, endpoint);
    const abort = new AbortController();
    sink.onAbort(() => abort.abort());
    const request = new Request(`http://${host}/mcp`, { method: 'POST', headers, signal: abort.signal });
    const listen = method === 'subscriptions/listen' && route.kind === 'modern' ? await this.#listen(served, client, endpoint, route.message.params) : null;
    try {
      const response = await served.handler.fetch(request, { parsedBody: body, authInfo: { token: '', clientId: client.id, scopes: [], extra: { caller } } });
      await writeWebResponse(res, response, cors, sink);
    } catch (err) {
      if (!sink.aborted) writeResponse(res, 500, 'application/json', jsonRpcErrorBody(-32603, `internal error: ${(err as Error).message}`), cors);
    } finally {
      listen?.();
    }
  }

  /** Ends every listen stream and parked call, and the actor sessions behind them (shutdown). */
  async close(): Promise<void> {
    for (const call of [...this.#parked.values()]) call.cancel('the gateway is shutting down');
    const all = [...this.#served.values()];
    this.#served.clear();
    for (const s of all) {
      if (s.watcher !== null) this.#close(s.watcher.no);
      s.watcher = null;
    }
    await Promise.all(all.map((s) => s.handler.close().catch(() => undefined)));
  }

  #load(): Promise<ModernSdk> {
    this.#loading ??= import('./mcp-modern-parts.js').then((m) => {
      this.#codec = m.createRequestStateCodec({
        key: randomBytes(32), ttlSeconds: PARK_MS / 1000,
        // A state is good only for the client it was minted for, the method of its call, and the
        // endpoint it came through (`/mcp` and each `/mcp/<virtual>` offer different views).
        bind: (ctx) => `${ctx.mcpReq.method}\0${ctx.http?.authInfo?.clientId ?? ''}\0${endpointOf(ctx.http?.authInfo?.extra)}`,
      });
      return m;
    }, (err: unknown) => {
      this.#loading = null;
      throw err;
    });
    return this.#loading;
  }

  #servedFor(sdk: ModernSdk, client: AuthedClient, endpoint: string | null): Served {
    const key = `${client.policy.strategy}\n${endpoint ?? ''}`;
    let served = this.#served.get(key);
    if (served === undefined) {
      const handler = sdk.createMcpHandler((ctx) => this.#server(sdk, (ctx.authInfo?.extra as { caller: ModernCaller }).caller), {
        legacy: 'reject',
        onerror: (err) => this.#opts.log.debug({ err: err.message.slice(0, 300) }, 'MCP request (protocol 2026-07-28) refused'),
      });
      served = { handler, watcher: null, listening: 0, uris: new Map() };
      this.#served.set(key, served);
    }
    return served;
  }

  /** The server of one modern request: the gateway's identity and capabilities, each request forwarded to the actor. */
  #server(sdk: ModernSdk, caller: ModernCaller): ModernServer {
    const codec = this.#codec!;
    const server = new sdk.Server({ name: 'localrouter', version: this.#opts.version }, {
      capabilities: CAPABILITIES, cacheHints: CACHE_HINTS, requestState: { verify: (state, ctx) => codec.verify(state, ctx) }, ...(caller.instructions !== undefined ? { instructions: caller.instructions } : {}),
    });
    for (const method of FORWARDED) {
      const handle = (request: { params?: Item }, ctx: RequestContext): Promise<Item> => this.#forward(sdk, caller, method, request.params ?? {}, ctx);
      (server.setRequestHandler as (m: string, h: typeof handle) => void)(method, handle);
    }
    return server;
  }

  /**
   * One request answered by the MCP actor, through a session opened for it alone (stateless: it
   * starts no per-session server) and closed with its answer. The call passes the client's limits
   * and gets its request log row as a session's call does; progress and log lines the actor sends
   * for it go to the client on the request's stream. An upstream's sampling, elicitation or roots
   * request during a `tools/call`, `prompts/get` or `resources/read` ends the round with an
   * `input_required` result (see BridgedCall); the client's retry, carrying the signed request
   * state, resumes the same upstream call.
   */
  async #forward(sdk: ModernSdk, caller: ModernCaller, method: string, params: Item, ctx: RequestContext): Promise<Item> {
    const state = ctx.mcpReq.requestState() as { h?: unknown } | string | undefined;
    let call: BridgedCall | null = null;
    let outcome: RoundOutcome;
    if (state === undefined) {
      outcome = await new Promise<RoundOutcome>((resolve) => {
        call = this.#start(caller, method, params, ctx, this.#round(ctx, () => call, resolve));
      });
    } else {
      // Verified by the codec (signed by this process, bound to this client and method): the handle is ours.
      const handle = typeof state === 'object' && state !== null && typeof state.h === 'string' ? state.h : '';
      const parked = this.#parked.get(handle);
      if (parked === undefined || parked.clientId !== caller.client.id || parked.method !== method || parked.endpoint !== caller.endpoint) {
        throw new sdk.ProtocolError(-32602, 'Invalid or expired requestState', { reason: 'invalid_request_state' });
      }
      call = parked;
      outcome = await new Promise<RoundOutcome>((resolve) => parked.resume(this.#round(ctx, () => parked, resolve), ctx.mcpReq.inputResponses, envelopeCapabilities(ctx)));
    }
    if (outcome.kind === 'input') {
      const requestState = await this.#codec!.mint({ h: call!.handle }, ctx as never);
      return sdk.inputRequired({ inputRequests: outcome.requests as never, requestState }) as unknown as Item;
    }
    const error = outcome.answer.error as { code?: unknown; message?: unknown; data?: unknown } | undefined;
    if (error !== undefined) throw new sdk.ProtocolError(Number(error.code ?? -32603), String(error.message ?? 'error'), error.data);
    return (outcome.answer.result ?? {}) as Item;
  }

  /** A call starts or stops waiting for its client's input. */
  #park(call: BridgedCall, on: boolean): void {
    const had = this.#parked.has(call.handle);
    if (on === had) return;
    const n = (this.#parkedBy.get(call.clientId) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.#parkedBy.set(call.clientId, n);
    else this.#parkedBy.delete(call.clientId);
    if (on) this.#parked.set(call.handle, call);
    else this.#parked.delete(call.handle);
  }

  /** One HTTP round of a call: its outcome resolves the handler; the client going away cancels the call. */
  #round(ctx: RequestContext, callOf: () => BridgedCall | null, resolve: (outcome: RoundOutcome) => void): CallRound {
    const signal = ctx.mcpReq.signal;
    const onAbort = (): void => callOf()?.cancel('the client went away');
    if (signal.aborted) queueMicrotask(onAbort);
    else signal.addEventListener('abort', onAbort, { once: true });
    return {
      settle: (outcome) => {
        signal.removeEventListener('abort', onAbort);
        resolve(outcome);
      },
      notify: (m, p) => {
        // The SDK's request logger sends a line only when the request's `_meta` named a level it passes.
        const sent = m === LOG_METHOD ? logLine(ctx, p) : ctx.mcpReq.notify(p === undefined ? { method: m } : { method: m, params: p });
        void sent.catch(() => undefined);
      },
    };
  }

  /** Opens the call's actor session and sends it the request (or settles the round with a limit's refusal). */
  #start(caller: ModernCaller, method: string, params: Item, ctx: RequestContext, round: CallRound): BridgedCall {
    const calls = this.#opts.calls;
    const { client, endpoint } = caller;
    const bridges = BRIDGED_METHODS.has(method);
    let no = 0;
    const toActor = (message: McpJsonRpcMessage): void => this.#host.deliver(no, message);
    // Refusals (a limit, or an approver's no) answer the call itself; the client's later messages are never refused.
    const sink: CallSink = { forward: toActor, answer: (json) => call.fromActor(JSON.parse(json) as Item, true) };
    const deliver = (message: McpJsonRpcMessage): void => calls.deliver(no, client, message, sink);
    const declared = bridges ? envelopeCapabilities(ctx) : undefined;
    const call: BridgedCall = new BridgedCall(method, client.id, {
      deliver: (message) => deliver(message as McpJsonRpcMessage),
      end: (c) => {
        this.#park(c, false);
        this.#close(no);
      },
      parked: (c, on) => this.#park(c, on),
      parkMs: PARK_MS,
      refusal: (request, caps) => missingInputCapability(request.method, request.params, caps),
    }, round, endpoint, declared);
    const link: McpSessionLink = {
      owner: client,
      send: (json: McpJsonText, related, final) => {
        calls.sent(no, related, final, json);
        // Unrelated messages (list changes) are for listen streams, which have their own session.
        if (related !== CALL_ID || call.over) return;
        const message = JSON.parse(jsonString(json)) as Item;
        if (!final && message.id !== undefined && typeof message.method === 'string') {
          const refusal = !(bridges && INPUT_METHODS.has(message.method))
            ? `${message.method} cannot reach a client of MCP ${FIRST_MODERN_VERSION} during ${method}`
            : missingInputCapability(message.method, message.params as Item | undefined, call.declared)
              ?? ((this.#parkedBy.get(client.id) ?? 0) >= MAX_PARKED_PER_CLIENT
                ? `this client has ${MAX_PARKED_PER_CLIENT} calls waiting for its input already; ${message.method} is refused`
                : null);
          if (refusal !== null) {
            this.#host.deliver(no, { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: refusal } });
            return;
          }
        }
        call.fromActor(message, final);
      },
      closed: () => call.fromActor({ error: { code: -32603, message: 'the MCP actor ended the request before answering (it restarted); retry', data: { code: 'LR_ERR_ACTOR_CRASHED' } } }, true),
    };
    no = this.#open(link, client, endpoint, declared, envelopeLogLevel(ctx));
    const message: McpJsonRpcMessage = { jsonrpc: '2.0', id: CALL_ID, method, params };
    calls.deliver(no, client, message, sink, caller.bytes);
    return call;
  }

  /** The upstreams' merged instructions as a session of this client would get them at initialize. */
  #instructions(client: AuthedClient, endpoint: string | null): Promise<string | undefined> {
    return new Promise((resolve) => {
      let no = 0;
      const link: McpSessionLink = {
        owner: client,
        send: (json, related, final) => {
          if (!final || related !== 0) return;
          this.#close(no);
          const result = (JSON.parse(jsonString(json)) as { result?: { instructions?: unknown } }).result;
          resolve(typeof result?.instructions === 'string' ? result.instructions : undefined);
        },
        closed: () => resolve(undefined),
      };
      no = this.#open(link, client, endpoint);
      this.#host.deliver(no, { ...initializeMessage(this.#opts.version), id: 0 });
    });
  }

  /**
   * A listen stream opens: the watcher session of its strategy and endpoint is opened if it is not
   * (its list-change notifications become the handler's events), and subscribed to the stream's
   * resource URIs (the stream is acknowledged once the upstreams have them, or after
   * `SUBSCRIBE_WAIT_MS`). Returns what to do when the stream ends.
   */
  async #listen(served: Served, client: AuthedClient, endpoint: string | null, params: unknown): Promise<() => void> {
    served.listening++;
    if (served.watcher === null) this.#watch(served, client, endpoint);
    const filter = (params as { notifications?: { resourceSubscriptions?: unknown } } | undefined)?.notifications;
    const uris = Array.isArray(filter?.resourceSubscriptions)
      ? [...new Set(filter.resourceSubscriptions.filter((u): u is string => typeof u === 'string'))].slice(0, MAX_LISTEN_URIS) : [];
    const subscribed: Promise<void>[] = [];
    for (const uri of uris) {
      const n = served.uris.get(uri) ?? 0;
      served.uris.set(uri, n + 1);
      if (n === 0) subscribed.push(this.#subscribe(served, uri, true));
    }
    if (subscribed.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(subscribed), new Promise<void>((resolve) => { timer = setTimeout(resolve, SUBSCRIBE_WAIT_MS); })]);
      clearTimeout(timer);
    }
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      for (const uri of uris) {
        const n = (served.uris.get(uri) ?? 1) - 1;
        if (n > 0) served.uris.set(uri, n);
        else {
          served.uris.delete(uri);
          void this.#subscribe(served, uri, false);
        }
      }
      if (--served.listening === 0 && served.watcher !== null) {
        const no = served.watcher.no;
        served.watcher = null;
        this.#close(no);
      }
    };
  }

  #watch(served: Served, client: AuthedClient, endpoint: string | null): void {
    const notify = served.handler.notify;
    const watcher: Watcher = { no: 0, seq: 0, pending: new Map() };
    const link: McpSessionLink = {
      owner: client,
      send: (json, related, final) => {
        if (related !== null) {
          // The answer to one of its subscribe requests (an error too: the stream goes on without it).
          if (final && typeof related === 'string') watcher.pending.get(related)?.();
          return;
        }
        const message = JSON.parse(jsonString(json)) as { method?: unknown; params?: { uri?: unknown } };
        switch (message.method) {
          case 'notifications/tools/list_changed': return notify.toolsChanged();
          case 'notifications/prompts/list_changed': return notify.promptsChanged();
          case 'notifications/resources/list_changed': return notify.resourcesChanged();
          case 'notifications/resources/updated':
            if (typeof message.params?.uri === 'string') notify.resourceUpdated(message.params.uri);
            return;
          default:
        }
      },
      closed: () => {
        for (const done of watcher.pending.values()) done();
        // The actor restarted: open streams keep hearing changes through a new watcher.
        if (served.watcher !== watcher) return;
        served.watcher = null;
        if (served.listening > 0) {
          this.#watch(served, client, endpoint);
          for (const uri of served.uris.keys()) void this.#subscribe(served, uri, true);
          notify.toolsChanged();
          notify.promptsChanged();
          notify.resourcesChanged();
        }
      },
    };
    served.watcher = watcher;
    watcher.no = this.#open(link, client, endpoint);
  }

  /** (Un)subscribes the watcher to `uri`; resolves when the actor answered. */
  #subscribe(served: Served, uri: string, on: boolean): Promise<void> {
    const w = served.watcher;
    if (w === null) return Promise.resolve();
    const id = `sub-${++w.seq}`;
    return new Promise((resolve) => {
      w.pending.set(id, () => {
        w.pending.delete(id);
        resolve();
      });
      this.#host.deliver(w.no, { jsonrpc: '2.0', id, method: on ? 'resources/subscribe' : 'resources/unsubscribe', params: { uri } });
    });
  }

  /**
   * Opens an actor session of `client`'s strategy on `endpoint` (stateless: no per-session servers),
   * with the client capabilities its request declared (what the upstream may ask it mid-call) and
   * the log level it named (what its upstreams are asked to log).
   */
  #open(link: McpSessionLink, client: AuthedClient, endpoint: string | null, capabilities?: Item, logLevel?: string): number {
    const info: McpSessionInfo = this.#info(client, endpoint);
    if (capabilities !== undefined) info.clientCapabilities = capabilities;
    if (logLevel !== undefined) info.logLevel = logLevel;
    const no = this.#host.open({
      owner: link.owner, send: link.send,
      closed: () => {
        this.#opened.delete(no);
        link.closed();
      },
    }, info);
    this.#opened.add(no);
    return no;
  }

  #close(no: number): void {
    if (this.#opened.delete(no)) this.#host.close(no);
  }

  #info(client: AuthedClient, endpoint: string | null): McpSessionInfo {
    const strategy = client.policy.strategy;
    return { client: client.name, strategy, clientMetricId: this.#opts.metricId(client.name), strategyMetricId: this.#opts.metricId(strategy), endpoint, stateless: true };
  }
}

/** What a forwarded request's handler gets of the SDK's context. */
interface RequestContext {
  mcpReq: {
    signal: AbortSignal;
    notify(notification: { method: string; params?: Item }): Promise<void>;
    /** Sends `notifications/message` on the request's stream when its envelope's log level lets `level` through. */
    log(level: string, data: unknown, logger?: string): Promise<void>;
    requestState(): unknown;
    inputResponses?: Record<string, unknown>;
    envelope?: Record<string, unknown>;
  };
}

/** `_meta` key of the client capabilities in the request envelope. */
const ENVELOPE_CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
/** `_meta` key of the least severe log level the request's client wants (the SDK validated it); absent: no log lines. */
const ENVELOPE_LOG_LEVEL_KEY = 'io.modelcontextprotocol/logLevel';
const LOG_METHOD = 'notifications/message';

/** An upstream's log line of the call, to its client through the SDK's per-request logger (which applies the request's level). */
function logLine(ctx: RequestContext, params: Item | undefined): Promise<void> {
  if (typeof params?.level !== 'string') return Promise.resolve();
  return ctx.mcpReq.log(params.level, params.data, typeof params.logger === 'string' ? params.logger : undefined);
}

/** The log level a request's envelope names, or undefined when it names none (then its upstreams are asked for none either). */
function envelopeLogLevel(ctx: RequestContext): string | undefined {
  const level = ctx.mcpReq.envelope?.[ENVELOPE_LOG_LEVEL_KEY];
  return typeof level === 'string' ? level : undefined;
}

/** The client capabilities a request's envelope declared (checked by the SDK before the handler runs). */
function envelopeCapabilities(ctx: RequestContext): Item | undefined {
  const caps = ctx.mcpReq.envelope?.[ENVELOPE_CAPABILITIES_KEY];
  return typeof caps === 'object' && caps !== null && !Array.isArray(caps) ? caps as Item : undefined;
}

/**
 * Why an upstream's request cannot be embedded in this call's `input_required` result, or null
 * when it can. The SDK refuses a result whose input requests the request's declared capabilities
 * do not cover, down to their sub-capabilities (URL-mode elicitation needs `elicitation.url`,
 * form-mode `elicitation.form` or a bare `elicitation`, sampling with tools `sampling.tools`); it
 * does so after the handler returned, when the call would already be parked with nobody to resume
 * it. So the same rule is applied first, and the upstream's request is answered with an error
 * instead (as a session-based client without the capability would have it).
 */
function missingInputCapability(method: string, params: Item | undefined, declared: Item | undefined): string | null {
  const has = (capability: string, member?: string): boolean => {
    const value = declared?.[capability];
    if (typeof value !== 'object' || value === null) return false;
    if (member === undefined) return true;
    const v = value as Item;
    // A bare `elicitation: {}` is the pre-mode declaration of form elicitation.
    return v[member] !== undefined || (capability === 'elicitation' && member === 'form' && v.form === undefined && v.url === undefined);
  };
  let needs: [string, string | undefined];
  switch (method) {
    case 'elicitation/create': needs = ['elicitation', params?.mode === 'url' ? 'url' : 'form']; break;
    case 'sampling/createMessage': needs = ['sampling', params?.tools !== undefined || params?.toolChoice !== undefined ? 'tools' : undefined]; break;
    case 'roots/list': needs = ['roots', undefined]; break;
    default: return null;
  }
  if (has(...needs)) return null;
  const name = needs[1] === undefined ? needs[0] : `${needs[0]}.${needs[1]}`;
  return `${method} needs the client capability ${name}, which this request of MCP ${FIRST_MODERN_VERSION} did not declare`;
}

/** The endpoint a request came through, from the SDK's `authInfo.extra` (the caller this file put there). */
function endpointOf(extra: unknown): string {
  const endpoint = (extra as { caller?: { endpoint?: unknown } } | undefined)?.caller?.endpoint;
  return typeof endpoint === 'string' ? endpoint : '';
}

/**
 * The initialize by which the gateway asks the actor for a client's merged instructions (what a
 * session of the client's strategy would get at initialize).
 */
function initializeMessage(version: string): McpJsonRpcMessage {
  return {
    jsonrpc: '2.0', id: 'init', method: 'initialize',
    params: { protocolVersion: ACTOR_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'localrouter-modern', version } },
  };
}

/** Copies the headers a modern POST needs out of uWS's request (read synchronously in the handler). */
export function modernHeaders(forEach: (cb: (key: string, value: string) => void) => void): ModernHeaders {
  const out: ModernHeaders = [];
  forEach((key, value) => {
    if ((MODERN_HEADERS as readonly string[]).includes(key) || key.startsWith(PARAM_HEADER_PREFIX)) out.push([key, value]);
  });
  return out;
}
