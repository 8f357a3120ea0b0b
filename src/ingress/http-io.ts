import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { LocalRouterError, openAIErrorBody, type PlainError } from '../errors/index.js';

const statusLines = new Map<number, string>();

/** "404 Not Found" for uWS's writeStatus, cached. */
export function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? 'Unknown'}`;
    statusLines.set(status, line);
  }
  return line;
}

/** Per-response header pairs that every answer carries (CORS, when the origin is allowed). */
export type HeaderPairs = readonly (readonly [string, string])[];

/** Writes a complete response in one cork. `close` ends the connection afterwards. */
export function writeResponse(res: HttpResponse, status: number, contentType: string, body: string, headers: HeaderPairs = [], close = false): void {
  res.cork(() => {
    res.writeStatus(statusLine(status));
    res.writeHeader('content-type', contentType);
    for (let i = 0; i < headers.length; i++) res.writeHeader(headers[i]![0], headers[i]![1]);
    res.end(body, close);
  });
}

export function writeJson(res: HttpResponse, status: number, value: unknown, headers: HeaderPairs = []): void {
  writeResponse(res, status, 'application/json', JSON.stringify(value), headers);
}

/** An OpenAI-shaped error response with the error's status. */
export function writeError(res: HttpResponse, err: LocalRouterError | PlainError, headers: HeaderPairs = [], close = false): void {
  if (err.upstreamBody !== undefined) {
    writeResponse(res, err.status, 'application/json', err.upstreamBody, headers, close);
    return;
  }
  writeResponse(res, err.status, 'application/json', openAIErrorBody(err), headers, close);
}

/** How long a client may take to send a whole request body, unless the caller says otherwise. */
export const DEFAULT_BODY_TIMEOUT_MS = 60_000;

interface PendingBody {
  deadline: number;
  expire(): void;
}

/**
 * Bodies still arriving after their first chunk (most arrive whole in one). One sweep a second
 * instead of one timer per request: a deadline of a few tens of seconds needs no finer clock.
 */
const pendingBodies = new Set<PendingBody>();
let sweeper: NodeJS.Timeout | null = null;

function watchBody(entry: PendingBody): void {
  pendingBodies.add(entry);
  if (sweeper !== null) return;
  sweeper = setInterval(() => {
    const now = Date.now();
    for (const p of pendingBodies) if (p.deadline <= now) { pendingBodies.delete(p); p.expire(); }
    if (pendingBodies.size === 0 && sweeper !== null) { clearInterval(sweeper); sweeper = null; }
  }, 1_000);
  sweeper.unref();
}

/**
 * Reads the request body up to `limit` bytes within `timeoutMs`. Calls `done` once with the body, or
 * with an error: 413 as soon as the limit is passed, 408 when the body is still incomplete at the
 * deadline (a client dripping bytes must not hold a connection forever); later data is ignored.
 */
export function readBody(res: HttpResponse, limit: number, done: (err: LocalRouterError | null, body: Buffer | null) => void,
  timeoutMs = DEFAULT_BODY_TIMEOUT_MS): void {
  let parts: Buffer[] | null = [];
  let size = 0;
  let watch: PendingBody | null = null;
  const finish = (err: LocalRouterError | null, body: Buffer | null): void => {
    parts = null;
    if (watch !== null) pendingBodies.delete(watch);
    done(err, body);
  };
  res.onData((chunk, isLast) => {
    if (parts === null) return;
    size += chunk.byteLength;
    if (size > limit) {
      finish(new LocalRouterError('LR_ERR_BODY_TOO_LARGE', `request body is over the limit of ${limit} bytes`), null);
      return;
    }
    // uWS neuters the ArrayBuffer after the callback: copy it.
    if (isLast) {
      finish(null, parts.length === 0 ? Buffer.from(new Uint8Array(chunk)) : Buffer.concat([...parts, Buffer.from(new Uint8Array(chunk))]));
    } else {
      parts.push(Buffer.from(new Uint8Array(chunk)));
      if (watch === null) {
        watch = {
          deadline: Date.now() + timeoutMs,
          expire: () => {
            if (parts !== null) finish(new LocalRouterError('LR_ERR_REQUEST_TIMEOUT', `request body not received within ${Math.round(timeoutMs / 1000)} s`), null);
          },
        };
        watchBody(watch);
      }
    }
  });
}

/**
 * Refuses bodies whose length the peers could read differently (request smuggling): several
 * `Content-Length` headers that disagree, or `Content-Length` together with `Transfer-Encoding`.
 */
export function checkBodyFraming(req: HttpRequest): void {
  let lengths = 0;
  let first = '';
  let conflict = false;
  let chunked = false;
  req.forEach((key, value) => {
    if (key === 'content-length') {
      if (lengths++ === 0) first = value;
      else if (value !== first) conflict = true;
    } else if (key === 'transfer-encoding') {
      chunked = true;
    }
  });
  if (conflict) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'conflicting Content-Length headers');
  if (chunked && lengths > 0) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'both Content-Length and Transfer-Encoding are set; send one');
}
