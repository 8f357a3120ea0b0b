import { createSseState, endSse, feedSse, type SseEvent } from '../providers/index.js';

/**
 * `_meta` key the gateway adds to a server-to-client message that arrived on the response stream of
 * one of its own requests upstream; the value is that request's JSON-RPC id. Stripped before the
 * message goes anywhere else.
 */
export const RELATED_META_KEY = 'localrouter/related-request';

/**
 * A `fetch` for the SDK's Streamable HTTP client transport. The transport hands every SSE message to
 * one `onmessage` with no hint of the POST it came on, so a sampling request or a log line sent while
 * a shared upstream serves two client sessions could not be told apart. This wrapper knows the POST's
 * JSON-RPC id and stamps it into the `_meta` of each request and notification on that stream.
 */
export async function annotatingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, init);
  if (init?.method !== 'POST' || typeof init.body !== 'string' || response.body === null) return response;
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) return response;
  const id = requestIdOf(init.body);
  if (id === undefined) return response;
  return new Response(annotateStream(response.body, id), { status: response.status, statusText: response.statusText, headers: response.headers });
}

function requestIdOf(body: string): string | number | undefined {
  try {
    const msg = JSON.parse(body) as { id?: unknown; method?: unknown };
    return typeof msg.method === 'string' && (typeof msg.id === 'string' || typeof msg.id === 'number') ? msg.id : undefined;
  } catch {
    return undefined;
  }
}

/** Re-emits the SSE stream, with server requests and notifications (other than progress) stamped. */
export function annotateStream(body: ReadableStream<Uint8Array>, id: string | number): ReadableStream<Uint8Array> {
  const state = createSseState();
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let out = '';
  const onEvent = (ev: SseEvent): void => { out += stamp(ev, id); };
  return body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      feedSse(state, decoder.decode(chunk, { stream: true }), onEvent);
      if (out.length > 0) {
        controller.enqueue(encoder.encode(out));
        out = '';
      }
    },
    flush(controller) {
      endSse(state, onEvent);
      if (out.length > 0) controller.enqueue(encoder.encode(out));
    },
  }));
}

function stamp(ev: SseEvent, id: string | number): string {
  if (ev.data === null || ev.data.length === 0 || (ev.event !== null && ev.event !== 'message')) return ev.raw;
  let msg: { method?: unknown; params?: Record<string, unknown> };
  try {
    msg = JSON.parse(ev.data) as typeof msg;
  } catch {
    return ev.raw;
  }
  if (typeof msg.method !== 'string' || msg.method === 'notifications/progress') return ev.raw;
  const params = msg.params ?? {};
  msg.params = { ...params, _meta: { ...(params._meta as Record<string, unknown> | undefined), [RELATED_META_KEY]: id } };
  // Keep the event's other fields (id:, retry:) so resumption still works.
  const kept = ev.raw.split(/\r\n|\r|\n/).filter((line) => line.length > 0 && !line.startsWith('data:'));
  return `${[...kept, `data: ${JSON.stringify(msg)}`].join('\n')}\n\n`;
}

/** Removes the stamp from a message's params (in place) and returns the related id, if any. */
export function takeRelated(params: Record<string, unknown> | undefined): string | number | undefined {
  const meta = params?._meta as Record<string, unknown> | undefined;
  if (meta === undefined || !(RELATED_META_KEY in meta)) return undefined;
  const id = meta[RELATED_META_KEY] as string | number;
  delete meta[RELATED_META_KEY];
  if (Object.keys(meta).length === 0) delete params!._meta;
  return id;
}
