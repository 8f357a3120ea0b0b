import { STATUS_CODES } from 'node:http';
import type { HttpResponse } from 'uWebSockets.js';
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

/**
 * Reads the request body up to `limit` bytes. Calls `done` once with the body, or with an error
 * (413) as soon as the limit is passed; later data is ignored.
 */
export function readBody(res: HttpResponse, limit: number, done: (err: LocalRouterError | null, body: Buffer | null) => void): void {
  let parts: Buffer[] | null = [];
  let size = 0;
  res.onData((chunk, isLast) => {
    if (parts === null) return;
    size += chunk.byteLength;
    if (size > limit) {
      parts = null;
      done(new LocalRouterError('LR_ERR_BODY_TOO_LARGE', `request body is over the limit of ${limit} bytes`), null);
      return;
    }
    // uWS neuters the ArrayBuffer after the callback: copy it.
    if (isLast) {
      const body = parts.length === 0 ? Buffer.from(new Uint8Array(chunk)) : Buffer.concat([...parts, Buffer.from(new Uint8Array(chunk))]);
      parts = null;
      done(null, body);
    } else {
      parts.push(Buffer.from(new Uint8Array(chunk)));
    }
  });
}
