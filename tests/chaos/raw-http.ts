/**
 * A raw HTTP/1.1 client over net.Socket for the chaos suite: it sends exactly the bytes it is given
 * (malformed requests, pipelines, conflicting framing, slow writes) and parses what comes back
 * without any leniency, so an injected header, a second response or a hung connection is seen as it is.
 */
import net from 'node:net';

export interface RawResponse {
  statusLine: string;
  status: number;
  /** Header lines in order, names lowercased, values trimmed. */
  headers: [string, string][];
  /** Bytes of the status line and headers, final CRLF CRLF included. */
  headBytes: number;
  /** The body with chunked framing removed. */
  body: Buffer;
  framing: 'length' | 'chunked' | 'close' | 'none';
  /** The body ended as its framing says (last chunk, Content-Length reached, or close for `close`). */
  complete: boolean;
  /** Problems of the head itself (folded lines, lines without a colon, conflicting Content-Length). */
  headProblems: string[];
  /** ms from the start of the exchange to the first byte and to the end of this response. */
  firstByteMs: number;
  doneMs: number;
}

type State = 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer' | 'close' | 'junk';

/** Incremental parser of a sequence of HTTP/1.1 responses on one connection. */
export class ResponseParser {
  readonly responses: RawResponse[] = [];
  /** The response being received (head parsed, body not complete). */
  current: RawResponse | null = null;
  /** Bytes that are not part of any valid response (after a malformed head, or after a complete one that cannot start another). */
  junk: Buffer[] = [];
  junkBytes = 0;
  #state: State = 'head';
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #parts: Buffer[] = [];
  #now: () => number;
  #headStartMs = -1;

  constructor(now: () => number) {
    this.#now = now;
  }

  /** Some byte of an answer arrived. */
  get started(): boolean {
    return this.responses.length > 0 || this.current !== null || this.#pending.length > 0 || this.junkBytes > 0;
  }

  get idle(): boolean {
    return this.#state === 'head' && this.#pending.length === 0 && this.current === null;
  }

  push(chunk: Buffer): void {
    if (this.#state === 'junk') return this.#addJunk(chunk);
    if (this.#state === 'close') {
      this.#parts.push(chunk);
      return;
    }
    this.#pending = this.#pending.length === 0 ? chunk : Buffer.concat([this.#pending, chunk]);
    this.#parse();
  }

  /** The server closed the connection. */
  end(): void {
    if (this.#state === 'close' && this.current) {
      this.current.body = Buffer.concat(this.#parts);
      this.current.complete = true;
      this.#complete();
    } else if (this.current) {
      this.current.body = Buffer.concat(this.#parts);
    } else if (this.#pending.length > 0 && this.#state === 'head') {
      this.#addJunk(this.#pending);
      this.#pending = Buffer.alloc(0);
    }
  }

  #addJunk(b: Buffer): void {
    this.junkBytes += b.length;
    if (this.junk.reduce((n, x) => n + x.length, 0) < 4096) this.junk.push(b.subarray(0, 4096));
  }

  #parse(): void {
    for (;;) {
      const buf = this.#pending;
      if (buf.length === 0) return;
      switch (this.#state) {
        case 'head': {
          if (this.#headStartMs < 0) this.#headStartMs = this.#now();
          const end = buf.indexOf('\r\n\r\n');
          if (end === -1) {
            if (buf.length > 1024 * 1024) this.#toJunk();
            // A head starts with "HTTP/": anything else cannot become a response.
            else if (buf.length >= 5 && buf.subarray(0, 5).toString('latin1') !== 'HTTP/') this.#toJunk();
            return;
          }
          const head = buf.subarray(0, end).toString('latin1');
          this.#pending = buf.subarray(end + 4);
          if (!this.#startResponse(head, end + 4)) return;
          break;
        }
        case 'length': {
          const take = Math.min(this.#remaining, buf.length);
          this.#parts.push(buf.subarray(0, take));
          this.#remaining -= take;
          this.#pending = buf.subarray(take);
          if (this.#remaining === 0) this.#finishBody();
          break;
        }
        case 'chunk-size': {
          const eol = buf.indexOf('\r\n');
          if (eol === -1) {
            if (buf.length > 1024) this.#toJunk();
            return;
          }
          const line = buf.subarray(0, eol).toString('latin1');
          const size = parseInt(line.split(';')[0]!.trim(), 16);
          if (!/^[0-9a-fA-F]+/.test(line) || !Number.isFinite(size)) {
            this.current!.headProblems.push(`bad chunk size line ${JSON.stringify(line.slice(0, 40))}`);
            this.#toJunk();
            return;
          }
          this.#pending = buf.subarray(eol + 2);
          if (size === 0) this.#state = 'trailer';
          else {
            this.#remaining = size;
            this.#state = 'chunk-data';
          }
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.#remaining, buf.length);
          this.#parts.push(buf.subarray(0, take));
          this.#remaining -= take;
          this.#pending = buf.subarray(take);
          if (this.#remaining === 0) this.#state = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf': {
          if (buf.length < 2) return;
          if (buf[0] !== 13 || buf[1] !== 10) {
            this.current!.headProblems.push('chunk data not followed by CRLF');
            this.#toJunk();
            return;
          }
          this.#pending = buf.subarray(2);
          this.#state = 'chunk-size';
          break;
        }
        case 'trailer': {
          const eol = buf.indexOf('\r\n');
          if (eol === -1) return;
          this.#pending = buf.subarray(eol + 2);
          if (eol === 0) this.#finishBody();
          break;
        }
        case 'close':
          this.#parts.push(buf);
          this.#pending = Buffer.alloc(0);
          return;
        case 'junk':
          this.#addJunk(buf);
          this.#pending = Buffer.alloc(0);
          return;
      }
    }
  }

  #toJunk(): void {
    this.#state = 'junk';
    this.#addJunk(this.#pending);
    this.#pending = Buffer.alloc(0);
  }

  #startResponse(head: string, headBytes: number): boolean {
    const lines = head.split('\r\n');
    const statusLine = lines[0]!;
    const m = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(statusLine);
    if (!m) {
      this.#pending = Buffer.concat([Buffer.from(head + '\r\n\r\n', 'latin1'), this.#pending]);
      this.#toJunk();
      return false;
    }
    const headers: [string, string][] = [];
    const problems: string[] = [];
    for (const line of lines.slice(1)) {
      if (line.startsWith(' ') || line.startsWith('\t')) {
        problems.push(`folded header line ${JSON.stringify(line.slice(0, 60))}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) {
        problems.push(`header line without a name ${JSON.stringify(line.slice(0, 60))}`);
        continue;
      }
      headers.push([line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]);
    }
    const status = Number(m[1]);
    const t = this.#now();
    const res: RawResponse = {
      statusLine, status, headers, headBytes, body: Buffer.alloc(0), framing: 'none', complete: false, headProblems: problems,
      firstByteMs: this.#headStartMs, doneMs: t,
    };
    this.#headStartMs = -1;
    this.#parts = [];
    const te = headers.filter(([k]) => k === 'transfer-encoding').map(([, v]) => v.toLowerCase());
    const cls = [...new Set(headers.filter(([k]) => k === 'content-length').map(([, v]) => v))];
    if (cls.length > 1) problems.push(`conflicting Content-Length headers ${cls.join(', ')}`);
    if (te.length > 0 && cls.length > 0) problems.push('both Transfer-Encoding and Content-Length');
    if (status >= 100 && status < 200) {
      // Interim response: not counted; the real one follows.
      return true;
    }
    this.current = res;
    if (status === 204 || status === 304) {
      res.framing = 'none';
      res.complete = true;
      this.#complete();
    } else if (te.some((v) => v.includes('chunked'))) {
      res.framing = 'chunked';
      this.#state = 'chunk-size';
    } else if (cls.length > 0 && /^\d+$/.test(cls[0]!)) {
      res.framing = 'length';
      this.#remaining = Number(cls[0]);
      if (this.#remaining === 0) this.#finishBody();
      else this.#state = 'length';
    } else {
      res.framing = 'close';
      this.#state = 'close';
    }
    return true;
  }

  #finishBody(): void {
    const res = this.current!;
    res.body = Buffer.concat(this.#parts);
    res.complete = true;
    this.#complete();
  }

  #complete(): void {
    const res = this.current!;
    res.doneMs = this.#now();
    this.responses.push(res);
    this.current = null;
    this.#parts = [];
    this.#state = 'head';
  }

  /** The body received so far of the response still in progress. */
  partialBody(): Buffer {
    return Buffer.concat(this.#parts);
  }
}

/** One write of an exchange; `delayMs` is waited before it is written. */
export interface Write {
  data: Buffer | string;
  delayMs?: number;
}

const WRITE_PIECE = 64 * 1024;

export interface ExchangeOptions {
  port: number;
  writes: (Buffer | string | Write)[];
  /** Responses expected on this connection (default 1). */
  expect?: number;
  /** The exchange gives up (timedOut) after this long. */
  deadlineMs: number;
  /** After the expected responses, how long to keep listening for extra bytes (default 80 ms). */
  graceMs?: number;
  /** Keep writing even after the server started answering; default false: stop writing at its first byte. */
  writeAfterResponse?: boolean;
}

export interface ExchangeResult {
  responses: RawResponse[];
  /** A response whose head arrived but whose body did not complete before the close or the deadline. */
  partial: RawResponse | null;
  /** Bytes received that belong to no valid response. */
  junk: string;
  junkBytes: number;
  /** The server ended the connection (FIN or reset) before we did. */
  serverClosed: boolean;
  reset: boolean;
  timedOut: boolean;
  connectError: string | null;
  writeError: string | null;
  elapsedMs: number;
  /** ms at which the server closed, when it did. */
  closedAtMs: number | null;
}

/** Sends `writes` on a fresh loopback connection and collects every response until the expected ones, a close, or the deadline. */
export function exchange(opts: ExchangeOptions): Promise<ExchangeResult> {
  const expect = opts.expect ?? 1;
  const grace = opts.graceMs ?? 80;
  const t0 = performance.now();
  const now = (): number => performance.now() - t0;
  const parser = new ResponseParser(now);
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port: opts.port });
    socket.setNoDelay(true);
    let settled = false;
    let serverClosed = false;
    let reset = false;
    let timedOut = false;
    let connectError: string | null = null;
    let writeError: string | null = null;
    let closedAtMs: number | null = null;
    let graceTimer: NodeJS.Timeout | null = null;
    const timers: NodeJS.Timeout[] = [];
    const finish = (): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      if (graceTimer) clearTimeout(graceTimer);
      clearTimeout(deadline);
      socket.destroy();
      if (serverClosed) parser.end();
      let partial = parser.current;
      if (partial) partial = { ...partial, body: partial.body.length > 0 ? partial.body : parser.partialBody() };
      const junk = Buffer.concat(parser.junk);
      resolve({
        responses: parser.responses, partial, junk: junk.toString('latin1').slice(0, 400), junkBytes: parser.junkBytes,
        serverClosed, reset, timedOut, connectError, writeError, elapsedMs: now(), closedAtMs,
      });
    };
    const deadline = setTimeout(() => {
      timedOut = parser.responses.length < expect;
      finish();
    }, opts.deadlineMs);
    const check = (): void => {
      if (parser.responses.length >= expect && graceTimer === null) graceTimer = setTimeout(finish, grace);
    };
    socket.on('data', (chunk: Buffer) => {
      parser.push(chunk);
      check();
    });
    socket.on('end', () => {
      serverClosed = true;
      closedAtMs ??= now();
      finish();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET') {
        reset = true;
        serverClosed = true;
        closedAtMs ??= now();
        finish();
      } else if (err.code === 'EPIPE') {
        writeError = err.code;
      } else if (!socket.readyState || socket.connecting) {
        connectError = `${err.code ?? ''} ${err.message}`;
        finish();
      } else {
        writeError = `${err.code ?? ''} ${err.message}`;
      }
    });
    socket.on('close', () => {
      if (!settled) {
        serverClosed = true;
        closedAtMs ??= now();
        finish();
      }
    });
    socket.once('connect', () => {
      // Writes go out in order, large ones in 64 KiB pieces, and stop once the server starts
      // answering (as curl does): an early 413 must be readable, not lost to our own EPIPE.
      void (async () => {
        for (const w of opts.writes) {
          const write: Write = typeof w === 'string' || Buffer.isBuffer(w) ? { data: w } : w;
          if (write.delayMs) await new Promise((r) => { const tm = setTimeout(r, write.delayMs); timers.push(tm); });
          const data = typeof write.data === 'string' ? Buffer.from(write.data, 'utf8') : write.data;
          for (let off = 0; off < data.length || (off === 0 && data.length === 0); off += WRITE_PIECE) {
            if (settled || socket.destroyed || !socket.writable) return;
            if (!opts.writeAfterResponse && parser.started) return;
            await new Promise<void>((r) => socket.write(data.subarray(off, off + WRITE_PIECE), (err) => {
              if (err) writeError ??= (err as NodeJS.ErrnoException).code ?? err.message;
              r();
            }));
            if (data.length === 0) break;
          }
        }
      })();
    });
  });
}

/** A request as bytes: `method path HTTP/1.1`, the headers given (in order, as they are), and the body. */
export function rawRequest(method: string, path: string, headers: [string, string][], body?: Buffer | string): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, ...headers.map(([k, v]) => `${k}: ${v}`)];
  const head = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
  if (body === undefined) return head;
  return Buffer.concat([head, typeof body === 'string' ? Buffer.from(body, 'utf8') : body]);
}

/** `rawRequest` with Host, Content-Type and Content-Length filled in, plus `extra` headers. */
export function jsonRequest(port: number, method: string, path: string, body: Buffer | string | undefined, extra: [string, string][] = []): Buffer {
  const headers: [string, string][] = [['Host', `127.0.0.1:${port}`]];
  if (body !== undefined) {
    const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    headers.push(['Content-Type', 'application/json'], ['Content-Length', String(len)]);
  }
  return rawRequest(method, path, [...headers, ...extra], body);
}

export function header(res: RawResponse, name: string): string | undefined {
  return res.headers.find(([k]) => k === name)?.[1];
}
