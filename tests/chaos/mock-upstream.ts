/**
 * Chaos mock upstream: an OpenAI-compatible server on 127.0.0.1 whose answer is picked by the
 * upstream model name (what follows `provider/` in the client's model). Run as its own process:
 * `node --import tsx tests/chaos/mock-upstream.ts` prints `chaos-mock listening on <port>`
 * (CHAOS_MOCK_PORT picks the port, default 0 = any free one).
 *
 * Models (`stream: true` in the request body picks the SSE form where one exists):
 * - `ok` (and any model starting with `ok`): a normal chat completion (8 deltas when streamed, usage
 *   chunk if asked, `[DONE]`);
 * - `status-<code>[-ra-<value>]`: that HTTP status with an OpenAI error body; `-ra-<value>` adds
 *   `Retry-After: <value>` (`-ra-date` = an HTTP date in the year 2999);
 * - `reset-before`: the socket is reset before any byte; `reset-mid`: headers and part of the body,
 *   then a reset;
 * - `stall-headers`: nothing is ever sent; `stall-body`: headers, then silence; `stall-mid`: headers
 *   and two stream chunks, then silence (every stalled socket is destroyed after STALL_CAP_MS);
 * - `drip-<n>` / `drip-all`: the answer up to just before its first multi-byte UTF-8 character at
 *   once, then n bytes (or all the rest) one byte every 300 ms, so the drip splits multi-byte
 *   characters, then the rest at once;
 * - `garbage-sse`: a 200 event stream of non-JSON data lines, binary bytes and bad framing;
 * - `no-done`: content deltas, then the connection ends cleanly without finish_reason or `[DONE]`;
 * - `huge-event-<MB>`: one content delta of that many MB in a single event, then a normal end;
 * - `endless-event-<MB>`: one `data:` line of that many MB that never ends (no newline), then close;
 * - `html`: `200 text/html`; `truncated-json`: 200 application/json cut in the middle;
 * - `echo-401`, `echo-400-text`, `echo-500`: an error whose body (OpenAI shape, plain text, OpenAI
 *   shape) repeats the request's Authorization header, also echoed in an `x-echo-authorization` header;
 * - `nested-<depth>`: a 200 chat completion with an extra field nested `depth` arrays deep (or one
 *   stream chunk carrying it).
 * Anything else is a 404 in the OpenAI error shape. `GET /v1/models` lists a few ids; `GET
 * /__chaos/stats` returns the count of chat requests per model.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { MOCK_CONTENT } from './shared.js';

const STALL_CAP_MS = 60_000;
const DRIP_MS = 300;
const DELTAS = 8;
const USAGE = { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 };

const stats = new Map<string, number>();
const sockets = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();

function later(ms: number, fn: () => void): void {
  const t = setTimeout(() => { timers.delete(t); fn(); }, ms);
  timers.add(t);
}

function openAIError(status: number, message: string, code: string | null = null): string {
  const type = status === 429 ? 'rate_limit_error' : status >= 500 ? 'server_error' : 'invalid_request_error';
  return JSON.stringify({ error: { message, type, param: null, code } });
}

function completion(model: string, content: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    id: 'chatcmpl-chaos', object: 'chat.completion', created: 1_700_000_000, model,
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: USAGE, ...extra,
  });
}

function chunk(model: string, delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'chatcmpl-chaos', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** Content deltas of MOCK_CONTENT (split on characters, never inside one). */
function deltaEvents(model: string): string[] {
  const chars = [...MOCK_CONTENT];
  const per = Math.ceil(chars.length / DELTAS);
  const out = [chunk(model, { role: 'assistant', content: '' })];
  for (let i = 0; i < chars.length; i += per) out.push(chunk(model, { content: chars.slice(i, i + per).join('') }));
  return out;
}

function streamBody(model: string, includeUsage: boolean): string {
  let s = deltaEvents(model).join('') + chunk(model, {}, 'stop');
  if (includeUsage) s += `data: ${JSON.stringify({ id: 'chatcmpl-chaos', object: 'chat.completion.chunk', created: 1_700_000_000, model, choices: [], usage: USAGE })}\n\n`;
  return s + 'data: [DONE]\n\n';
}

const SSE = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
const JSON_CT = { 'content-type': 'application/json' };

function nested(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

function reset(res: http.ServerResponse): void {
  const socket = res.socket;
  if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
  else socket?.destroy();
}

/** Holds the socket open and silent; destroyed after STALL_CAP_MS so nothing outlives the run. */
function stall(res: http.ServerResponse): void {
  later(STALL_CAP_MS, () => res.socket?.destroy());
}

/** Writes `body` up to two bytes before its first non-ASCII byte at once, then `count` bytes one every DRIP_MS, then the rest. */
function drip(res: http.ServerResponse, body: Buffer, count: number): void {
  const firstWide = body.findIndex((b) => b >= 0x80);
  const from = Math.max(0, firstWide - 2);
  if (from > 0) res.write(body.subarray(0, from));
  let i = from;
  const step = (): void => {
    if (res.destroyed || res.socket === null) return;
    if (i >= from + count || i >= body.length) {
      res.end(body.subarray(i));
      return;
    }
    res.write(body.subarray(i, i + 1));
    i++;
    later(DRIP_MS, step);
  };
  step();
}

function writeMegabytes(res: http.ServerResponse, prefix: string, mb: number, suffix: string | null): void {
  const block = Buffer.alloc(1024 * 1024, 'x');
  let left = mb;
  res.write(prefix);
  const pump = (): void => {
    while (left > 0) {
      left--;
      if (res.destroyed) return;
      if (!res.write(block)) {
        res.once('drain', pump);
        return;
      }
    }
    if (suffix === null) res.socket?.destroy();
    else res.end(suffix);
  };
  pump();
}

function chat(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  let body: { model?: unknown; stream?: unknown; stream_options?: { include_usage?: unknown } };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    res.writeHead(400, JSON_CT).end(openAIError(400, 'mock: body is not JSON'));
    return;
  }
  const model = typeof body.model === 'string' ? body.model : '';
  const stream = body.stream === true;
  const usage = body.stream_options?.include_usage === true;
  const key = model.length > 64 ? `${model.slice(0, 64)}…` : model;
  stats.set(key, (stats.get(key) ?? 0) + 1);
  const auth = String(req.headers.authorization ?? '');
  let m: RegExpExecArray | null;

  // `ok` plus anything (`ok\r\nX-Injected: yes`, `ok` + 1 MB) answers like `ok`, so a hostile model id
  // reaches the gateway's success path (and its response headers).
  if (model.startsWith('ok')) {
    if (stream) res.writeHead(200, SSE).end(streamBody(model, usage));
    else res.writeHead(200, JSON_CT).end(completion(model, MOCK_CONTENT));
    return;
  }
  if ((m = /^status-(\d{3})(?:-ra-(.+))?$/.exec(model))) {
    const status = Number(m[1]);
    const headers: Record<string, string> = { ...JSON_CT };
    if (m[2] !== undefined) headers['retry-after'] = m[2] === 'date' ? 'Tue, 01 Jan 2999 00:00:00 GMT' : m[2];
    res.writeHead(status, headers).end(openAIError(status, `mock: status ${status}`, status === 429 ? 'rate_limit_exceeded' : null));
    return;
  }
  switch (model) {
    case 'reset-before':
      reset(res);
      return;
    case 'reset-mid':
      if (stream) {
        res.writeHead(200, SSE);
        res.write(deltaEvents(model).slice(0, 3).join(''));
      } else {
        res.writeHead(200, { ...JSON_CT, 'content-length': '400' });
        res.write(completion(model, MOCK_CONTENT).slice(0, 60));
      }
      later(50, () => reset(res));
      return;
    case 'stall-headers':
      stall(res);
      return;
    case 'stall-body':
      res.writeHead(200, stream ? SSE : JSON_CT);
      res.flushHeaders();
      stall(res);
      return;
    case 'stall-mid':
      res.writeHead(200, stream ? SSE : JSON_CT);
      res.write(stream ? deltaEvents(model).slice(0, 2).join('') : completion(model, MOCK_CONTENT).slice(0, 40));
      stall(res);
      return;
    case 'garbage-sse':
      res.writeHead(200, SSE);
      res.end('data: {not json at all\n\n' + 'data: \u0000\u0001\u0002\n\n' + 'event: message\ndata: [[[[\n\n'
        + 'data:{"choices":[{"delta":{"content":"x"}\n\n' + '\r\r\r' + 'garbage without field name\n\n' + 'data: [DONE]\n\n');
      return;
    case 'no-done':
      res.writeHead(200, SSE);
      res.end(deltaEvents(model).join(''));
      return;
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>');
      return;
    case 'truncated-json':
      res.writeHead(200, JSON_CT);
      res.end(completion(model, MOCK_CONTENT).slice(0, 70));
      return;
    case 'echo-401':
      res.writeHead(401, { ...JSON_CT, 'x-echo-authorization': auth });
      res.end(openAIError(401, `Incorrect API key provided: ${auth}. You can find your API key at https://example.invalid/keys.`, 'invalid_api_key'));
      return;
    case 'echo-400-text':
      res.writeHead(400, { 'content-type': 'text/plain', 'x-echo-authorization': auth });
      res.end(`bad request; you sent Authorization: ${auth}`);
      return;
    case 'echo-500':
      res.writeHead(500, { ...JSON_CT, 'x-echo-authorization': auth });
      res.end(openAIError(500, `internal error while checking credentials ${auth}`));
      return;
  }
  if ((m = /^drip-(\d+|all)$/.exec(model))) {
    const payload = Buffer.from(stream ? streamBody(model, usage) : completion(model, MOCK_CONTENT));
    res.writeHead(200, { ...(stream ? SSE : JSON_CT), 'content-length': String(payload.length) });
    res.flushHeaders();
    drip(res, payload, m[1] === 'all' ? payload.length : Number(m[1]));
    return;
  }
  if ((m = /^huge-event-(\d+)$/.exec(model))) {
    res.writeHead(200, SSE);
    const head = `data: {"id":"chatcmpl-chaos","object":"chat.completion.chunk","created":1700000000,"model":"${model}","choices":[{"index":0,"delta":{"content":"`;
    writeMegabytes(res, deltaEvents(model)[0] + head, Number(m[1]), `"},"finish_reason":null}]}\n\n${chunk(model, {}, 'stop')}data: [DONE]\n\n`);
    return;
  }
  if ((m = /^endless-event-(\d+)$/.exec(model))) {
    res.writeHead(200, SSE);
    writeMegabytes(res, deltaEvents(model)[0] + 'data: ', Number(m[1]), null);
    return;
  }
  if ((m = /^nested-(\d+)$/.exec(model))) {
    const depth = Math.min(Number(m[1]), 1_000_000);
    if (stream) {
      res.writeHead(200, SSE);
      res.end(deltaEvents(model)[0]
        + `data: {"id":"chatcmpl-chaos","object":"chat.completion.chunk","created":1700000000,"model":"${model}","choices":[{"index":0,"delta":{"content":"n"},"finish_reason":null}],"extra":${nested(depth)}}\n\n`
        + chunk(model, {}, 'stop') + 'data: [DONE]\n\n');
    } else {
      const base = completion(model, MOCK_CONTENT);
      res.writeHead(200, JSON_CT).end(`${base.slice(0, -1)},"extra":${nested(depth)}}`);
    }
    return;
  }
  res.writeHead(404, JSON_CT).end(openAIError(404, `mock: unknown model "${key}"`, 'model_not_found'));
}

const server = http.createServer({ keepAliveTimeout: 10_000, requestTimeout: 0, headersTimeout: 30_000 }, (req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/v1/models') {
      res.writeHead(200, JSON_CT).end(JSON.stringify({ object: 'list', data: ['ok', 'status-500'].map((id) => ({ id, object: 'model', created: 0, owned_by: 'chaos' })) }));
      return;
    }
    if (req.method === 'GET' && url === '/__chaos/stats') {
      res.writeHead(200, JSON_CT).end(JSON.stringify(Object.fromEntries(stats)));
      return;
    }
    if (req.method === 'POST' && url === '/v1/chat/completions') {
      chat(req, res, Buffer.concat(parts).toString('utf8'));
      return;
    }
    res.writeHead(404, JSON_CT).end(openAIError(404, `mock: no route ${req.method} ${url.slice(0, 100)}`));
  });
});
server.on('connection', (s) => {
  sockets.add(s);
  s.on('close', () => sockets.delete(s));
});

function stop(): void {
  for (const t of timers) clearTimeout(t);
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent's pipe closing means the run is over (the parent died without killing us).
process.stdin.on('end', stop);
process.stdin.resume();

server.listen(Number(process.env.CHAOS_MOCK_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`chaos-mock listening on ${(server.address() as AddressInfo).port}\n`);
});
