import { STATUS_CODES } from 'node:http';
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { LocalRouterError, openAIErrorBody, type PlainError } from '../errors/index.js';
import { LiveSet } from '../model/index.js';

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
  /** Epoch ms; a drain moves it forward while data keeps coming. */
  deadline: number;
  expire(): void;
  /** Its slot in `pendingBodies`. */
  slot: number;
}

/**
 * Bodies still arriving after their first chunk (most arrive whole in one). One sweep a second
 * instead of one timer per request: a deadline of a few tens of seconds needs no finer clock.
 */
const pendingBodies = new LiveSet<PendingBody>();
let sweeper: NodeJS.Timeout | null = null;

function watchBody(timeoutMs: number, expire: () => void): PendingBody {
  const entry: PendingBody = { deadline: Date.now() + timeoutMs, expire, slot: -1 };
  entry.slot = pendingBodies.add(entry);
  startSweeper();
  return entry;
}

function unwatchBody(entry: PendingBody): void {
  pendingBodies.delete(entry.slot, entry);
}

function startSweeper(): void {
  if (sweeper !== null) return;
  sweeper = setInterval(() => {
    const now = Date.now();
    for (const p of pendingBodies) if (p.deadline <= now) { unwatchBody(p); p.expire(); }
    if (pendingBodies.size === 0 && sweeper !== null) { clearInterval(sweeper); sweeper = null; }
  }, 1_000);
  sweeper.unref();
}

/**
 * How much of an oversized or refused body is read and thrown away before the answer is sent. A
 * server that answers and closes while the client is still sending makes the kernel reset the
 * connection, and most clients (Node's fetch among them) then report a broken pipe instead of the
 * answer; past this much, the answer is sent anyway.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;
/** A refused body that stops arriving for this long is not waited for any longer. */
const DRAIN_IDLE_MS = 2_000;

/**
 * Reads and drops the rest of a refused body; `done` runs once: at the body's end, past
 * `DRAIN_LIMIT_BYTES`, or `DRAIN_IDLE_MS` after the last chunk (never later than `until`).
 */
function dropRest(until: number, done: () => void): { chunk(bytes: number, isLast: boolean): void; cancel(): void } {
  let size = 0;
  let settled = false;
  const finish = (): void => {
    if (settled) return;
    settled = true;
    unwatchBody(watch);
    done();
  };
  const watch = watchBody(until - Date.now(), finish);
  const extend = (): void => { watch.deadline = Math.min(until, Date.now() + DRAIN_IDLE_MS); };
  extend();
  return {
    chunk(bytes, isLast) {
      if (settled) return;
      size += bytes;
      if (isLast || size > DRAIN_LIMIT_BYTES) finish();
      else extend();
    },
    cancel() {
      settled = true;
      unwatchBody(watch);
    },
  };
}

/** The largest `Content-Length` a body buffer is made for up front (a claim, until the bytes come). */
const PRESIZE_MAX_BYTES = 16 * 1024 * 1024;
/**
 * From this size on a body gets a buffer of its own with `BODY_SPARE_BYTES` to spare after it, so
 * the few members the gateway changes can be spliced in where it lies (see the LLM path) instead of
 * into new memory (the LLM path lends it, see src/providers/body-pool.ts). Smaller ones get
 * `Buffer.allocUnsafe` (Node's shared pool below 4 KB). At least `Buffer.poolSize`, so an own
 * buffer is never a slice of that shared pool.
 */
export const OWN_BODY_BUFFER_BYTES = 8 * 1024;
const BODY_SPARE_BYTES = 4096;

/**
 * Reads the request body up to `limit` bytes within `timeoutMs`. Calls `done` once with the body, or
 * with an error: 413 when the body passes the limit (sent once the rest has been read and dropped, up
 * to a bound, so the client can read it), 408 when the body is still incomplete at the deadline (a
 * client dripping bytes must not hold a connection forever). `contentLength` (the request's
 * `Content-Length`, 0 when absent) sizes one buffer, made when the first chunk arrives, that the
 * chunks are copied into; a body without one, longer than it said, or past `PRESIZE_MAX_BYTES` is
 * gathered in parts. `ownBuffer` makes the buffer of a body of `OWN_BODY_BUFFER_BYTES` or more (it
 * may be longer than asked; the body is a view of its start).
 */
export function readBody(res: HttpResponse, limit: number, done: (err: LocalRouterError | null, body: Buffer | null) => void,
  timeoutMs = DEFAULT_BODY_TIMEOUT_MS, contentLength = 0, ownBuffer: (bytes: number) => Buffer = Buffer.allocUnsafeSlow): void {
  const until = Date.now() + timeoutMs;
  let parts: Buffer[] = [];
  const presize = contentLength > 0 && contentLength <= limit && contentLength <= PRESIZE_MAX_BYTES ? contentLength : 0;
  let whole: Buffer | null = null;
  let size = 0;
  let settled = false;
  let timeout: PendingBody | null = null;
  let drain: ReturnType<typeof dropRest> | null = null;
  const finish = (err: LocalRouterError | null, body: Buffer | null): void => {
    if (settled) return;
    settled = true;
    parts = [];
    whole = null;
    if (timeout !== null) unwatchBody(timeout);
    done(err, body);
  };
  res.onData((chunk, isLast) => {
    if (drain !== null) return drain.chunk(chunk.byteLength, isLast);
    if (settled) return;
    const at = size;
    size += chunk.byteLength;
    if (size > limit) {
      // From here on the body only has to be read to its end: the deadline is the drain's.
      if (timeout !== null) unwatchBody(timeout);
      const over = new LocalRouterError('LR_ERR_BODY_TOO_LARGE', `request body is over the limit of ${limit} bytes`);
      parts = [];
      whole = null;
      drain = dropRest(until, () => finish(over, null));
      drain.chunk(0, isLast);
      return;
    }
    // uWS neuters the ArrayBuffer after the callback: copy it.
    if (at === 0 && presize > 0) whole = presize >= OWN_BODY_BUFFER_BYTES ? ownBuffer(presize + BODY_SPARE_BYTES) : Buffer.allocUnsafe(presize);
    if (whole !== null && size <= presize) {
      whole.set(new Uint8Array(chunk), at);
      if (isLast) finish(null, size === whole.length ? whole : whole.subarray(0, size));
      else timeout ??= watchBody(timeoutMs, () => finish(new LocalRouterError('LR_ERR_REQUEST_TIMEOUT', `request body not received within ${Math.round(timeoutMs / 1000)} s`), null));
      return;
    }
    if (whole !== null) {
      // Longer than it said: what came so far becomes the first part.
      parts.push(whole.subarray(0, at));
      whole = null;
    }
    if (isLast) {
      finish(null, parts.length === 0 ? Buffer.from(new Uint8Array(chunk)) : Buffer.concat([...parts, Buffer.from(new Uint8Array(chunk))]));
    } else {
      parts.push(Buffer.from(new Uint8Array(chunk)));
      timeout ??= watchBody(timeoutMs, () => finish(new LocalRouterError('LR_ERR_REQUEST_TIMEOUT', `request body not received within ${Math.round(timeoutMs / 1000)} s`), null));
    }
  });
}

/**
 * Answers a request refused before its body was read: the body still arriving is read and dropped
 * first (up to a bound and a deadline), then `answer` runs, which should close the connection.
 */
export function answerAfterBody(res: HttpResponse, contentLength: number, answer: () => void, timeoutMs = DEFAULT_BODY_TIMEOUT_MS): void {
  if (contentLength <= 0) {
    answer();
    return;
  }
  const drain = dropRest(Date.now() + timeoutMs, answer);
  res.onAborted(() => drain.cancel());
  res.onData((chunk, isLast) => drain.chunk(chunk.byteLength, isLast));
}

/**
 * Why a request's head is unsafe to serve, or null: a body length the peers could read differently
 * (several `Content-Length` headers that disagree, or one together with `Transfer-Encoding`: request
 * smuggling), or several `Host` headers (RFC 9112 requires a 400). One pass over the headers.
 */
export function requestHeadProblem(req: HttpRequest): string | null {
  let lengths = 0;
  let firstLength = '';
  let conflict = false;
  let chunked = false;
  let hosts = 0;
  req.forEach((key, value) => {
    if (key === 'content-length') {
      if (lengths++ === 0) firstLength = value;
      else if (value !== firstLength) conflict = true;
    } else if (key === 'host') {
      hosts++;
    } else if (key === 'transfer-encoding') {
      chunked = true;
    }
  });
  if (conflict) return 'conflicting Content-Length headers';
  if (chunked && lengths > 0) return 'both Content-Length and Transfer-Encoding are set; send one';
  if (hosts > 1) return 'more than one Host header';
  return null;
}

/**
 * Answers a request whose framing cannot be trusted with 400 and closes the connection. The answer
 * waits one turn: bytes the client sent after this request (a smuggled one) are already parsed by
 * uWS, which then closes a connection that still has a request unanswered, so the smuggled request
 * is never served and never gets a response of its own.
 */
export function refuseUnsafeRequest(res: HttpResponse, reason: string, headers: HeaderPairs): void {
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  setImmediate(() => {
    if (!aborted) writeError(res, new LocalRouterError('LR_ERR_BAD_REQUEST', reason), headers, true);
  });
}
