import type { HttpResponse } from 'uWebSockets.js';
import type { McpJsonText } from '../workers/index.js';
import { statusLine, type HeaderPairs } from '../ingress/index.js';
import type { McpSdk } from './mcp-sdk.js';

/** Keep-alive period of an SSE answer, and how long an answer may stay pending before it becomes one (the SDK's period). */
const KEEPALIVE_MS = 15_000;
const STATE = { pending: 0, sse: 1, done: 2 } as const;

/** What the fast path needs of a POST's headers (read synchronously from uWS's request). */
export interface McpPostHeaders {
  accept: string;
  contentType: string;
  protocolVersion: string;
}

/**
 * Whether a POST of an existing session can skip the SDK transport: the headers pass the SDK's own
 * checks, and the body is one request or notification of the plain shape `JSONRPCMessageSchema`
 * accepts. Anything else (batches, responses, initialize, odd `_meta`) takes the SDK path, which
 * answers it, or refuses it, exactly as before. `sdk` gives the SDK's own content-type check and
 * protocol constants (a session exists, so the SDK is loaded).
 */
export function fastKind(h: McpPostHeaders, body: unknown, sdk: McpSdk): 'request' | 'notification' | null {
  if (!h.accept.includes('application/json') || !h.accept.includes('text/event-stream')) return null;
  if (!sdk.isJsonContentType(h.contentType)) return null;
  if (h.protocolVersion !== '' && !sdk.SUPPORTED_PROTOCOL_VERSIONS.includes(h.protocolVersion)) return null;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const m = body as Record<string, unknown>;
  for (const k in m) if (k !== 'jsonrpc' && k !== 'id' && k !== 'method' && k !== 'params') return null;
  if (m.jsonrpc !== '2.0' || typeof m.method !== 'string' || m.method === 'initialize' || !plainParams(m.params, sdk.RELATED_TASK_META_KEY)) return null;
  if (!('id' in m)) return 'notification';
  return typeof m.id === 'string' || Number.isSafeInteger(m.id) ? 'request' : null;
}

function plainParams(p: unknown, relatedTaskKey: string): boolean {
  if (p === undefined) return true;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return false;
  const meta = (p as Record<string, unknown>)._meta;
  if (meta === undefined) return true;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return false;
  const m = meta as Record<string, unknown>;
  const token = m.progressToken;
  return m[relatedTaskKey] === undefined && (token === undefined || typeof token === 'string' || Number.isSafeInteger(token));
}

/**
 * The answer to one JSON-RPC request POSTed to /mcp, written straight to uWS. The answer is plain
 * JSON when the response is the first thing that comes for it (one cork, one `end`); the first
 * server message related to it (progress, a log line, a sampling request) — or a wait longer than
 * the keep-alive period — turns it into an SSE stream, as the SDK transport would have answered.
 */
export class PostExchange {
  readonly id: string | number;
  readonly #res: HttpResponse;
  readonly #headers: HeaderPairs;
  readonly #onDone: () => void;
  #state: number = STATE.pending;
  #timer: NodeJS.Timeout;

  constructor(res: HttpResponse, id: string | number, headers: HeaderPairs, onDone: () => void) {
    this.#res = res;
    this.id = id;
    this.#headers = headers;
    this.#onDone = onDone;
    this.#timer = setTimeout(this.#tick, KEEPALIVE_MS);
    this.#timer.unref();
  }

  /** One message for this request's stream; `final` (its response) ends the answer. */
  send(json: McpJsonText, final: boolean): void {
    if (this.#state === STATE.done) return;
    const res = this.#res;
    if (final && this.#state === STATE.pending) {
      this.#finish();
      res.cork(() => {
        res.writeStatus('200 OK');
        res.writeHeader('content-type', 'application/json');
        this.#writeHeaders();
        res.end(json);
      });
      return;
    }
    res.cork(() => {
      if (this.#state === STATE.pending) this.#openSse();
      // uWS buffers what the socket cannot take yet; the messages of one request are few.
      if (typeof json === 'string') {
        res.write(`event: message\ndata: ${json}\n\n`);
      } else {
        res.write('event: message\ndata: ');
        res.write(json);
        res.write('\n\n');
      }
      if (final) res.end();
    });
    if (final) this.#finish();
  }

  /**
   * The client cancelled the request (`notifications/cancelled`): no response will come for it
   * (receivers of a cancel send none), so the answer ends now instead of holding its connection
   * until the client closes it: an empty event stream if nothing was written yet. No event carried
   * an id, so a client has nothing to resume.
   */
  cancelled(): void {
    if (this.#state === STATE.done) return;
    const res = this.#res;
    res.cork(() => {
      if (this.#state === STATE.pending) this.#openSse();
      res.end();
    });
    this.#finish();
  }

  /** The client went away: nothing more may be written. */
  aborted(): void {
    if (this.#state !== STATE.done) this.#finish();
  }

  /** The session ended before the response: an open stream is ended, a pending answer gets an error. */
  close(): void {
    if (this.#state === STATE.done) return;
    const res = this.#res;
    if (this.#state === STATE.sse) {
      this.#finish();
      res.cork(() => res.end());
      return;
    }
    this.send(JSON.stringify({ jsonrpc: '2.0', id: this.id, error: { code: -32000, message: 'Connection closed: the MCP session ended' } }), true);
  }

  #openSse(): void {
    const res = this.#res;
    this.#state = STATE.sse;
    res.writeStatus('200 OK');
    res.writeHeader('content-type', 'text/event-stream');
    res.writeHeader('cache-control', 'no-cache, no-transform');
    res.writeHeader('x-accel-buffering', 'no');
    this.#writeHeaders();
  }

  #writeHeaders(): void {
    const h = this.#headers;
    for (let i = 0; i < h.length; i++) this.#res.writeHeader(h[i]![0], h[i]![1]);
  }

  readonly #tick = (): void => {
    if (this.#state === STATE.done) return;
    const res = this.#res;
    res.cork(() => {
      if (this.#state === STATE.pending) this.#openSse();
      res.write(': keepalive\n\n');
    });
    this.#timer = setTimeout(this.#tick, KEEPALIVE_MS);
    this.#timer.unref();
  };

  #finish(): void {
    this.#state = STATE.done;
    clearTimeout(this.#timer);
    this.#onDone();
  }
}

/** JSON text as a string (for the paths that need one: the SDK transport, legacy SSE). */
export function jsonString(json: McpJsonText): string {
  return typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8');
}

/** The SDK transport's answer to a POST of notifications only. */
export function writeAccepted(res: HttpResponse, headers: HeaderPairs): void {
  res.cork(() => {
    res.writeStatus(statusLine(202));
    for (let i = 0; i < headers.length; i++) res.writeHeader(headers[i]![0], headers[i]![1]);
    res.end();
  });
}
