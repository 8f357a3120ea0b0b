import { randomUUID } from 'node:crypto';
import type {
  AuthProvider, Client as ModernClient, FetchLike, McpSubscription, ServerCapabilities, StandardSchemaV1, SubscriptionFilter,
} from '@modelcontextprotocol/client';
import { withinValueDepth } from '../model/index.js';
import type { McpServerRuntime } from '../workers/index.js';
import { takeRelated } from './annotate-related.js';
import { withFormDefaults } from './form-defaults.js';
import { abortSignalOf } from './call-signal.js';
import { CALL_TAG_HEADER, callTaggingFetch } from './call-tag-fetch.js';
import { RPC_CODE, RpcError, toRpcError } from './rpc-error.js';
import { connectionErrorCode } from './upstream-errors.js';
import type { CallRef, Item, ListKind, UpstreamRequestOptions } from './upstream-types.js';

/** `_meta` key of the server's identity on a 2026-07-28 result (the SDK's SERVER_INFO_META_KEY, without loading it here). */
const SERVER_INFO_META_KEY = 'io.modelcontextprotocol/serverInfo';
/** `_meta` key of a request's log level in this revision (the SDK's LOG_LEVEL_META_KEY): a server sends log lines only for requests that carry one. */
const LOG_LEVEL_META_KEY = 'io.modelcontextprotocol/logLevel';
/** The level asked for on behalf of a client that chose none: everything, as a 1.x server sends a session that never set a level. */
const DEFAULT_LOG_LEVEL = 'debug';
/** Requests whose result may be `input_required` in this revision. */
const MULTI_ROUND_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);
/** Rounds of `input_required` one request may take before the gateway gives up on it. */
const MAX_INPUT_ROUNDS = 16;
/** Embedded requests relayed from one `input_required` result: each is a request to a client (a person, perhaps). */
const MAX_INPUT_REQUESTS = 16;
/** Backoff of a listen stream that could not be opened or dropped. */
const LISTEN_RETRY_MS = { initial: 1_000, max: 60_000 };
/** A listen stream that stayed open this long resets its backoff (one that drops at once keeps backing off). */
const LISTEN_STABLE_MS = 10_000;
/** The probe waits at most this long (or the server's own timeout, if shorter) before trying `initialize`. */
const PROBE_TIMEOUT_MS = 10_000;
/** What a server may ask of the gateway's clients in an `input_required` result (roots only of a per-session instance). */
const RELAYED_INPUT = new Set(['sampling/createMessage', 'elicitation/create']);
/** Connection errors that say nobody is there: `initialize` would fail the same way, so the probe fails instead. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/** What a modern upstream reports to the instance that owns it. */
export interface ModernEvents {
  /** A list changed (heard on the `subscriptions/listen` stream), or may have while the stream was down (`null`: all of them). */
  changed(kind: ListKind | null): void;
  resourceUpdated(uri: string, params: Item): void;
  /**
   * A log line the server sent for `call`: over HTTP, on the response stream of a request made for
   * it (null: one made for no client call, or on no request's stream); over STDIO, where lines carry
   * no tag, the only session with calls in flight (see `ModernUpstream#untagged`), 'ambiguous' when
   * several sessions have.
   */
  log(params: Item, call: CallRef | null | 'ambiguous'): void;
  /** One embedded request of an `input_required` result, to be answered by the client of `call`. */
  input(method: string, params: Item, call: CallRef | null, signal: AbortSignal): Promise<Item>;
  /** Why the listen stream could not be kept open (for the logs; requests are not affected); `err`: the error it failed with, if any. */
  listenFailed(reason: string, err?: unknown): void;
  /** The listen stream is open again after failing. */
  listenRecovered(): void;
}

export interface ModernOptions {
  version: string;
  timeoutMs: number;
  maxTotalTimeoutMs: number;
  maxJsonDepth: number;
  /** Whether the instance serves one client session (it may then be asked for its roots). */
  perSession: boolean;
  /** The bearer token of an OAuth login, if the server has one. */
  token?: () => Promise<string | undefined>;
  /** Called on a 401 (the request is then sent once more): refreshes the login, or raises `NeedsLoginError`. */
  onUnauthorized?: AuthProvider['onUnauthorized'];
  /** Wraps the transport's `fetch` for the OAuth client (it notes which token a 401 refused). */
  watchFetch?: (inner: FetchLike) => FetchLike;
  /**
   * The resource URIs the listen stream watches. The owner's set, shared with each connection it
   * makes, so a new one listens for the same URIs from its first stream.
   */
  watched?: Set<string>;
  /** The last connection was legacy: a probe that fails in any way but an unreachable server goes straight to `initialize`. */
  lastEraLegacy?: boolean;
  /** Requests share one channel whose messages carry no call tag (STDIO): a log line is attributed by the calls in flight. */
  untaggedLogs?: boolean;
}

/** The outcome of probing an HTTP server: a connected modern upstream, or "speak `initialize` to it". */
export type ProbeOutcome = { era: 'modern'; upstream: ModernUpstream } | { era: 'legacy' };

/**
 * Raised where the v2 client's negotiation falls back to `initialize` (by the HTTP probe's fetch, and
 * by the STDIO probe's channel): the legacy path takes over from there, with the 1.x client.
 */
export class LegacyVerdict extends Error {
  constructor() {
    super('the server gave no 2026-07-28 answer to server/discover');
    this.name = 'LegacyVerdict';
  }
}

/**
 * Probes a Streamable HTTP server with `server/discover` (the v2 SDK's `versionNegotiation: 'auto'`):
 * a server that offers 2026-07-28 is connected statelessly and returned; one that answers the probe
 * with an error (method not found, a 4xx such as a 1.x server's "no session" 400, a 404) is legacy.
 * The SDK would then send `initialize` on the same transport: the probe's fetch stops it before it
 * leaves, so a legacy server sees one refused probe and then the usual 1.x session. A probe that
 * times out (after at most 10 s), gets a 5xx or a reply that is no answer (HTML, an empty 202) is
 * taken for a legacy server that mishandles unknown requests: `initialize` is tried once, and only
 * its failure fails the connect. Only a server that cannot be reached fails the probe itself (the
 * caller retries with backoff). A 401 goes to the OAuth client (`onUnauthorized`): refreshed
 * tokens are sent with the probe once more, and a server that needs a login fails the probe with
 * `NeedsLoginError` (marked "needs login"), whatever its era; an authorization server down for now
 * fails it with `RenewalUnavailableError` (retried, as an unreachable server). A 401 without an OAuth client, or a
 * 403, is left to the legacy path.
 */
export async function probeHttpUpstream(server: McpServerRuntime, events: ModernEvents, opts: ModernOptions): Promise<ProbeOutcome> {
  const sdk = await import('@modelcontextprotocol/client');
  let probing = true;
  let legacy = false;
  const guarded: FetchLike = async (url, init) => {
    if (probing && init?.method === 'POST' && isInitialize(init.body)) {
      legacy = true;
      throw new LegacyVerdict();
    }
    return fetch(url, init);
  };
  const auth: AuthProvider | undefined = opts.token === undefined ? undefined : { token: opts.token, onUnauthorized: opts.onUnauthorized };
  const transport = new sdk.StreamableHTTPClientTransport(new URL(server.url!), { requestInit: { headers: server.headers }, fetch: (opts.watchFetch ?? ((f: FetchLike) => f))(callTaggingFetch(guarded)), authProvider: auth });
  const client = negotiatingClient(sdk, opts);
  try {
    await client.connect(transport, { timeout: Math.min(opts.timeoutMs, PROBE_TIMEOUT_MS) });
  } catch (err) {
    await client.close().catch(() => undefined);
    // A login is needed whatever the era: `initialize` would meet the same 401. An authorization
    // server down for now fails the connect like an unreachable server (retried with backoff).
    if ((err instanceof Error && err.name === 'NeedsLoginError') || renewalUnavailable(err)) throw err;
    if (legacy || isAuthFailure(err) || opts.lastEraLegacy === true || !unreachable(err)) return { era: 'legacy' };
    throw err;
  }
  probing = false;
  if (client.getProtocolEra() !== 'modern') {
    await client.close().catch(() => undefined);
    return { era: 'legacy' };
  }
  return { era: 'modern', upstream: new ModernUpstream(client, events, opts, errorKinds(sdk)) };
}

type ModernSdk = typeof import('@modelcontextprotocol/client');

/**
 * The v2 client of one connection: it probes with `server/discover` on connect (`versionNegotiation:
 * 'auto'`, the probe waiting `probeTimeoutMs` or the connect timeout) and leaves embedded requests
 * to the gateway, which has the client of the call answer them (see ModernUpstream#fulfil).
 */
export function negotiatingClient(sdk: ModernSdk, opts: ModernOptions, probeTimeoutMs?: number): ModernClient {
  return new sdk.Client({ name: 'localrouter', version: opts.version }, {
    versionNegotiation: probeTimeoutMs === undefined ? { mode: 'auto' } : { mode: 'auto', probe: { timeoutMs: probeTimeoutMs } },
    inputRequired: { autoFulfill: false },
    capabilities: opts.perSession ? { ...CLIENT_CAPABILITIES, roots: {} } : CLIENT_CAPABILITIES,
  });
}

export function errorKinds(sdk: ModernSdk): ErrorKinds {
  return {
    timeout: (err) => sdk.SdkError.isInstance(err) && err.code === sdk.SdkErrorCode.RequestTimeout,
    protocol: (err) => sdk.ProtocolError.isInstance(err),
  };
}

/** Tells the v2 SDK's errors apart without loading it where this module is only typed. */
export interface ErrorKinds {
  /** The request timed out (the SDK's own timeout). */
  timeout(err: unknown): boolean;
  /** The server answered with a JSON-RPC error (its code and message are the client's to see). */
  protocol(err: unknown): boolean;
}

/**
 * What the gateway can get answered for a modern server: sampling and elicitation, by the client of
 * the call. An accepted form gets the requested schema's defaults for the fields it leaves out
 * (`applyDefaults`, see `withFormDefaults`), as a legacy server's answers do.
 */
const CLIENT_CAPABILITIES = { sampling: {}, elicitation: { form: { applyDefaults: true }, url: {} } };

/**
 * One 2026-07-28 server, called statelessly with the v2 client: every request stands alone (its
 * protocol version, client info and capabilities in its `_meta`; no session id), so nothing is
 * shared between the client sessions that use it, and a restarted server loses nothing. A request
 * answered `input_required` (the server needs sampling, elicitation or roots) has its embedded
 * requests answered by the client whose call it is, then is retried with the answers and the
 * server's request state. List changes and resource updates come on a `subscriptions/listen`
 * stream, reopened with backoff when it drops.
 */
export class ModernUpstream {
  readonly #client: ModernClient;
  readonly #events: ModernEvents;
  readonly #opts: ModernOptions;
  readonly #errors: ErrorKinds;
  #subscription: McpSubscription | null = null;
  readonly #uris: Set<string>;
  /** Kinds heard changed since the last report: a flood of notifications is reported once per turn of the event loop. */
  #changedKinds = new Set<ListKind>();
  #changedTimer: NodeJS.Immediate | null = null;
  /** Requests under way; a replaced connection is closed once they are done (see `closeWhenIdle`). */
  #inflight = 0;
  #idle: (() => void) | null = null;
  #listenOpenedAt = 0;
  #listening: Promise<void> | null = null;
  /** The filter changed while a listen was being opened. */
  #listenAgain = false;
  /** A stream dropped: changes may have been missed until the next one is open. */
  #missed = false;
  #listenTimer: NodeJS.Timeout | null = null;
  #listenFailures = 0;
  #closed = false;
  /**
   * The client calls of the requests under way, by the tag on their POST (see `callTaggingFetch`).
   * Tags are random: a server that stamps a line on another stream itself cannot guess a live one.
   */
  readonly #calls = new Map<string, CallRef>();

  constructor(client: ModernClient, events: ModernEvents, opts: ModernOptions, errors: ErrorKinds) {
    this.#client = client;
    this.#events = events;
    this.#opts = opts;
    this.#errors = errors;
    this.#uris = opts.watched ?? new Set<string>();
    client.setNotificationHandler('notifications/tools/list_changed', () => this.#changed('tools'));
    client.setNotificationHandler('notifications/prompts/list_changed', () => this.#changed('prompts'));
    client.setNotificationHandler('notifications/resources/list_changed', () => {
      this.#changed('resources');
      this.#changed('resourceTemplates');
    });
    client.setNotificationHandler('notifications/resources/updated', (n) => {
      // Its `_meta` names the upstream's listen stream: nothing the gateway's clients know.
      const { _meta: _listen, ...params } = n.params as Item;
      // Only the URIs asked for, and nothing deeper than the gateway forwards.
      if (typeof params.uri !== 'string' || !this.#uris.has(params.uri) || !withinValueDepth(params, opts.maxJsonDepth)) return;
      events.resourceUpdated(params.uri, params);
    });
    client.setNotificationHandler('notifications/message', (n) => {
      const params = { ...n.params } as Item;
      const tag = takeRelated(params);
      if (!withinValueDepth(params, opts.maxJsonDepth)) return;
      if (tag !== undefined) events.log(params, this.#calls.get(String(tag)) ?? null);
      else events.log(params, opts.untaggedLogs === true ? this.#untagged() : null);
    });
  }

  /**
   * The call an untagged log line belongs to, as for a 1.x session over STDIO: the only session with
   * calls in flight here; lines while several sessions' calls are under way cannot be told apart
   * ('ambiguous', never a guess).
   */
  #untagged(): CallRef | null | 'ambiguous' {
    let found: CallRef | null = null;
    for (const call of this.#calls.values()) {
      if (found !== null && found.session !== call.session) return 'ambiguous';
      found = call;
    }
    return found;
  }

  /** Opens the `subscriptions/listen` stream for the list changes the server offers (a one-off use, such as the CLI's, needs none). */
  listen(): void {
    this.#listen();
  }

  get protocolVersion(): string | null {
    return this.#client.getNegotiatedProtocolVersion() ?? null;
  }

  get serverInfo(): { name: string; version: string } | null {
    const v = this.#client.getServerVersion();
    return v ? { name: v.name, version: v.version } : null;
  }

  instructions(): string | undefined {
    return this.#client.getInstructions();
  }

  capabilities(): ServerCapabilities | undefined {
    return this.#client.getServerCapabilities();
  }

  /**
   * One request, answered statelessly. `resources/subscribe` and `resources/unsubscribe` (gone in
   * this revision) change the URIs the listen stream watches instead.
   */
  async request(method: string, params: Item, opts: UpstreamRequestOptions): Promise<Item> {
    if (method === 'resources/subscribe' || method === 'resources/unsubscribe') {
      this.#watch(String(params.uri), method === 'resources/subscribe');
      return {};
    }
    this.#inflight++;
    try {
      return await this.#rounds(method, params, opts);
    } finally {
      if (--this.#inflight === 0) this.#idle?.();
    }
  }

  async #rounds(method: string, params: Item, opts: UpstreamRequestOptions): Promise<Item> {
    const multiRound = MULTI_ROUND_METHODS.has(method);
    let next = params;
    for (let round = 0; ; round++) {
      const result = await this.#send(method, next, opts, multiRound);
      this.#checkDepth(method, result);
      if (result.resultType !== 'input_required') return this.#admit(result);
      if (round >= MAX_INPUT_ROUNDS) throw new RpcError(RPC_CODE.InternalError, `the MCP server asked for input more than ${MAX_INPUT_ROUNDS} times in one ${method}`);
      const responses = await this.#fulfil(result.inputRequests, opts);
      next = { ...params, inputResponses: responses };
      if (typeof result.requestState === 'string') next.requestState = result.requestState;
    }
  }

  /**
   * Closes this connection once the requests under way on it are done (each stands alone, so they
   * may finish while a new connection serves the next ones); its listen stream stops at once.
   */
  closeWhenIdle(): Promise<void> {
    this.#stopListening();
    if (this.#inflight === 0) return this.close();
    return new Promise<void>((resolve) => {
      this.#idle = () => { this.#idle = null; resolve(this.close()); };
    });
  }

  async close(): Promise<void> {
    this.#stopListening();
    await this.#client.close().catch(() => undefined);
  }

  #stopListening(): void {
    this.#closed = true;
    if (this.#changedTimer !== null) clearImmediate(this.#changedTimer);
    this.#changedTimer = null;
    if (this.#listenTimer !== null) clearTimeout(this.#listenTimer);
    const sub = this.#subscription;
    this.#subscription = null;
    void sub?.close().catch(() => undefined);
  }

  #changed(kind: ListKind): void {
    if (this.#closed) return;
    this.#changedKinds.add(kind);
    this.#changedTimer ??= setImmediate(() => {
      this.#changedTimer = null;
      const kinds = [...this.#changedKinds];
      this.#changedKinds.clear();
      for (const k of kinds) this.#events.changed(k);
    });
  }

  /**
   * One request on the wire. A request made for a client call carries the client's log level (a
   * server of this revision logs only for requests that name one) and a tag that marks the log
   * lines on its response stream as that call's (see `callTaggingFetch`).
   */
  async #send(method: string, params: Item, opts: UpstreamRequestOptions, multiRound: boolean): Promise<Item> {
    const call = opts.call;
    const tag = call === null ? null : randomUUID();
    if (tag !== null) this.#calls.set(tag, call!);
    try {
      return await this.#client.request({ method, params: tag === null ? params : this.#withLogLevel(params, call!) }, LOOSE_RESULT, {
        // The v2 client combines it with AbortSignal.any, which follows the aborts of real signals only.
        signal: abortSignalOf(opts.signal), timeout: this.#opts.timeoutMs, resetTimeoutOnProgress: true,
        maxTotalTimeout: this.#opts.maxTotalTimeoutMs > 0 ? this.#opts.maxTotalTimeoutMs : undefined,
        onprogress: (p) => opts.onprogress?.(p),
        allowInputRequired: multiRound,
        ...(tag === null ? {} : { headers: { [CALL_TAG_HEADER]: tag } }),
      });
    } catch (err) {
      if (this.#errors.timeout(err)) throw new RpcError(RPC_CODE.RequestTimeout, 'Request timed out');
      if (this.#errors.protocol(err)) throw toRpcError(err);
      throw err;
    } finally {
      // The SDK may settle the response before it has dispatched the notifications read just
      // before it: the tag is forgotten a turn of the event loop later.
      if (tag !== null) setImmediate(() => this.#calls.delete(tag));
    }
  }

  /** `params` with the log level the call's client wants, when the server logs at all (the client's own `_meta` kept). */
  #withLogLevel(params: Item, call: CallRef): Item {
    if (this.capabilities()?.logging === undefined) return params;
    const meta = isPlainObject(params._meta) ? params._meta : {};
    return { ...params, _meta: { ...meta, [LOG_LEVEL_META_KEY]: call.logLevel() ?? DEFAULT_LOG_LEVEL } };
  }

  /**
   * The answers to an `input_required` result's embedded requests, each from the client of the
   * call (over its session for a legacy client; as an `input_required` round of its own for a
   * modern one). All are asked at once; one that fails fails the call.
   */
  async #fulfil(requests: unknown, opts: UpstreamRequestOptions): Promise<Item> {
    if (requests === undefined) return {};
    if (!isPlainObject(requests)) throw badResponse('an input_required result whose inputRequests is not an object');
    const entries = Object.entries(requests);
    if (entries.length > MAX_INPUT_REQUESTS) throw badResponse(`an input_required result with ${entries.length} embedded requests (at most ${MAX_INPUT_REQUESTS} are relayed)`);
    // All are checked before any is asked: a client is not asked a question whose answer cannot be used.
    const asked = entries.map(([key, request]) => this.#embedded(key, request));
    const local = new AbortController();
    const stop = (): void => local.abort(opts.signal?.reason);
    if (opts.signal?.aborted) stop();
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      const answers = await Promise.all(asked.map(({ method, params }) => this.#events.input(method, params, opts.call, local.signal).catch((err: unknown) => {
        // One failed: the others are withdrawn (the call fails anyway).
        local.abort(err);
        throw err;
      })));
      return Object.fromEntries(entries.map(([key], i) => [key, completed(asked[i]!, answers[i]!)]));
    } finally {
      opts.signal?.removeEventListener('abort', stop);
    }
  }

  /** One embedded request, if it is one the gateway relays: sampling and elicitation, and roots for an instance of one client session. */
  #embedded(key: string, request: unknown): { method: string; params: Item } {
    if (!isPlainObject(request) || typeof request.method !== 'string') throw badResponse(`an embedded request "${key.slice(0, 100)}" without a method`);
    const method = request.method;
    if (!RELAYED_INPUT.has(method) && !(method === 'roots/list' && this.#opts.perSession)) {
      throw badResponse(`an embedded request for ${JSON.stringify(method.slice(0, 100))}, which is not relayed to clients (sampling/createMessage and elicitation/create are${this.#opts.perSession ? ', and roots/list' : ''})`);
    }
    return { method, params: isPlainObject(request.params) ? request.params : {} };
  }

  /** Whatever crosses to the ingress (a result, the requests embedded in one) is serialized: a deeper one is refused. */
  #checkDepth(method: string, result: Item): void {
    if (withinValueDepth(result, this.#opts.maxJsonDepth)) return;
    throw badResponse(`an answer to ${method} nested deeper than ${this.#opts.maxJsonDepth} levels of objects and arrays (server.max_json_depth)`);
  }

  /**
   * The result as the gateway's own: without the server's cache hints and identity stamp. The
   * gateway filters what it serves per client and says itself how long its answers may be cached
   * and by whom; an upstream's `cacheScope: "public"` must not reach a client as the gateway's word.
   */
  #admit(result: Item): Item {
    const { ttlMs: _ttl, cacheScope: _scope, ...rest } = result;
    const meta = rest._meta;
    if (isPlainObject(meta) && SERVER_INFO_META_KEY in meta) {
      const { [SERVER_INFO_META_KEY]: _info, ...others } = meta;
      if (Object.keys(others).length > 0) rest._meta = others;
      else delete rest._meta;
    }
    return rest;
  }

  #watch(uri: string, on: boolean): void {
    if (on === this.#uris.has(uri)) return;
    if (on) this.#uris.add(uri);
    else this.#uris.delete(uri);
    this.#listen();
  }

  /** What the listen stream asks for: every list change the server offers, and the watched URIs. */
  #filter(): SubscriptionFilter | null {
    const caps = this.capabilities();
    const filter: SubscriptionFilter = {};
    if (caps?.tools?.listChanged) filter.toolsListChanged = true;
    if (caps?.prompts?.listChanged) filter.promptsListChanged = true;
    if (caps?.resources?.listChanged) filter.resourcesListChanged = true;
    if (this.#uris.size > 0 && caps?.resources?.subscribe) filter.resourceSubscriptions = [...this.#uris];
    return Object.keys(filter).length === 0 ? null : filter;
  }

  /**
   * Opens (or reopens, with a new filter) the listen stream; the old stream is closed once the new
   * one is acknowledged. A stream that drops is reopened with backoff, and once it is back the lists
   * are reported changed: a change may have happened while nobody listened.
   */
  #listen(): void {
    if (this.#closed) return;
    if (this.#listening !== null) {
      // One open at a time; the latest filter is asked for once it is done.
      this.#listenAgain = true;
      return;
    }
    const filter = this.#filter();
    const old = this.#subscription;
    if (filter === null) {
      this.#subscription = null;
      void old?.close().catch(() => undefined);
      return;
    }
    this.#listening = this.#client.listen(filter).then((sub) => this.#listened(sub, old), (err: unknown) => {
      this.#relisten(`subscriptions/listen failed: ${toRpcError(err).message.split('\n')[0]!.slice(0, 300)}`, err);
    }).finally(() => {
      this.#listening = null;
      if (this.#listenAgain) {
        this.#listenAgain = false;
        this.#listen();
      }
    });
  }

  #listened(sub: McpSubscription, old: McpSubscription | null): void {
    if (this.#closed) return void sub.close().catch(() => undefined);
    this.#subscription = sub;
    this.#listenOpenedAt = Date.now();
    void old?.close().catch(() => undefined);
    this.#events.listenRecovered();
    if (this.#missed) {
      this.#missed = false;
      this.#events.changed(null);
    }
    void sub.closed.then((how) => {
      if (this.#subscription !== sub || this.#closed || how === 'local') return;
      this.#subscription = null;
      this.#missed = true;
      // Only a stream that stayed open a while resets the backoff: one the server ends at once is retried ever more slowly.
      if (Date.now() - this.#listenOpenedAt >= LISTEN_STABLE_MS) this.#listenFailures = 0;
      this.#relisten(`the server ended its subscriptions/listen stream (${how})`);
    });
  }

  #relisten(reason: string, err?: unknown): void {
    if (this.#closed) return;
    this.#events.listenFailed(reason, err);
    // The owner may have closed this connection over it (a rolled-back server).
    if (this.#closed) return;
    const delay = Math.min(LISTEN_RETRY_MS.max, LISTEN_RETRY_MS.initial * 2 ** this.#listenFailures++);
    if (this.#listenTimer !== null) clearTimeout(this.#listenTimer);
    this.#listenTimer = setTimeout(() => {
      this.#listenTimer = null;
      this.#listen();
    }, delay);
    this.#listenTimer.unref();
  }
}

/** An answer to an embedded request as the server gets it: an accepted form with the schema's defaults filled in. */
function completed(request: { method: string; params: Item }, answer: Item): Item {
  const { method, params } = request;
  if (method !== 'elicitation/create' || (params.mode ?? 'form') !== 'form' || answer.action !== 'accept') return answer;
  if (!isPlainObject(params.requestedSchema) || !isPlainObject(answer.content)) return answer;
  return { ...answer, content: withFormDefaults(params.requestedSchema, answer.content) };
}

/** Every result as the server sent it: fields are kept, nothing validated away (the ingress checks what it forwards). */
const LOOSE_RESULT: StandardSchemaV1<unknown, Item> = {
  '~standard': {
    version: 1, vendor: 'localrouter',
    validate: (value) => (isPlainObject(value) ? { value } : { issues: [{ message: 'the result is not an object' }] }),
  },
};

function isPlainObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isInitialize(body: unknown): boolean {
  if (typeof body !== 'string' || !body.includes('"initialize"')) return false;
  try {
    const parsed = JSON.parse(body) as { method?: unknown };
    return parsed.method === 'initialize';
  } catch {
    return false;
  }
}

/** Whether a failed probe says the server cannot be reached at all (rather than that it mishandled the probe). */
function unreachable(err: unknown): boolean {
  const code = connectionErrorCode(err);
  return code !== null && UNREACHABLE.has(code);
}

/** Whether `err` is the server refusing the credentials (HTTP 401 or 403), or what the OAuth client made of such a refusal. */
export function isAuthFailure(err: unknown): boolean {
  const status = httpStatusOf(err);
  return status === 401 || status === 403 || (err instanceof Error && (err.name === 'UnauthorizedError' || renewalFailed(err)));
}

/**
 * Whether the OAuth client could not renew the login for a 401 because an authorization server is
 * down for now (5xx, 429, unreachable: `RenewalUnavailableError`): no sign that a login is needed.
 */
export function renewalUnavailable(err: unknown): boolean {
  return err instanceof Error && err.name === 'RenewalUnavailableError';
}

/** Whether the OAuth client already tried to renew the login for a 401 and could not (`NeedsLoginError`, `LoginRenewalError`). */
export function renewalFailed(err: unknown): boolean {
  return err instanceof Error && (err.name === 'NeedsLoginError' || err.name === 'LoginRenewalError');
}

export function httpStatusOf(err: unknown): number | null {
  const status = (err as { data?: { status?: unknown } } | null)?.data?.status;
  return typeof status === 'number' ? status : null;
}

function badResponse(what: string): RpcError {
  return new RpcError(RPC_CODE.InternalError, `the MCP server sent ${what}; LocalRouter refused it`, { code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' });
}
