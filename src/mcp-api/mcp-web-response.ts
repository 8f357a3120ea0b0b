import type { HttpResponse } from 'uWebSockets.js';
import { statusLine, type HeaderPairs } from '../ingress/index.js';

/** What a streamed answer needs to know about its client connection. */
export interface ResponseSink {
  readonly aborted: boolean;
  /** Called once when the client goes away while the body is still being written. */
  onAbort(cancel: () => void): void;
}

/**
 * Writes a WHATWG `Response` (what the MCP SDK's web-standard transport answers with) to a uWS
 * response: status and headers in one cork, then the body chunk by chunk. A chunk uWS cannot take
 * at once waits for `onWritable` (backpressure); a client that goes away cancels the body stream,
 * which is how the SDK transport learns a stream is gone. Resolves when the response has ended.
 */
export async function writeWebResponse(res: HttpResponse, response: Response, extra: HeaderPairs, sink: ResponseSink): Promise<void> {
  if (sink.aborted) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const body = response.body;
  res.cork(() => {
    res.writeStatus(statusLine(response.status));
    response.headers.forEach((value, key) => {
      // uWS writes its own length and connection handling.
      if (key !== 'content-length' && key !== 'connection') res.writeHeader(key, value);
    });
    for (const [k, v] of extra) res.writeHeader(k, v);
    if (body === null) res.end();
  });
  if (body === null) return;
  const reader = body.getReader();
  // A wait for `onWritable` also ends when the client goes away: one registration serves every wait.
  let wake: (() => void) | null = null;
  sink.onAbort(() => {
    void reader.cancel().catch(() => undefined);
    wake?.();
  });
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (sink.aborted) return;
      if (done) {
        res.cork(() => res.end());
        return;
      }
      let ok = true;
      res.cork(() => { ok = res.write(value); });
      if (!ok) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          drained(res, sink, resolve);
        });
        wake = null;
      }
    }
  } catch {
    if (!sink.aborted) res.cork(() => res.end());
  }
}

/** Calls `resolve` when uWS can take more (or at once for a client already gone). */
function drained(res: HttpResponse, sink: ResponseSink, resolve: () => void): void {
  res.onWritable(() => {
    resolve();
    return true;
  });
  if (sink.aborted) resolve();
}
