import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ErrorCode, ListRootsRequestSchema, LoggingMessageNotificationSchema,
  McpError, PromptListChangedNotificationSchema, ResourceListChangedNotificationSchema, ResourceUpdatedNotificationSchema,
  ResultSchema, TaskStatusNotificationSchema, ToolListChangedNotificationSchema, type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpOAuthState, McpServerRuntime, McpServerStatus } from '../workers/index.js';
import { takeRelated } from './annotate-related.js';
import { httpStatusOf, isAuthFailure, ModernUpstream, probeHttpUpstream, renewalFailed, renewalUnavailable, type ModernEvents } from './modern-upstream.js';
import { RelayTaskStore } from './relay-task-store.js';
import { probeStdioUpstream, refusesInitializeFor2026 } from './stdio-probe.js';
import { RpcError, toRpcError } from './rpc-error.js';
import { connectionErrorCode, describe, upstreamError } from './upstream-errors.js';
import { bearerSeam } from './upstream-oauth.js';
import { createUpstreamTransport, upstreamOAuthOf, type ObservedTransport } from './upstream-transport.js';
import { LIST_KINDS, type CallRef, type Item, type ListKind, type UpstreamRequestOptions } from './upstream-types.js';

/** The part of the SDK's per-request task store a task-augmented request handler uses. */
interface TaskHandle {
  createTask(params: { ttl?: number }): Promise<{ taskId: string }>;
  storeTaskResult(taskId: string, status: 'completed' | 'failed', result: Item): Promise<void>;
  updateTaskStatus(taskId: string, status: 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled', statusMessage?: string): Promise<void>;
}

/** Where an instance reports what happens to it; implemented by the MCP core. */
export interface UpstreamEvents {
  /** A list changed (or the connection was renewed): caches and merged views are stale. */
  changed(inst: UpstreamInstance, kind: ListKind | null): void;
  resourceUpdated(inst: UpstreamInstance, uri: string, params: Item): void;
  /** `notifications/tasks/status` of one of its tasks. */
  taskStatus(inst: UpstreamInstance, params: Item): void;
  /** A log notification; `call` is the client request it belongs to, 'ambiguous' when it cannot be told. */
  log(inst: UpstreamInstance, params: Item, call: CallRef | null | 'ambiguous'): void;
  /** A server-to-client request (sampling, elicitation, roots) to answer. */
  serverRequest(inst: UpstreamInstance, method: string, params: Item, call: CallRef | null | 'ambiguous', signal: AbortSignal): Promise<Item>;
  stderr(inst: UpstreamInstance, line: string): void;
  /** The server sent a message nested deeper than allowed; `what` says which and what became of it. */
  refused(inst: UpstreamInstance, what: string): void;
  state(inst: UpstreamInstance, state: McpServerStatus['state'], error: string | null): void;
  /** Its OAuth tokens were refreshed: the new state is to be kept. */
  oauthSaved(inst: UpstreamInstance, state: McpOAuthState): void;
}

const MAX_LIST_PAGES = 1000;
/** A connection that stayed up this long resets the restart backoff. */
const STABLE_MS = 10_000;
/** Failed requests in a row (connection errors, unexplained 4xx) after which a modern server is probed again. */
const MODERN_FAILURES_BEFORE_REPROBE = 3;
/** Requests that change nothing on the server: sent again after a connection reset (it may have reached the server). */
const SAFE_TO_RESEND = /^(?:[a-z]+\/list|resources\/templates\/list|resources\/read|prompts\/get|completion\/complete|ping)$/;
/** What a 1.x server answers a request without a session: the server behind the address was rolled back. */
const SESSION_REFUSAL = /session|not initiali[sz]ed/i;

/** A connected upstream: a 1.x SDK `Client` in an `initialize` session, or a 2026-07-28 server called statelessly. */
type Connection = Client | ModernUpstream;

/**
 * One connection to one upstream MCP server: the actor that owns its SDK `Client`, connects lazily or
 * at start, caches its lists until it says they changed, and sends each server-to-client message back
 * to the client request that caused it. A Streamable HTTP or STDIO server is probed with
 * `server/discover` first: one that speaks 2026-07-28 is called statelessly with the v2 SDK
 * (`ModernUpstream`), any other gets the `initialize` session of the 1.x SDK (a STDIO server on the
 * process it was probed on). Legacy SSE servers are not probed (see `#connect`). It heals itself: a
 * crash, a lost connection, an answer that says the server forgot the session (a Streamable HTTP
 * server that restarted answers 400 or 404) or a failed health-check `ping` re-initializes it (with
 * exponential backoff while it keeps failing), and the lists it had cached are fetched again and
 * reported changed when they differ.
 */
export class UpstreamInstance {
  readonly runtime: McpServerRuntime;
  /** The client session this instance belongs to (`per_session`), or null when shared. */
  readonly owner: number | null;
  state: McpServerStatus['state'] = 'idle';
  lastError: string | null = null;
  lastErrorAt: number | null = null;
  lastSuccessAt: number | null = null;
  restarts = 0;
  /** Log notifications tied to no client request that could not go anywhere without leaking (see `McpCore.log`). */
  droppedLogs = 0;
  /** The server wants an OAuth login the gateway does not have (cleared by a successful connection or request). */
  needsLogin = false;
  /** The protocol era of the last connection (kept while reconnecting; probed again on each connect). */
  era: 'modern' | 'legacy' | null = null;
  /** The mark is for more scope than the login has (step-up): its other tools answering does not clear it. */
  #stepUpWanted = false;
  readonly #events: UpstreamEvents;
  readonly #version: string;
  readonly #backoff: { initial: number; max: number };
  readonly #maxJsonDepth: number;
  readonly #health: { intervalMs: number; timeoutMs: number };
  #healthTimer: NodeJS.Timeout | null = null;
  #checking = false;
  /** The lists cached when the last connection went, compared with the new ones after reconnecting. */
  #before: Map<ListKind, Promise<Item[]>> | null = null;
  #client: Client | null = null;
  #modern: ModernUpstream | null = null;
  #transport: ObservedTransport | null = null;
  /** Tasks the connected server asked the gateway to run (task-augmented sampling or elicitation). */
  #tasks: RelayTaskStore | null = null;
  #connecting: Promise<Connection> | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #retryWait: Promise<void> | null = null;
  #failures = 0;
  #connectedAt = 0;
  #closed = false;
  #lists = new Map<ListKind, Promise<Item[]>>();
  #counts = new Map<ListKind, number>();
  /** Upstream JSON-RPC id → the client request it serves. */
  #inflight = new Map<string | number, CallRef>();
  /** Requests to the modern server that failed in a row (see `#modernFailed`). */
  #modernFailures = 0;
  /** The listen stream's failure, shown as the last error until the stream is back. */
  #listenError: string | null = null;
  /** A STDIO server exited on the `server/discover` probe and worked without it: it is not probed again. */
  #probeKills = false;
  /** A STDIO server answered the probe with 2026-07-28 after its bound: it is probed with its whole timeout. */
  #slowStart = false;
  /** The resource URIs subscribed upstream: a new connection subscribes to them again. */
  readonly #watched = new Set<string>();
  #sending: CallRef | null = null;
  #sentId: string | number | null = null;

  constructor(runtime: McpServerRuntime, owner: number | null, events: UpstreamEvents, opts: {
    version: string; restartInitialMs: number; restartMaxMs: number; maxJsonDepth: number; healthIntervalMs: number; healthTimeoutMs: number;
  }) {
    this.runtime = runtime;
    this.owner = owner;
    this.#events = events;
    this.#version = opts.version;
    this.#backoff = { initial: opts.restartInitialMs, max: opts.restartMaxMs };
    this.#maxJsonDepth = opts.maxJsonDepth;
    this.#health = { intervalMs: opts.healthIntervalMs, timeoutMs: opts.healthTimeoutMs };
  }

  get name(): string {
    return this.runtime.name;
  }

  get protocolVersion(): string | null {
    if (this.#modern !== null) return this.#modern.protocolVersion;
    return this.#transport?.protocolVersion ?? null;
  }

  get serverInfo(): { name: string; version: string } | null {
    if (this.#modern !== null) return this.#modern.serverInfo;
    const v = this.#client?.getServerVersion();
    return v ? { name: v.name, version: v.version } : null;
  }

  /** What the server said about how to use it (`initialize` or `server/discover` result), once connected. */
  instructions(): string | undefined {
    return this.#modern?.instructions() ?? this.#client?.getInstructions();
  }

  capabilities(): ServerCapabilities | undefined {
    // The v2 SDK's capability type is the same shape (a newer revision of it).
    return (this.#modern?.capabilities() as ServerCapabilities | undefined) ?? this.#client?.getServerCapabilities();
  }

  count(kind: ListKind): number | null {
    return this.#counts.get(kind) ?? null;
  }

  /** The connected client; connects (or waits for the pending reconnect) when needed. */
  async ready(): Promise<Connection> {
    if (this.#closed) throw new RpcError(ErrorCode.ConnectionClosed, `MCP server "${this.name}" is not configured any more`);
    const now = this.#connection();
    if (now !== null) return now;
    if (this.#retryWait !== null) await this.#retryWait;
    const after = this.#connection();
    if (after !== null) return after;
    this.#connecting ??= this.#connect().finally(() => { this.#connecting = null; });
    return this.#connecting;
  }

  /** The server's full list of `kind` (following its pagination), from cache when it has not changed. */
  list(kind: ListKind): Promise<Item[]> {
    let cached = this.#lists.get(kind);
    if (cached === undefined) {
      cached = this.#fetchList(kind);
      this.#lists.set(kind, cached);
      cached.then((items) => this.#counts.set(kind, items.length), () => {
        if (this.#lists.get(kind) === cached) this.#lists.delete(kind);
      });
    }
    return cached;
  }

  /** Whether the server offers `kind` (after connecting). */
  async offers(kind: ListKind): Promise<boolean> {
    await this.ready();
    return this.capabilities()?.[LIST_KINDS[kind].capability] !== undefined;
  }

  /**
   * Sends one request and returns the raw result (every field kept). Progress notifications restart
   * the timeout. An answer that says the server does not know the session, or a connection refused
   * before the request left, re-initializes the connection and sends the request once more (the
   * server never saw it); any other lost connection re-initializes it and fails this request.
   */
  async request(method: string, params: Item, opts: UpstreamRequestOptions): Promise<Item> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.ready();
      try {
        const result = client instanceof ModernUpstream ? await client.request(method, params, opts) : await this.#send(client, method, params, opts);
        // A login marked needed by a refused request is not any more (a step-up's mark stays: see #succeeded).
        this.#succeeded();
        if (client instanceof ModernUpstream) this.#modernFailures = 0;
        else this.#noteSubscription(method, params);
        return result;
      } catch (err) {
        if (client instanceof ModernUpstream) {
          if (this.#modernFailed(client, err, method) && attempt === 0) continue;
          throw upstreamError(this.name, err);
        }
        const lost = this.#lostSession(err);
        if (lost !== null) {
          this.#drop(client, lost.reason);
          if (attempt === 0 && lost.unsent) continue;
        }
        throw upstreamError(this.name, err);
      }
    }
  }

  /** The URIs a legacy server was asked to watch, to ask a new session again (a modern connection keeps the same set itself). */
  #noteSubscription(method: string, params: Item): void {
    if (method === 'resources/subscribe') this.#watched.add(String(params.uri));
    else if (method === 'resources/unsubscribe') this.#watched.delete(String(params.uri));
  }

  /** A notification upstream (cancellations travel inside the SDK; this is for roots/list_changed and such). */
  async notify(method: string, params?: Item): Promise<void> {
    // A modern server keeps nothing between requests: there is nothing to tell it.
    const client = this.#client;
    if (client !== null) await client.notification(params === undefined ? { method } : { method, params });
  }

  status(): McpServerStatus {
    return {
      name: this.name, transport: this.runtime.transport, state: this.state, perSession: this.runtime.perSession,
      instances: this.#connection() === null ? 0 : 1, tools: this.count('tools'), prompts: this.count('prompts'),
      resources: this.count('resources'), restarts: this.restarts, lastError: this.lastError,
      lastErrorAt: isoOrNull(this.lastErrorAt), lastSuccessAt: isoOrNull(this.lastSuccessAt), droppedLogs: this.droppedLogs,
      needsLogin: this.needsLogin, protocolVersion: this.protocolVersion, serverInfo: this.serverInfo, era: this.era,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#stopHealth();
    const client = this.#client;
    const modern = this.#modern;
    this.#client = null;
    this.#modern = null;
    this.#endTasks();
    this.#setState('closed', null);
    await Promise.all([client?.close().catch(() => undefined), modern?.close()]);
  }

  #connection(): Connection | null {
    return this.#modern ?? this.#client;
  }

  #send(client: Client, method: string, params: Item, opts: UpstreamRequestOptions): Promise<Item> {
    this.#sending = opts.call;
    this.#sentId = null;
    let pending: Promise<Item>;
    try {
      pending = client.request({ method, params } as never, ResultSchema, {
        signal: opts.signal, timeout: this.runtime.timeoutMs, resetTimeoutOnProgress: true,
        maxTotalTimeout: this.runtime.maxTotalTimeoutMs > 0 ? this.runtime.maxTotalTimeoutMs : undefined,
        // Always set, so progress restarts the timeout even when the client asked for none.
        onprogress: (p) => opts.onprogress?.(p),
      }) as Promise<Item>;
    } finally {
      this.#sending = null;
    }
    const id = this.#sentId;
    if (id === null || opts.call === null) return pending;
    this.#inflight.set(id, opts.call);
    return pending.finally(() => this.#inflight.delete(id));
  }

  async #fetchList(kind: ListKind): Promise<Item[]> {
    if (!(await this.offers(kind))) return [];
    const { method, field } = LIST_KINDS[kind];
    const items: Item[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const result = await this.request(method, cursor === undefined ? {} : { cursor }, { call: null });
      const got = result[field];
      if (Array.isArray(got)) for (const item of got) if (typeof item === 'object' && item !== null) items.push(item as Item);
      cursor = typeof result.nextCursor === 'string' && result.nextCursor.length > 0 ? result.nextCursor : undefined;
      if (cursor === undefined) break;
    }
    return items;
  }

  /**
   * A Streamable HTTP or STDIO server is probed first, on every connect (a server may be upgraded
   * or rolled back between two): an HTTP one with one POST (see `probeHttpUpstream`), a STDIO one on
   * the process it is then served on (see `probeStdioUpstream`: a legacy server keeps that process
   * for its `initialize` session). A STDIO server that exits on the probe is started again at once
   * without it, and, once that works, never probed again by this instance; so is one that exits on
   * `initialize` after a probe it left unanswered (it started slowly and read the probe after the
   * gateway gave up on it: `unprobed` says so). `protocol: legacy` skips
   * the probe. Legacy SSE is a 2024-era transport.
   */
  async #connect(again = false, unprobed: string | null = null): Promise<Connection> {
    this.#setState('connecting', this.lastError);
    const probe = this.runtime.protocol !== 'legacy';
    if (this.runtime.transport === 'streamable-http' && probe) {
      const probed = await probeHttpUpstream(this.runtime, this.#modernEvents(), this.#modernOptions()).catch((err: unknown) => this.#connectFailed(err));
      if (probed.era === 'modern') return this.#adoptModern(probed.upstream);
      // Closed while probing: no session to open.
      if (this.#closed) throw new RpcError(ErrorCode.ConnectionClosed, `MCP server "${this.name}" is not configured any more`);
    }
    let transport = this.#newTransport();
    // Why this connect goes without the probe that killed the last process (null: it probes as usual).
    let probeKilled = unprobed;
    let probeUnanswered = false;
    const probeStdio = this.runtime.transport === 'stdio' && probe && !this.#probeKills && unprobed === null;
    if (probeStdio) {
      let modern: ModernUpstream | null = null;
      const probed = await probeStdioUpstream(transport, this.#modernEvents(), this.#modernOptions(), {
        onExit: () => { if (modern !== null) this.#drop(modern, 'the server process exited'); },
        // A slow start: the next probe waits the whole timeout.
        onLateModern: () => { this.#slowStart = true; },
        boundMs: this.#slowStart ? this.runtime.timeoutMs : undefined,
      }).catch((err: unknown) => this.#connectFailed(err));
      if (probed.era === 'modern') {
        modern = probed.upstream;
        return this.#adoptModern(modern);
      }
      if (this.#closed) {
        await transport.close().catch(() => undefined);
        throw new RpcError(ErrorCode.ConnectionClosed, `MCP server "${this.name}" is not configured any more`);
      }
      if (probed.era === 'exited') {
        probeKilled = 'the server exited when probed with server/discover';
        transport = this.#newTransport();
      }
      if (probed.era === 'legacy') probeUnanswered = probed.unanswered;
    }
    const tasks = new RelayTaskStore();
    const client = new Client({ name: 'localrouter', version: this.#version }, { capabilities: this.#clientCapabilities(), taskStore: tasks });
    this.#install(client, tasks);
    try {
      await client.connect(transport, { timeout: this.runtime.timeoutMs });
    } catch (err) {
      // The process ended on a probe it read only after the gateway gave up on it (a slow start).
      const lateExit = probeUnanswered && transport.closed;
      await client.close().catch(() => undefined);
      if (lateExit && !again && !this.#closed) {
        return this.#connect(true, 'the server exited when probed with server/discover, which it read late (it started slower than the probe waits)');
      }
      if (probeStdio && !again && !this.#closed && refusesInitializeFor2026(err)) {
        // A 2026-07-28-only server the probe gave up on (it started slowly): probed again at once,
        // on a new process, with its whole timeout (from now on).
        this.#slowStart = true;
        return this.#connect(true);
      }
      this.#connectFailed(err);
    }
    if (probeKilled !== null) {
      this.#probeKills = true;
      [this.lastError, this.lastErrorAt] = [`${probeKilled}; it is served without the probe from now on (protocol: legacy skips it from the start)`, Date.now()];
    }
    return this.#adoptLegacy(client, transport, tasks);
  }

  /** The OAuth client of either era found no usable login (`stepUp`: the login lacks a scope the server asked for). */
  #loginNeeded(stepUp?: boolean): void {
    this.needsLogin = true;
    this.#stepUpWanted ||= stepUp === true;
  }

  /** The transport of a session (a STDIO server's process is spawned when it starts). */
  #newTransport(): ObservedTransport {
    return createUpstreamTransport(this.runtime, {
      onStderr: (line) => this.#events.stderr(this, line),
      maxDepth: this.#maxJsonDepth,
      onRefused: (what) => this.#events.refused(this, what),
      onOAuthSaved: (state) => this.#events.oauthSaved(this, state),
      onNeedsLogin: (stepUp) => this.#loginNeeded(stepUp),
      onSend: (message) => {
        if (this.#sending !== null && 'id' in message && 'method' in message) this.#sentId = message.id;
      },
    });
  }

  async #adoptLegacy(client: Client, transport: ObservedTransport, tasks: RelayTaskStore): Promise<Client> {
    if (this.#closed) {
      await client.close().catch(() => undefined);
      throw new RpcError(ErrorCode.ConnectionClosed, `MCP server "${this.name}" is not configured any more`);
    }
    this.#client = client;
    this.#transport = transport;
    this.#tasks = tasks;
    this.era = 'legacy';
    this.needsLogin = false;
    this.#stepUpWanted = false;
    this.#connectedAt = Date.now();
    // No list cache to clear here: #drop cleared it when the last connection went, and a list being
    // fetched now is what asked for this connection (clearing it would fetch it twice).
    client.onclose = () => {
      if (this.#client === client) this.#drop(client, this.runtime.transport === 'stdio' ? 'the server process exited' : 'the connection closed');
    };
    // The transport reports what fails outside a request (the GET stream dropping, its reconnects
    // refused): a session the server says it forgot is re-initialized now, anything else is checked with a ping.
    client.onerror = (err) => {
      if (this.#client !== client) return;
      const lost = this.#lostSession(err);
      // A server that gave no session id has no session to forget: a 404 here is its GET stream
      // refused (some stateless servers say 404, not 405), and re-initializing would only loop.
      if (lost?.forgotten && hasSession(client)) this.#drop(client, lost.reason);
      else void this.#check(client);
    };
    this.#setState('ready', this.lastError);
    this.#startHealth(client);
    this.#resubscribe(client);
    this.#events.changed(this, null);
    this.#refreshAfterReconnect();
    return client;
  }

  /** A new session watches the URIs the last one did (the server forgot them with it). */
  #resubscribe(client: Client): void {
    if (this.#watched.size === 0 || !client.getServerCapabilities()?.resources?.subscribe) return;
    for (const uri of this.#watched) {
      void this.#send(client, 'resources/subscribe', { uri }, { call: null }).catch((err: unknown) => {
        [this.lastError, this.lastErrorAt] = [`resubscribing to a resource failed: ${describe(err)}`, Date.now()];
      });
    }
  }

  #connectFailed(err: unknown): never {
    const message = `cannot connect: ${describe(err)}`;
    // A server that was up before (or should always be) keeps being retried; a lazy one waits for its next use.
    this.#scheduleRetry(message, this.restarts > 0 || this.runtime.connect === 'start');
    throw new RpcError(ErrorCode.ConnectionClosed, `MCP server "${this.name}" is unavailable: ${message}`);
  }

  async #adoptModern(modern: ModernUpstream): Promise<ModernUpstream> {
    if (this.#closed) {
      await modern.close();
      throw new RpcError(ErrorCode.ConnectionClosed, `MCP server "${this.name}" is not configured any more`);
    }
    this.#modern = modern;
    this.#modernFailures = 0;
    modern.listen();
    this.era = 'modern';
    this.needsLogin = false;
    this.#connectedAt = Date.now();
    // No health check: there is no session to lose, and each request finds out about the server itself.
    this.#setState('ready', this.lastError);
    this.#events.changed(this, null);
    this.#refreshAfterReconnect();
    return modern;
  }

  #modernEvents(): ModernEvents {
    return {
      changed: (kind) => {
        if (kind !== null) return this.#invalidate(kind);
        for (const k of ['tools', 'prompts', 'resources', 'resourceTemplates'] as const) this.#invalidate(k);
      },
      resourceUpdated: (uri, params) => this.#events.resourceUpdated(this, uri, params),
      log: (params, call) => this.#events.log(this, params, call),
      input: (method, params, call, signal) => this.#events.serverRequest(this, method, params, call, signal),
      listenFailed: (reason, err) => {
        const modern = this.#modern;
        if (modern !== null && err !== undefined && rolledBack(err)) {
          this.#drop(modern, `the server answered its listen stream like a 1.x server (${describe(err)}); probing it again`);
          return;
        }
        this.#listenError = reason.split('\n')[0]!.slice(0, 300);
        [this.lastError, this.lastErrorAt] = [this.#listenError, Date.now()];
      },
      listenRecovered: () => {
        if (this.#listenError !== null && this.lastError === this.#listenError) [this.lastError, this.lastErrorAt] = [null, null];
        this.#listenError = null;
      },
    };
  }

  #modernOptions(): Parameters<typeof probeHttpUpstream>[2] {
    const oauth = this.runtime.transport === 'stdio' ? undefined : upstreamOAuthOf(this.runtime, {
      onOAuthSaved: (state) => this.#events.oauthSaved(this, state),
      onNeedsLogin: (stepUp) => this.#loginNeeded(stepUp),
    });
    return {
      version: this.#version, timeoutMs: this.runtime.timeoutMs, maxTotalTimeoutMs: this.runtime.maxTotalTimeoutMs,
      maxJsonDepth: this.#maxJsonDepth, perSession: this.owner !== null, watched: this.#watched, lastEraLegacy: this.era === 'legacy',
      ...(oauth === undefined ? {} : bearerSeam(oauth, this.runtime.url!)),
    };
  }

  /**
   * What a failed request to a modern server means; true: send it once more. Each request stands
   * alone, so one failure concerns that request only: the connection (and the other clients' calls
   * on it) stays. A 401 has been taken to the OAuth client by the transport (a refreshed token is
   * sent once more there); where there was none, the request is sent once more here;
   * a refused connection (the request never left) or a reset on a request that changes nothing is
   * sent again. The server is probed again only when it says it has no 2026-07-28 any more (a 1.x
   * "no session" 400 or 404: rolled back) or after several failures in a row; the old connection
   * is closed once its calls are done.
   */
  #modernFailed(client: ModernUpstream, err: unknown, method: string): boolean {
    if (err instanceof RpcError) {
      // The server answered (a JSON-RPC error); a timeout says nothing either way.
      if (err.code !== ErrorCode.RequestTimeout) this.#modernFailures = 0;
      return false;
    }
    // The authorization server is down for now: this call fails, the login is not taken for lost.
    if (renewalUnavailable(err)) return false;
    const status = httpStatusOf(err);
    if (isAuthFailure(err)) {
      // A 401 (the SDK's UnauthorizedError carries no status); a 403 is a refusal of this request, not of the login.
      if (status !== 403) this.needsLogin = true;
      // Where the OAuth client already tried to renew the login for it, sending again would only repeat that.
      return !renewalFailed(err);
    }
    if (rolledBack(err)) {
      this.#drop(client, `the server answered like a 1.x server (HTTP ${status}: ${describe(err)}); probing it again`);
      return true;
    }
    const code = connectionErrorCode(err);
    const countable = code !== null || (status !== null && status >= 400 && status < 500 && status !== 429);
    if (countable && ++this.#modernFailures >= MODERN_FAILURES_BEFORE_REPROBE) {
      this.#drop(client, `${this.#modernFailures} requests in a row failed (the last: ${describe(err)}); probing the server again`);
    }
    return code === 'ECONNREFUSED' || (code !== null && SAFE_TO_RESEND.test(method));
  }

  /**
   * Whether `err` says this connection is gone: the server answered that it does not know the
   * session (400 or 404 with a session error: a Streamable HTTP server that restarted), or the
   * connection failed. `unsent`: the request cannot have reached the server (safe to send again);
   * `forgotten`: the server itself said so (a dropped stream alone may be a proxy's idle timeout).
   */
  #lostSession(err: unknown): { reason: string; unsent: boolean; forgotten: boolean } | null {
    if (this.runtime.transport === 'streamable-http') {
      const status = (err as { code?: unknown }).code;
      const text = err instanceof Error ? err.message : '';
      if (err instanceof Error && err.name !== 'McpError' && (status === 404 || (status === 400 && /session/i.test(text)))) {
        return { reason: `the upstream session is gone (HTTP ${status}: ${describe(err)}); re-initializing`, unsent: true, forgotten: true };
      }
    }
    const code = connectionErrorCode(err);
    if (code === null || this.runtime.transport === 'stdio') return null;
    return { reason: `the connection failed (${code}); re-initializing`, unsent: code === 'ECONNREFUSED', forgotten: false };
  }

  #startHealth(client: Client): void {
    this.#stopHealth();
    const every = this.#health.intervalMs;
    if (every <= 0) return;
    this.#healthTimer = setInterval(() => {
      // A server that answered within the period is known to be alive. One with calls in flight is
      // not pinged: it may be busy with them (a blocked event loop answers no ping), and those calls
      // have their own timeouts and notice a lost session or connection themselves.
      if (this.lastSuccessAt !== null && Date.now() - this.lastSuccessAt < every) return;
      if (this.#inflight.size > 0) return;
      void this.#check(client);
    }, every);
    this.#healthTimer.unref();
  }

  #stopHealth(): void {
    if (this.#healthTimer !== null) clearInterval(this.#healthTimer);
    this.#healthTimer = null;
  }

  /**
   * The server answered: it is alive, and a login it wanted before (a refresh refused, an identity
   * provider's refusal) is not wanted any more. A step-up is: the login works only for the tools its
   * scope covers, until the next login (a new connection).
   */
  #succeeded(): void {
    this.lastSuccessAt = Date.now();
    if (!this.#stepUpWanted) this.needsLogin = false;
  }

  /** One health check: a `ping` within the timeout, else the connection is re-initialized. */
  async #check(client: Client): Promise<void> {
    if (this.#checking || this.#client !== client) return;
    this.#checking = true;
    try {
      await client.request({ method: 'ping' }, ResultSchema, { timeout: this.#health.timeoutMs });
      this.#succeeded();
    } catch (err) {
      if (this.#client === client) this.#drop(client, `health check failed: ${describe(err)}; re-initializing`);
    } finally {
      this.#checking = false;
    }
  }

  /**
   * After a re-initialize, the lists that were cached before are fetched again; each that differs
   * is reported changed, so sessions get `list_changed` and refetch.
   */
  #refreshAfterReconnect(): void {
    const before = this.#before;
    this.#before = null;
    if (before === null) return;
    for (const [kind, old] of before) {
      void Promise.all([old, this.list(kind)]).then(([a, b]) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) this.#events.changed(this, kind);
      }, () => undefined);
    }
  }

  /**
   * A shared instance serves many sessions: it offers sampling and elicitation (forwarded to the
   * session whose call caused them) but not roots, which belong to one client. Sampling and
   * elicitation may be task-augmented: the gateway then holds the task and runs the request as a
   * plain one towards the client (see `#install`), so any client that can answer it will do. A
   * form answer gets the schema's defaults for the fields it leaves out (`applyDefaults`, SEP-1034),
   * whether or not the client that answered applied them.
   */
  #clientCapabilities(): Record<string, unknown> {
    const caps: Record<string, unknown> = {
      sampling: {}, elicitation: { form: { applyDefaults: true }, url: {} },
      tasks: { list: {}, cancel: {}, requests: { sampling: { createMessage: {} }, elicitation: { create: {} } } },
    };
    if (this.owner !== null) caps.roots = { listChanged: true };
    return caps;
  }

  #install(client: Client, tasks: RelayTaskStore): void {
    const forward = (method: string) => async (request: { params?: Item }, extra: { signal: AbortSignal; taskStore?: TaskHandle }): Promise<never> => {
      const { task, ...params } = request.params ?? {};
      const call = this.#attribute(takeRelated(params));
      if (task === undefined || extra.taskStore === undefined) return this.#events.serverRequest(this, method, params, call, extra.signal) as Promise<never>;
      // A task-augmented request: answered at once with the task; the request itself goes on in the
      // background, and the server polls `tasks/get` and `tasks/result` here for its outcome.
      const store = extra.taskStore;
      const created = await store.createTask({ ttl: (task as { ttl?: number }).ttl });
      const signal = tasks.signalFor(created.taskId);
      this.#events.serverRequest(this, method, params, call, signal).then(
        (result) => store.storeTaskResult(created.taskId, 'completed', result),
        (err: unknown) => store.updateTaskStatus(created.taskId, signal.aborted ? 'cancelled' : 'failed', toRpcError(err).message.slice(0, 500)),
      ).catch(() => undefined).finally(() => tasks.settled(created.taskId));
      return { task: created } as never;
    };
    client.setRequestHandler(CreateMessageRequestSchema, forward('sampling/createMessage'));
    client.setRequestHandler(ElicitRequestSchema, forward('elicitation/create'));
    if (this.owner !== null) client.setRequestHandler(ListRootsRequestSchema, forward('roots/list'));
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.#invalidate('tools'));
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => this.#invalidate('prompts'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      this.#invalidate('resources');
      this.#invalidate('resourceTemplates');
    });
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      const params = { ...n.params } as Item;
      takeRelated(params);
      this.#events.resourceUpdated(this, String(params.uri), params);
    });
    client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      const params = { ...n.params } as Item;
      takeRelated(params);
      this.#events.taskStatus(this, params);
    });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      const params = { ...n.params } as Item;
      const related = takeRelated(params);
      // Over Streamable HTTP a line that came on no request's stream is tied to none: no guessing.
      const call = related === undefined && this.runtime.transport === 'streamable-http' ? null : this.#attribute(related);
      this.#events.log(this, params, call);
    });
  }

  /**
   * The client request a server-to-client message belongs to: the one named by the stamp on it
   * (Streamable HTTP), else the only session with requests in flight here. Several sessions at once
   * without a stamp (STDIO, legacy SSE) cannot be told apart: 'ambiguous', never a guess.
   */
  #attribute(related: string | number | undefined): CallRef | null | 'ambiguous' {
    if (related !== undefined) return this.#inflight.get(related) ?? null;
    let found: CallRef | null = null;
    for (const call of this.#inflight.values()) {
      if (found !== null && found.session !== call.session) return 'ambiguous';
      found = call;
    }
    return found;
  }

  /** A connection's tasks end with it: their work is stopped and their timers cleared. */
  #endTasks(): void {
    this.#tasks?.cleanup();
    this.#tasks = null;
  }

  #invalidate(kind: ListKind): void {
    this.#lists.delete(kind);
    this.#events.changed(this, kind);
  }

  /** The connection is gone: fail what is in flight (the SDK does), forget caches, restart with backoff. */
  #drop(client: Connection, reason: string): void {
    if (this.#connection() !== client) return;
    this.#client = null;
    this.#modern = null;
    this.#endTasks();
    this.#stopHealth();
    // Lists fetched from this connection are compared with the next one's (see #refreshAfterReconnect).
    const settled = [...this.#lists].filter(([, p]) => p !== undefined);
    if (settled.length > 0) this.#before = new Map(settled.map(([k, p]) => [k, p.catch(() => [])]));
    this.#lists.clear();
    // A modern connection's other calls stand alone: they finish on it before it is closed.
    void (client instanceof ModernUpstream ? client.closeWhenIdle() : client.close()).catch(() => undefined);
    if (this.#closed) return;
    this.restarts++;
    if (Date.now() - this.#connectedAt > STABLE_MS) this.#failures = 0;
    this.#scheduleRetry(reason, true);
    this.#events.changed(this, null);
  }

  #scheduleRetry(reason: string, reconnect: boolean): void {
    if (this.#closed) return;
    const delay = Math.min(this.#backoff.max, this.#backoff.initial * 2 ** this.#failures);
    this.#failures++;
    this.#setState('backoff', reason);
    let release!: () => void;
    this.#retryWait = new Promise<void>((resolve) => { release = resolve; });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#retryWait = null;
      release();
      if (reconnect && !this.#closed && this.#connection() === null && this.#connecting === null) {
        this.#connecting = this.#connect().finally(() => { this.#connecting = null; });
        this.#connecting.catch(() => undefined);
      }
    }, delay);
    this.#retryTimer.unref();
  }

  #setState(state: McpServerStatus['state'], error: string | null): void {
    this.state = state;
    if (error !== this.lastError) {
      this.lastError = error;
      this.lastErrorAt = error === null ? null : Date.now();
    }
    this.#events.state(this, state, error);
  }
}

/** A 1.x server's refusal of a request without a session (400 or 404 "no session", "not initialized"): a 2026-07-28 server was rolled back. */
function rolledBack(err: unknown): boolean {
  const status = httpStatusOf(err);
  return (status === 400 || status === 404) && err instanceof Error && SESSION_REFUSAL.test(err.message);
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

/** The connection runs in a session the server issued (a Streamable HTTP `Mcp-Session-Id`); STDIO and SSE count as one. */
function hasSession(client: Client): boolean {
  const transport = client.transport as { sessionId?: string } | undefined;
  return transport === undefined || !('sessionId' in transport) || transport.sessionId !== undefined;
}
