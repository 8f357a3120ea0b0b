import type { SseEvent } from '../model/index.js';

/**
 * `_meta` key the gateway adds to a server-to-client message that arrived on the response stream of
 * one of its own requests upstream; the value is that request's JSON-RPC id. Stripped before the
 * message goes anywhere else.
 */
export const RELATED_META_KEY = 'localrouter/related-request';

/**
 * One SSE event of an upstream's POST stream, re-emitted with requests and notifications (other than
 * progress, which carries its own token) stamped with the POST's JSON-RPC id. The SDK's Streamable
 * HTTP transport hands every message to one `onmessage` with no hint of the POST it came on, so a
 * sampling request or a log line sent while a shared upstream serves two client sessions could not
 * be told apart otherwise.
 */
export function stamp(ev: SseEvent, id: string | number): string {
  if (ev.data === null || ev.data.length === 0 || (ev.event !== null && ev.event !== 'message')) return ev.raw;
  let parsed: unknown;
  try {
    parsed = JSON.parse(ev.data);
  } catch {
    return ev.raw;
  }
  // Only a JSON-RPC message (an object) is stamped; anything else the server sent (`null`, a
  // number, an array) is passed on for the SDK to judge.
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return ev.raw;
  const msg = parsed as { method?: unknown; params?: unknown };
  if (typeof msg.method !== 'string' || msg.method === 'notifications/progress') return ev.raw;
  const params = msg.params ?? {};
  if (typeof params !== 'object' || params === null || Array.isArray(params)) return ev.raw;
  const meta = (params as { _meta?: unknown })._meta;
  if (meta !== undefined && (typeof meta !== 'object' || meta === null || Array.isArray(meta))) return ev.raw;
  msg.params = { ...params, _meta: { ...meta, [RELATED_META_KEY]: id } };
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
