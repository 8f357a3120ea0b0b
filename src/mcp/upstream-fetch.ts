import { StringDecoder } from 'node:string_decoder';
import { Agent, request, type Dispatcher } from 'undici';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createSseState, endSse, feedSse, type SseEvent } from '../model/index.js';
import { stamp } from './annotate-related.js';

/** One keep-alive pool per actor thread for every Streamable HTTP upstream. */
const agent = new Agent({ keepAliveTimeout: 30_000 });
const SSE = 'text/event-stream';

/**
 * The `fetch` given to the SDK's Streamable HTTP client transport. POSTs (every request and
 * notification upstream) go through undici's `request` instead of the WHATWG `fetch`: no web
 * streams per call, and no abort listener left on the transport's long-lived signal per request
 * (Node 20's `fetch` removes them only at GC, and each add scans the list). GET (the server's own
 * stream) and DELETE keep the global `fetch`.
 *
 * A POST answered with an SSE stream is read here: while it carries only responses it is collected
 * and handed to the SDK as one JSON body as soon as every request of the POST has its response
 * (most tool calls: one event); the first request or notification on it (progress, logs, sampling)
 * turns it into a live SSE body, each such message stamped with the POST's request id (see
 * `stamp`). A message that arrives after the responses is passed to `late`.
 */
export function createUpstreamFetch(late: (message: JSONRPCMessage) => void): typeof fetch {
  return (async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (init?.method !== 'POST' || typeof init.body !== 'string' || input instanceof Request) return fetch(input, init);
    const res = await request(String(input), {
      method: 'POST', headers: plainHeaders(init.headers), body: init.body, signal: init.signal ?? undefined, dispatcher: agent,
    });
    const headers = responseHeaders(res.headers);
    const id = res.statusCode === 200 && essence(headers.get('content-type')) === SSE ? requestIdOf(init.body) : undefined;
    if (id === undefined) {
      if (essence(headers.get('content-type')) === SSE) return new Response(sseBody(res.body, null), { status: res.statusCode, headers });
      return bufferedResponse(await res.body.text(), res.statusCode, headers);
    }
    return collect(res.body, id, headers, late);
  }) as typeof fetch;
}

/** A response whose body was already read: the SDK's `json()` and `text()` cost one parse and no stream. */
function bufferedResponse(text: string, status: number, headers: Headers): Response {
  const res = new Response(null, { status, headers });
  Object.defineProperties(res, {
    text: { value: () => Promise.resolve(text) },
    json: { value: () => new Promise((resolve) => { resolve(JSON.parse(text)); }) },
  });
  return res;
}

function collect(body: Dispatcher.ResponseData['body'], id: string | number, headers: Headers, late: (m: JSONRPCMessage) => void): Promise<Response> {
  return new Promise((resolve, reject) => {
    const state = createSseState();
    /** Raw events so far (for a switch to a live stream), and the responses' JSON texts. */
    let raws: string[] = [];
    const responses: string[] = [];
    let mode: 'collect' | 'live' | 'after' = 'collect';
    let push: ((text: string) => void) | null = null;
    const onEvent = (ev: SseEvent): void => {
      if (mode === 'live') return push!(stamp(ev, id));
      const msg = messageOf(ev);
      if (mode === 'after') {
        if (msg) late(msg);
        return;
      }
      if (msg === undefined || msg === null && ev.data !== null && ev.data.length > 0 || msg !== null && 'method' in msg) {
        // A server message (or one the SDK should judge): from here on the SDK reads the stream itself.
        mode = 'live';
        const stream = new ReadableStream<Uint8Array>({
          start(c) {
            const enc = new TextEncoder();
            push = (text) => c.enqueue(enc.encode(text));
            for (const r of raws) push(r);
            push(stamp(ev, id));
            body.on('end', () => { try { c.close(); } catch { /* cancelled */ } });
            body.on('error', (err) => { try { c.error(err); } catch { /* cancelled */ } });
          },
          cancel() { body.destroy(); },
        });
        raws = [];
        resolve(new Response(stream, { status: 200, headers }));
        return;
      }
      raws.push(ev.raw);
      if (msg === null) return; // a priming event or a comment
      responses.push(ev.data!);
      if ('id' in msg && msg.id === id) {
        mode = 'after';
        headers.set('content-type', 'application/json');
        resolve(bufferedResponse(responses.length === 1 ? responses[0]! : `[${responses.join(',')}]`, 200, headers));
      }
    };
    // undici's body ignores setEncoding: decode here (a chunk may end inside a character).
    const dec = new StringDecoder('utf8');
    body.on('data', (chunk: Buffer) => feedSse(state, dec.write(chunk), onEvent));
    body.on('end', () => {
      endSse(state, onEvent);
      if (mode === 'collect') {
        // The stream ended without our response: hand the SDK what came, as the stream it was.
        resolve(new Response(raws.join(''), { status: 200, headers }));
      }
    });
    body.on('error', (err) => { if (mode === 'collect') reject(err); });
  });
}

/** The message of an event: null for events without data (priming, keep-alive), undefined when it is not JSON. */
function messageOf(ev: SseEvent): JSONRPCMessage | null | undefined {
  if (ev.data === null || ev.data.length === 0 || (ev.event !== null && ev.event !== 'message')) return null;
  try {
    const msg = JSON.parse(ev.data) as unknown;
    return typeof msg === 'object' && msg !== null && !Array.isArray(msg) ? msg as JSONRPCMessage : undefined;
  } catch {
    return undefined;
  }
}

/** A live SSE body for the SDK, stamped when the POST was a request. */
function sseBody(body: Dispatcher.ResponseData['body'], id: string | number | null): ReadableStream<Uint8Array> {
  const state = createSseState();
  return new ReadableStream<Uint8Array>({
    start(c) {
      const enc = new TextEncoder();
      const dec = new StringDecoder('utf8');
      body.on('data', (chunk: Buffer) => feedSse(state, dec.write(chunk), (ev) => c.enqueue(enc.encode(id === null ? ev.raw : stamp(ev, id)))));
      body.on('end', () => {
        endSse(state, (ev) => c.enqueue(enc.encode(id === null ? ev.raw : stamp(ev, id))));
        try { c.close(); } catch { /* cancelled */ }
      });
      body.on('error', (err) => { try { c.error(err); } catch { /* cancelled */ } });
    },
    cancel() { body.destroy(); },
  });
}

/**
 * The JSON-RPC id of a POSTed request (undefined for a notification or a response). The SDK
 * serializes `{ ...request, jsonrpc, id }`, so the last member says: read from the tail, parsing the
 * whole body (which may hold large arguments) only when the tail does not say.
 */
export function requestIdOf(body: string): string | number | undefined {
  if (body.startsWith('{"method":')) {
    if (body.endsWith(',"jsonrpc":"2.0"}')) return undefined;
    const m = /,"id":(-?\d{1,15}|"(?:[^"\\]|\\.){0,200}")\}$/.exec(body.slice(-240));
    if (m !== null) return m[1]!.startsWith('"') ? JSON.parse(m[1]!) as string : Number(m[1]);
  }
  try {
    const msg = JSON.parse(body) as { id?: unknown; method?: unknown };
    return typeof msg.method === 'string' && (typeof msg.id === 'string' || typeof msg.id === 'number') ? msg.id : undefined;
  } catch {
    return undefined;
  }
}

function plainHeaders(h: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  if (h instanceof Headers) h.forEach((v, k) => { out[k] = v; });
  else if (Array.isArray(h)) for (const [k, v] of h) out[k!.toLowerCase()] = v!;
  else for (const k of Object.keys(h)) out[k.toLowerCase()] = (h as Record<string, string>)[k]!;
  return out;
}

function responseHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const h = new Headers();
  for (const k of Object.keys(raw)) {
    const v = raw[k];
    if (typeof v === 'string') h.append(k, v);
    else if (v !== undefined) for (const x of v) h.append(k, x);
  }
  return h;
}

function essence(contentType: string | null): string {
  return (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
}
