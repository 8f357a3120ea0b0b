import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { createUpstreamFetch, requestIdOf } from '../../../src/mcp/upstream-fetch.js';
import { RELATED_META_KEY } from '../../../src/mcp/annotate-related.js';

/** What the fake upstream answers a POST with, by the JSON-RPC method in the body. */
type Script = (res: http.ServerResponse, id: number) => void;
const event = (msg: object): string => `event: message\ndata: ${JSON.stringify(msg)}\n\n`;
const result = (id: number, text: string): object => ({ result: { content: [{ type: 'text', text, futureField: 1 }] }, jsonrpc: '2.0', id });
const sse = (res: http.ServerResponse): void => { res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'sess-1' }); };

const scripts: Record<string, Script> = {
  one: (res, id) => { sse(res); res.end(event(result(id, 'one'))); },
  progress: (res, id) => {
    sse(res);
    res.write(event({ method: 'notifications/progress', params: { progressToken: 7, progress: 1 }, jsonrpc: '2.0' }));
    setTimeout(() => {
      res.write(event({ method: 'notifications/message', params: { level: 'info', data: 'x' }, jsonrpc: '2.0' }));
      res.end(event(result(id, 'after progress')));
    }, 20);
  },
  late: (res, id) => {
    sse(res);
    res.write(event(result(id, 'first')));
    setTimeout(() => res.end(event({ method: 'notifications/message', params: { level: 'info', data: 'late' }, jsonrpc: '2.0' })), 20);
  },
  json: (res, id) => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(JSON.stringify(result(id, 'json'))); },
  'notifications/initialized': (res) => { res.writeHead(202); res.end(); },
};

let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const msg = JSON.parse(body) as { method: string; id: number; params?: { name?: string } };
      scripts[msg.params?.name ?? msg.method]!(res, msg.id);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** A POST as the SDK's Streamable HTTP transport sends it. */
function post(f: typeof fetch, message: object, signal?: AbortSignal): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/json', accept: 'application/json, text/event-stream' });
  return f(url, { method: 'POST', headers, body: JSON.stringify(message), signal, redirect: 'manual' });
}
const call = (name: string, id: number): object => ({ method: 'tools/call', params: { name, arguments: {} }, jsonrpc: '2.0', id });

describe('createUpstreamFetch', () => {
  it('hands a POST stream that carries only the response to the SDK as one JSON body, every field kept', async () => {
    const res = await post(createUpstreamFetch(() => undefined), call('one', 41));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('mcp-session-id')).toBe('sess-1');
    expect(res.body).toBeNull();
    expect(await res.json()).toEqual(result(41, 'one'));
  });

  it('turns the stream live at the first server message, stamping all but progress with the request id', async () => {
    const res = await post(createUpstreamFetch(() => undefined), call('progress', 42));
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text()).split('\n\n').filter((e) => e.length > 0).map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)) as Record<string, { _meta?: object }>);
    expect(events).toHaveLength(3);
    expect(events[0]!.params).toEqual({ progressToken: 7, progress: 1 });
    expect(events[1]!.params!._meta).toEqual({ [RELATED_META_KEY]: 42 });
    expect(events[2]).toEqual(result(42, 'after progress'));
  });

  it('answers as soon as the response is in, and passes a message that comes after it to `late`', async () => {
    const late: JSONRPCMessage[] = [];
    const res = await post(createUpstreamFetch((m) => late.push(m)), call('late', 43));
    expect(await res.json()).toEqual(result(43, 'first'));
    expect(late).toEqual([]);
    for (let i = 0; i < 200 && late.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(late).toEqual([{ method: 'notifications/message', params: { level: 'info', data: 'late' }, jsonrpc: '2.0' }]);
  });

  it('passes JSON answers and 202s through', async () => {
    const f = createUpstreamFetch(() => undefined);
    expect(await (await post(f, call('json', 44))).json()).toEqual(result(44, 'json'));
    const accepted = await post(f, { method: 'notifications/initialized', jsonrpc: '2.0' });
    expect(accepted.status).toBe(202);
    expect(await accepted.text()).toBe('');
  });

  it('leaves no abort listener behind on the transport signal it is given for every request', async () => {
    const f = createUpstreamFetch(() => undefined);
    const controller = new AbortController();
    for (let i = 0; i < 20; i++) await (await post(f, call('one', i), controller.signal)).text();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});

describe('requestIdOf', () => {
  it('reads the id of a request from the tail of what the SDK serializes, and nothing from a notification', () => {
    expect(requestIdOf(JSON.stringify({ method: 'tools/call', params: { name: 'x', arguments: { id: 5 } }, jsonrpc: '2.0', id: 12 }))).toBe(12);
    expect(requestIdOf(JSON.stringify({ method: 'ping', jsonrpc: '2.0', id: 'a"b' }))).toBe('a"b');
    expect(requestIdOf(JSON.stringify({ method: 'notifications/cancelled', params: { requestId: 3 }, jsonrpc: '2.0' }))).toBeUndefined();
    expect(requestIdOf(JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }))).toBe(9);
    expect(requestIdOf(JSON.stringify({ result: {}, jsonrpc: '2.0', id: 4 }))).toBeUndefined();
  });
});
