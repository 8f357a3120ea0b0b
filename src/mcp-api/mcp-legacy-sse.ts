import { randomUUID } from 'node:crypto';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { McpHost } from '../mcp/index.js';
import type { McpJsonRpcMessage, McpJsonText } from '../workers/index.js';
import { readBody, statusLine, writeResponse, type AuthedClient, type GatewayState, type HeaderPairs, type RouteHandler } from '../ingress/index.js';
import type { CallSink, McpCalls } from './mcp-calls.js';
import { jsonRpcErrorBody, mcpClientOr401, tooDeepBody } from './mcp-auth.js';
import { jsonString } from './mcp-post-exchange.js';
import type { McpSessionLimits } from './mcp-route.js';
import { loadedMcpSdk, loadMcpSdk, type McpSdk } from './mcp-sdk.js';

interface SseSession {
  no: number;
  client: AuthedClient;
  clientId: string;
  res: HttpResponse;
  open: boolean;
  keepAlive: NodeJS.Timeout;
  /** The request the last message tied to one was for, and when it was written (`performance.now()`). */
  noticeFor: string | number | null;
  noticeAt: number;
  /** Messages waiting behind a held response, in order (null: nothing held). */
  held: { json: McpJsonText; related: string | number | null; final: boolean }[] | null;
  /** Where its admitted messages go (see `McpCalls.deliver`); a refusal is written to the stream. */
  sink: CallSink;
}

const KEEPALIVE_MS = 25_000;
/**
 * How long a response waits after a message tied to the same request (progress, a log line). The
 * SDK's clients run notification handlers a microtask after reading them but settle a response at
 * once, so a last progress read in one chunk with its response finds its handler gone: written this
 * far apart, they reach the client in separate reads.
 */
const RESPONSE_GAP_MS = 15;

/**
 * The legacy HTTP+SSE transport (protocol 2024-11-05) for older clients: `GET /sse` opens the
 * session's event stream and announces `messages?sessionId=...` in an `endpoint` event; the client
 * POSTs each JSON-RPC message there (202 Accepted) and every answer comes on the stream. Same key
 * rules as `/mcp`; the session is bound to the client that opened it. A legacy session lives exactly
 * as long as its stream, so one past the caps is refused (503) rather than ending a stream a client
 * holds open: `mcp.max_sessions_per_client` legacy streams per client, and no new one while the
 * gateway holds `mcp.max_sessions` sessions of either kind.
 */
export class McpLegacySse {
  readonly #host: McpHost;
  readonly #metricId: (name: string) => number;
  readonly #limits: () => McpSessionLimits;
  readonly #calls: McpCalls;
  #sessions = new Map<string, SseSession>();

  constructor(host: McpHost, metricId: (name: string) => number, limits: () => McpSessionLimits, calls: McpCalls) {
    this.#host = host;
    this.#calls = calls;
    this.#metricId = metricId;
    this.#limits = limits;
  }

  routes(): Record<string, Partial<Record<'get' | 'post', RouteHandler>>> {
    const stream: RouteHandler = (state, res, req, cors) => this.#open(state, res, req, cors);
    const post: RouteHandler = (state, res, req, cors) => this.#post(state, res, req, cors);
    return { '/sse': { get: stream }, '/messages': { post }, '/mcp/sse': { get: stream }, '/mcp/messages': { post } };
  }

  close(): void {
    for (const s of [...this.#sessions.values()]) this.#end(s, true);
  }

  #open(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
    const client = mcpClientOr401(state.tables.clients, req, res, cors, req.getUrl().startsWith('/mcp/') ? '/mcp/sse' : '/sse');
    if (client === null) return;
    const { maxSessions, maxSessionsPerClient } = this.#limits();
    let mine = 0;
    for (const s of this.#sessions.values()) if (s.clientId === client.id) mine++;
    if (mine >= maxSessionsPerClient || this.#host.sessionCount >= maxSessions) {
      const message = mine >= maxSessionsPerClient
        ? `this client has ${mine} legacy SSE sessions open (mcp.max_sessions_per_client = ${maxSessionsPerClient}); close one first`
        : `too many MCP sessions (mcp.max_sessions = ${maxSessions}); end unused ones`;
      writeResponse(res, 503, 'application/json', jsonRpcErrorBody(-32000, message), [...cors, ['retry-after', '5']]);
      return;
    }
    // Its POSTs validate messages with the SDK's schema: load it while the client reads the endpoint event.
    loadMcpSdk().catch(() => undefined);
    // A client that authenticated with ?token= cannot set headers on its POSTs either.
    const token = new URLSearchParams(req.getQuery() ?? '').get('token');
    const sid = randomUUID();
    const session: SseSession = {
      no: 0, client, clientId: client.id, res, open: true, keepAlive: setInterval(() => this.#write(session, ': keepalive\n\n'), KEEPALIVE_MS),
      noticeFor: null, noticeAt: 0, held: null,
      sink: {
        forward: (message) => this.#host.deliver(session.no, message),
        answer: (json) => this.#write(session, `event: message\ndata: ${json}\n\n`),
      },
    };
    session.keepAlive.unref();
    res.onAborted(() => this.#end(session, false));
    session.no = this.#host.open({
      owner: client,
      send: (json, related, final) => {
        this.#calls.sent(session.no, related, final, json);
        this.#deliver(session, json, related, final);
      },
      closed: () => this.#end(session, true),
    }, { client: client.name, strategy: client.policy.strategy, clientMetricId: this.#metricId(client.name), strategyMetricId: this.#metricId(client.policy.strategy) });
    this.#sessions.set(sid, session);
    const endpoint = `messages?sessionId=${sid}${token === null ? '' : `&token=${encodeURIComponent(token)}`}`;
    res.cork(() => {
      res.writeStatus(statusLine(200));
      res.writeHeader('content-type', 'text/event-stream');
      res.writeHeader('cache-control', 'no-cache, no-transform');
      res.writeHeader('x-accel-buffering', 'no');
      for (const [k, v] of cors) res.writeHeader(k, v);
      res.write(`event: endpoint\ndata: ${endpoint}\n\n`);
    });
  }

  #post(state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs): void {
    const tables = state.tables;
    const client = mcpClientOr401(tables.clients, req, res, cors, req.getUrl().startsWith('/mcp/') ? '/mcp/sse' : '/sse', true);
    if (client === null) return;
    const sid = new URLSearchParams(req.getQuery() ?? '').get('sessionId') ?? '';
    const session = this.#sessions.get(sid);
    if (session === undefined || session.clientId !== client.id) {
      writeResponse(res, 404, 'application/json', jsonRpcErrorBody(-32001, 'Session not found'), cors, true);
      return;
    }
    let aborted = false;
    res.onAborted(() => { aborted = true; });
    readBody(res, tables.server.max_body_bytes, (err, raw) => {
      if (aborted) return;
      if (err) return writeResponse(res, err.status, 'application/json', jsonRpcErrorBody(-32600, err.message), cors, true);
      const tooDeep = tooDeepBody(raw!, tables.server.max_json_depth);
      if (tooDeep !== null) return writeResponse(res, 400, 'application/json', tooDeep, cors);
      const sdk = loadedMcpSdk();
      if (sdk !== null) return this.#accept(session, raw!, sdk, res, cors);
      // The stream's opening started the load; messages that wait for it keep their order.
      loadMcpSdk().then((loaded) => {
        if (!aborted) this.#accept(session, raw!, loaded, res, cors);
      }, (loadErr: unknown) => {
        if (!aborted) writeResponse(res, 500, 'application/json', jsonRpcErrorBody(-32603, `internal error: ${(loadErr as Error).message}`), cors);
      });
    });
  }

  /** Validates a POSTed body as JSON-RPC messages (the SDK's schema) and hands them to the session: 202, or 400. */
  #accept(session: SseSession, raw: Buffer, sdk: McpSdk, res: HttpResponse, cors: HeaderPairs): void {
    let messages: unknown[];
    try {
      const parsed = JSON.parse(raw.toString('utf8')) as unknown;
      messages = (Array.isArray(parsed) ? parsed : [parsed]).map((m) => sdk.JSONRPCMessageSchema.parse(m));
    } catch {
      return writeResponse(res, 400, 'application/json', jsonRpcErrorBody(-32700, 'Parse error: not a JSON-RPC message'), cors);
    }
    for (const m of messages) this.#calls.deliver(session.no, session.client, m as McpJsonRpcMessage, session.sink, messages.length === 1 ? raw.length : undefined);
    writeResponse(res, 202, 'text/plain', 'Accepted', cors);
  }

  /** One message for the stream, in order; a response right behind a message tied to its request is held briefly (see `RESPONSE_GAP_MS`). */
  #deliver(session: SseSession, json: McpJsonText, related: string | number | null, final: boolean): void {
    if (session.held !== null) {
      session.held.push({ json, related, final });
      return;
    }
    if (final && related !== null && related === session.noticeFor) {
      const wait = RESPONSE_GAP_MS - (performance.now() - session.noticeAt);
      if (wait > 0) {
        session.held = [{ json, related, final }];
        session.noticeFor = null;
        setTimeout(() => this.#release(session), wait);
        return;
      }
    }
    if (!final && related !== null) {
      session.noticeFor = related;
      session.noticeAt = performance.now();
    }
    this.#write(session, `event: message\ndata: ${jsonString(json)}\n\n`);
  }

  #release(session: SseSession): void {
    const held = session.held ?? [];
    session.held = null;
    for (const m of held) this.#deliver(session, m.json, m.related, m.final);
  }

  #write(session: SseSession, text: string): void {
    if (!session.open) return;
    session.res.cork(() => { session.res.write(text); });
  }

  #end(session: SseSession, endResponse: boolean): void {
    if (!session.open) return;
    session.open = false;
    clearInterval(session.keepAlive);
    for (const [sid, s] of this.#sessions) if (s === session) this.#sessions.delete(sid);
    this.#host.close(session.no);
    if (endResponse) session.res.cork(() => session.res.end());
  }
}
