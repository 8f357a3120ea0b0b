import { createSseState, endSse, feedSse, type SseEvent } from '../model/index.js';
import { stamp } from './annotate-related.js';

/**
 * Request header by which a modern upstream's request names the client call it serves (a random
 * id the `ModernUpstream` hands out). It never leaves the gateway: `callTaggingFetch` takes it off.
 */
export const CALL_TAG_HEADER = 'x-localrouter-call-tag';

type FetchFn = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The `fetch` of the v2 client's transport to a 2026-07-28 server. In that revision a server's
 * notifications about a request (its log lines) come only on that request's response stream, but
 * the SDK's transport hands every message to one `onmessage` with no hint of the stream it came
 * on. A POST tagged with `CALL_TAG_HEADER` has its SSE answer re-emitted with each notification
 * (progress apart, which carries its own token) stamped with the tag (see `stamp`), so the
 * notification handler can tell which client call it belongs to. The tag is removed before the
 * request is sent; untagged requests and non-SSE answers pass unchanged.
 */
export function callTaggingFetch(inner: FetchFn): FetchFn {
  return async (url, init) => {
    if (init?.method !== 'POST' || init.headers === undefined) return inner(url, init);
    const headers = new Headers(init.headers);
    const tag = headers.get(CALL_TAG_HEADER);
    if (tag === null) return inner(url, init);
    headers.delete(CALL_TAG_HEADER);
    const res = await inner(url, { ...init, headers });
    if (res.status !== 200 || res.body === null || essence(res.headers.get('content-type')) !== 'text/event-stream') return res;
    return new Response(stampedStream(res.body, tag), { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

/** `body` (an SSE stream) with every server message on it stamped with `tag`. */
function stampedStream(body: ReadableStream<Uint8Array>, tag: string): ReadableStream<Uint8Array> {
  const state = createSseState();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  const stamped = (c: TransformStreamDefaultController<Uint8Array>) => (ev: SseEvent): void => c.enqueue(encoder.encode(stamp(ev, tag)));
  return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      feedSse(state, decoder.decode(chunk, { stream: true }), stamped(c));
    },
    flush(c) {
      feedSse(state, decoder.decode(), stamped(c));
      endSse(state, stamped(c));
    },
  }));
}

function essence(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}
