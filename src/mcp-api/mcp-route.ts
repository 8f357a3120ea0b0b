import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { McpHost, McpLog } from '../mcp/index.js';
import { labelSafe } from '../model/index.js';
import type { McpJsonRpcMessage, McpJsonText } from '../workers/index.js';
import { readBody, writeResponse, type AuthedClient, type GatewayState, type HeaderPairs, type RouteHandler } from '../ingress/index.js';
import { jsonRpcErrorBody, mcpClientOr401, tooDeepBody } from './mcp-auth.js';
import { cancelledRequest, type CallSink, type McpCalls } from './mcp-calls.js';
import { fastKind, jsonString, PostExchange, writeAccepted, type McpPostHeaders } from './mcp-post-exchange.js';
import { McpModern, mightBeModern, modernHeaders } from './mcp-modern.js';
import { loadedMcpSdk, loadMcpSdk, type McpSdk } from './mcp-sdk.js';
import { writeWebResponse, type ResponseSink } from './mcp-web-response.js';

/** One client session of the Streamable HTTP endpoint. */
interface HttpSession {
  transport: WebStandardStreamableHTTPServerTransport;
  no: number;
  client: AuthedClient;
  clientId: string;
  /** The virtual server (`/mcp/<name>`) it was opened on; null for `/mcp`. A session answers only there. */
  endpoint: string | null;
  lastSeen: number;
  /** Responses (SSE streams, pending answers) still open; an idle session with one is not idle. */
  open: number;
  /** POSTed requests not answered yet; a session with one is never ended to make room for another. */
  busy: number;
  /** Requests answered by the fast path (no SDK transport), by JSON-RPC id. */
  exchanges: Map<string | number, PostExchange>;
  /** Sends a message to the client as the actor's messages go (a refused call's answer goes this way). */
  send(json: string, related: string | number | null, final: boolean): void;
  /** Where the session's admitted messages go (see `McpCalls.deliver`). */
  sink: CallSink;
}

export interface McpEndpointOptions {
  sessionIdleMs: number;
  /** The session caps (read at each new session, so a config reload applies). */
  limits(): McpSessionLimits;
  /** Metric ids for a session's client and strategy names. */
  metricId(name: string): number;
  log: McpLog;
  /** Limits and logs the calls of every session. */
  calls: McpCalls;
  /** Whether `/mcp/<name>` is a configured virtual server (read per request, so a config reload applies). */
  isVirtualServer(name: string): boolean;
  /** The gateway version (the server info of protocol 2026-07-28 answers). */
  version: string;
}

/** `mcp.max_sessions`, `mcp.max_sessions_per_client`, and the per-client caps of sessionless (2026-07-28) requests. */
export interface McpSessionLimits {
  maxSessions: number;
  maxSessionsPerClient: number;
  maxRequestsInFlightPerClient: number;
  maxListenStreamsPerClient: number;
}

/** Request headers the SDK transport reads, copied out of uWS's short-lived request object. */
const FORWARDED_HEADERS = ['accept', 'content-type', 'mcp-session-id', 'mcp-protocol-version', 'last-event-id'] as const;
type ForwardedHeaders = Record<(typeof FORWARDED_HEADERS)[number], string>;

/**
 * `/mcp`, spec-compliant Streamable HTTP, by bridging uWS to the SDK's
 * `WebStandardStreamableHTTPServerTransport` (one per client session): the SDK does the protocol's
 * HTTP rules (Accept and Content-Type checks, `Mcp-Session-Id`, `MCP-Protocol-Version`, SSE or JSON
 * answers, the GET stream, DELETE, batches), this file does what is LocalRouter's: the `lr-` key on
 * every request, sessions bound to the client that opened them, limits, idle expiry, and the hop to
 * the MCP actor, which holds the SDK `Server` of the session.
 *
 * The hot path skips the bridge: a single request or notification POSTed to an existing session
 * (what a client sends all day) goes straight to the actor, and its answer, which crosses the thread
 * as JSON text, is written to uWS as it is (`PostExchange`): no web `Request`, `Response` or stream,
 * no re-validation. Everything else (initialize, GET, DELETE, batches, responses, anything unusual)
 * takes the SDK transport. The SDK loads with the first request that needs it: a gateway nobody
 * uses MCP with never holds it.
 *
 * Sessions are capped in total (`mcp.max_sessions`) and per client (`mcp.max_sessions_per_client`).
 * A client at its cap that initializes another session gets it, and loses its least recently used
 * session that has no request in flight: agents that restart without a DELETE leak sessions, and
 * the leaked ones are the least recently used, so a fleet on one key keeps working instead of being
 * locked out until the idle expiry. (A session still in use that is ended this way answers 404, on
 * which the spec has clients re-initialize.) Only when every one of its sessions has a request in
 * flight is a new one refused (503). One client can thus never hold more than its share, and the
 * others keep getting sessions.
 */
export class McpEndpoint {
  readonly #host: McpHost;
  readonly #opts: McpEndpointOptions;
  /** Initialized sessions by Mcp-Session-Id. */
  #sessions = new Map<string, HttpSession>();
  /** Every session from its initialize request to its end (initialized or not yet), by client id. */
  #byClient = new Map<string, Set<HttpSession>>();
  #sweep: NodeJS.Timeout;
  /** Sessionless requests of protocol 2026-07-28. */
  readonly #modern: McpModern;

  constructor(host: McpHost, opts: McpEndpointOptions) {
    this.#host = host;
    this.#opts = opts;
    this.#modern = new McpModern(host, { calls: opts.calls, metricId: opts.metricId, version: opts.version, log: opts.log, limits: opts.limits });
    this.#sweep = setInterval(() => this.#expire(), Math.min(60_000, opts.sessionIdleMs));
    this.#sweep.unref();
  }

  get sessions(): number {
    return this.#sessions.size;
  }

  /** The route table entry for `/mcp`. */
  route(): Partial<Record<'get' | 'post' | 'delete', RouteHandler>> {
    return {
      post: (state, res, req, cors) => this.#handle('POST', state, res, req, cors),
      get: (state, res, req, cors) => this.#handle('GET', state, res, req, cors),
      delete: (state, res, req, cors) => this.#handle('DELETE', state, res, req, cors),
    };
  }

  /** Ends every session (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    await this.#modern.close();
    const all = [...this.#byClient.values()].flatMap((set) => [...set]);
    await Promise.all(all.map((s) => s.transport.close().catch(() => undefined)));
    this.#sessions.clear();
    this.#byClient.clear();
  }

  #handle(method: 'POST' | 'GET' | 'DELETE', state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
    const tables = state.tables;
    const client = mcpClientOr401(tables.clients, req, res, cors, '/mcp', method === 'POST');
    if (client === null) return;
    const path = req.getUrl().replace(/\/+$/, '');
    const endpoint = path === '/mcp' ? null : path.slice('/mcp/'.length);
    if (endpoint !== null && !this.#opts.isVirtualServer(endpoint)) {
      writeResponse(res, 404, 'application/json', jsonRpcErrorBody(-32001, `no MCP endpoint ${path.slice(0, 200)}: not a virtual server (mcp.virtual_servers)`), cors, method === 'POST');
      return;
    }
    const h = {} as ForwardedHeaders;
    for (const name of FORWARDED_HEADERS) h[name] = req.getHeader(name);
    const host = req.getHeader('host') || 'localhost';
    // A POST without a session may be a request of protocol 2026-07-28, whose SDK reads more headers.
    const modern = method === 'POST' && h['mcp-session-id'] === '' ? modernHeaders((cb) => req.forEach(cb)) : null;
    const sink = new AbortSink(res);
    if (method !== 'POST') {
      void this.#serve(method, host, h, null, client, endpoint, res, cors, sink);
      return;
    }
    readBody(res, tables.server.max_body_bytes, (err, raw) => {
      if (sink.aborted) return;
      if (err) return writeResponse(res, err.status, 'application/json', jsonRpcErrorBody(-32600, err.message), cors, true);
      const tooDeep = tooDeepBody(raw!, tables.server.max_json_depth);
      if (tooDeep !== null) return writeResponse(res, 400, 'application/json', tooDeep, cors);
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw!.toString('utf8'));
      } catch {
        return writeResponse(res, 400, 'application/json', jsonRpcErrorBody(-32700, 'Parse error: Invalid JSON'), cors);
      }
      if (modern !== null && mightBeModern(h['mcp-protocol-version'], parsed)) {
        this.#modern.serve(host, modern, parsed, raw!.length, client, endpoint, res, cors, sink).then((answered) => {
          if (!answered && !sink.aborted) void this.#serve(method, host, h, parsed, client, endpoint, res, cors, sink);
        }, (err: unknown) => {
          // A request the web-standard layer cannot even represent (a header value `Headers` refuses) is the client's fault.
          if (!sink.aborted) writeResponse(res, 400, 'application/json', jsonRpcErrorBody(-32600, `Invalid request: ${(err as Error).message.slice(0, 200)}`), cors);
        });
        return;
      }
      const session = h['mcp-session-id'] === '' ? undefined : this.#sessions.get(h['mcp-session-id']);
      if (session !== undefined && session.clientId === client.id && session.endpoint === endpoint && this.#fast(session, h, parsed, raw!.length, res, cors, sink)) return;
      void this.#serve(method, host, h, parsed, client, endpoint, res, cors, sink);
    });
  }

  /** The hot path (see the class comment); false when the POST needs the SDK transport. */
  #fast(session: HttpSession, h: ForwardedHeaders, body: unknown, bytes: number, res: HttpResponse, cors: HeaderPairs, sink: AbortSink): boolean {
    const sdk = loadedMcpSdk();
    if (sdk === null) return false;
    const headers: McpPostHeaders = { accept: h.accept, contentType: h['content-type'], protocolVersion: h['mcp-protocol-version'] };
    const kind = fastKind(headers, body, sdk);
    if (kind === null) return false;
    const message = body as McpJsonRpcMessage;
    session.lastSeen = Date.now();
    if (kind === 'notification') {
      this.#deliver(session, message, bytes);
      writeAccepted(res, cors);
      return true;
    }
    const id = message.id as string | number;
    if (session.exchanges.has(id)) return false; // the same id twice in flight: the SDK path judges
    const exchange = new PostExchange(res, id, [...cors, ['mcp-session-id', h['mcp-session-id']]], () => {
      if (session.exchanges.get(id) === exchange) session.exchanges.delete(id);
      session.open--;
      session.lastSeen = Date.now();
    });
    session.exchanges.set(id, exchange);
    session.open++;
    sink.onAbort(() => {
      exchange.aborted();
      this.#opts.calls.abandoned(session.no, id);
    });
    this.#deliver(session, message, bytes);
    return true;
  }

  /**
   * A client message to the actor, unless it is a call a limit or an approver refuses: then the refusal is its answer.
   * Every message of a session passes here, however it came: a cancel ends its request's answer here
   * (the actor, told next, sends none for it).
   */
  #deliver(session: HttpSession, message: McpJsonRpcMessage, bytes?: number): void {
    if (message.method === 'notifications/cancelled') {
      const request = cancelledRequest(message);
      if (request !== null) session.exchanges.get(request)?.cancelled();
    }
    this.#opts.calls.deliver(session.no, session.client, message, session.sink, bytes);
  }

  async #serve(method: string, host: string, h: ForwardedHeaders, body: unknown, client: AuthedClient, endpoint: string | null,
    res: HttpResponse, cors: HeaderPairs, sink: AbortSink): Promise<void> {
    let sdk = loadedMcpSdk();
    if (sdk === null) {
      try {
        sdk = await loadMcpSdk();
      } catch (err) {
        if (!sink.aborted) writeResponse(res, 500, 'application/json', jsonRpcErrorBody(-32603, `internal error: ${(err as Error).message}`), cors);
        return;
      }
      if (sink.aborted) return;
    }
    const sessionId = h['mcp-session-id'] === '' ? null : h['mcp-session-id'];
    let session: HttpSession | undefined;
    if (sessionId !== null) {
      session = this.#sessions.get(sessionId);
      // Another client's session id (or one of another endpoint) is as unknown as a made-up one.
      if (session === undefined || session.clientId !== client.id || session.endpoint !== endpoint) {
        writeResponse(res, 404, 'application/json', jsonRpcErrorBody(-32001, 'Session not found'), cors);
        return;
      }
    } else if (method === 'POST' && isInitialize(body)) {
      const refused = this.#makeRoom(client);
      if (refused !== null) {
        writeResponse(res, 503, 'application/json', jsonRpcErrorBody(-32000, refused.message), [...cors, ['retry-after', refused.retryAfter]]);
        return;
      }
      session = this.#create(client, endpoint, sdk);
    } else {
      writeResponse(res, 400, 'application/json', jsonRpcErrorBody(-32000, 'Bad Request: Mcp-Session-Id header is required'), cors);
      return;
    }
    session.lastSeen = Date.now();
    const isPost = method === 'POST';
    if (isPost) session.busy++;
    const headers = new Headers();
    for (const name of FORWARDED_HEADERS) if (h[name].length > 0) headers.set(name, h[name]);
    let response: Response;
    try {
      response = await session.transport.handleRequest(new Request(`http://${host}/mcp`, { method, headers }), body === null ? undefined : { parsedBody: body });
    } catch (err) {
      if (isPost) session.busy--;
      if (sessionId === null && session.transport.sessionId === undefined) {
        this.#forget(session);
        this.#host.close(session.no);
      }
      if (!sink.aborted) writeResponse(res, 500, 'application/json', jsonRpcErrorBody(-32603, `internal error: ${(err as Error).message}`), cors);
      return;
    }
    if (sessionId === null && session.transport.sessionId === undefined) {
      // The initialize request was refused (bad Accept, batch...): no session came of it.
      this.#forget(session);
      this.#host.close(session.no);
    }
    session.open++;
    try {
      await writeWebResponse(res, response, cors, sink);
    } finally {
      session.open--;
      if (isPost) session.busy--;
      session.lastSeen = Date.now();
    }
  }

  /**
   * Room for one more session of `client` (see the class comment): null when there is (after
   * ending the client's least recently used idle session if it was at its cap), else why not.
   */
  #makeRoom(client: AuthedClient): { message: string; retryAfter: string } | null {
    const { maxSessions, maxSessionsPerClient } = this.#opts.limits();
    const mine = this.#byClient.get(client.id);
    if (mine !== undefined && mine.size >= maxSessionsPerClient) {
      // The cap may have been lowered by a reload: end as many as it takes.
      while (mine.size >= maxSessionsPerClient) {
        let lru: HttpSession | null = null;
        for (const s of mine) if (s.busy === 0 && s.exchanges.size === 0 && (lru === null || s.lastSeen < lru.lastSeen)) lru = s;
        if (lru === null) {
          return {
            message: `this client has ${mine.size} MCP sessions, each with a request in flight (mcp.max_sessions_per_client = ${maxSessionsPerClient}); retry when one is answered, or end unused sessions with DELETE`,
            retryAfter: '1',
          };
        }
        this.#opts.log.info({ client: labelSafe(client.name), session: lru.transport.sessionId, idleMs: Date.now() - lru.lastSeen, cap: maxSessionsPerClient },
          'MCP session ended to make room for a new one of the same client (mcp.max_sessions_per_client)');
        this.#end(lru);
      }
    }
    // Counted by the host: sessions of /mcp and of the legacy SSE endpoint together.
    if (this.#host.sessionCount >= maxSessions) {
      return { message: `too many MCP sessions (mcp.max_sessions = ${maxSessions}); end unused ones with DELETE`, retryAfter: '5' };
    }
    return null;
  }

  /** Ends a session now: it leaves the tables at once, then its transport closes (ending its streams). */
  #end(session: HttpSession): void {
    this.#forget(session);
    void session.transport.close();
  }

  /** Takes a session out of the tables (idempotent). */
  #forget(session: HttpSession): void {
    const sid = session.transport.sessionId;
    if (sid !== undefined && this.#sessions.get(sid) === session) this.#sessions.delete(sid);
    const mine = this.#byClient.get(session.clientId);
    if (mine?.delete(session) && mine.size === 0) this.#byClient.delete(session.clientId);
  }

  #create(client: AuthedClient, endpoint: string | null, sdk: McpSdk): HttpSession {
    const transport = new sdk.WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => { this.#sessions.set(sid, session); },
    });
    const strategy = client.policy.strategy;
    const exchanges = new Map<string | number, PostExchange>();
    const calls = this.#opts.calls;
    const send = (json: McpJsonText, related: string | number | null, final: boolean): void => {
      calls.sent(no, related, final, json);
      const exchange = related === null ? undefined : exchanges.get(related);
      if (exchange !== undefined) return exchange.send(json, final);
      transport.send(JSON.parse(jsonString(json)) as JSONRPCMessage, related === null || final ? undefined : { relatedRequestId: related }).catch(() => {
        // The request's stream is gone (client disconnected): nothing left to deliver to.
      });
    };
    const no = this.#host.open({
      owner: client,
      send,
      closed: () => { void transport.close(); },
    }, { client: client.name, strategy, clientMetricId: this.#opts.metricId(client.name), strategyMetricId: this.#opts.metricId(strategy), endpoint });
    const sink: CallSink = {
      forward: (message) => this.#host.deliver(no, message),
      answer: (json, id) => send(json, id, true),
    };
    const session: HttpSession = { transport, no, client, clientId: client.id, endpoint, lastSeen: Date.now(), open: 0, busy: 0, exchanges, send, sink };
    let mine = this.#byClient.get(client.id);
    if (mine === undefined) this.#byClient.set(client.id, (mine = new Set()));
    mine.add(session);
    transport.onmessage = (message) => this.#deliver(session, message as unknown as McpJsonRpcMessage);
    transport.onclose = () => {
      this.#forget(session);
      for (const exchange of [...exchanges.values()]) exchange.close();
      this.#host.close(no);
    };
    void transport.start();
    return session;
  }

  #expire(): void {
    const cutoff = Date.now() - this.#opts.sessionIdleMs;
    for (const s of [...this.#sessions.values()]) {
      if (s.open === 0 && s.lastSeen < cutoff) void s.transport.close();
    }
  }
}

/** Tracks uWS's abort of one response (it must be registered before any asynchronous step). */
class AbortSink implements ResponseSink {
  aborted = false;
  #cancels: (() => void)[] = [];

  constructor(res: HttpResponse) {
    res.onAborted(() => {
      this.aborted = true;
      for (const cancel of this.#cancels) cancel();
    });
  }

  onAbort(cancel: () => void): void {
    if (this.aborted) cancel();
    else this.#cancels.push(cancel);
  }
}

function isInitialize(body: unknown): boolean {
  const msgs = Array.isArray(body) ? body : [body];
  return msgs.some((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'initialize');
}
