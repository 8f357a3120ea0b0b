import type { HttpResponse } from 'uWebSockets.js';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { fastKind as fastKindWith, PostExchange, type McpPostHeaders } from '../../../src/mcp-api/mcp-post-exchange.js';
import { loadMcpSdk, type McpSdk } from '../../../src/mcp-api/mcp-sdk.js';

/** Records what is written to a uWS response, and checks nothing is written after `end`. */
function fakeRes(): { res: HttpResponse; out: (string | Uint8Array)[]; ended: () => boolean } {
  const out: (string | Uint8Array)[] = [];
  let ended = false;
  const guard = (): void => { if (ended) throw new Error('write after end'); };
  const res = {
    cork(fn: () => void) { fn(); return res; },
    writeStatus(s: string) { guard(); out.push(`status ${s}`); return res; },
    writeHeader(k: string, v: string) { guard(); out.push(`${k}: ${v}`); return res; },
    write(chunk: string | Uint8Array) { guard(); out.push(chunk); return true; },
    end(body?: string) { guard(); if (body !== undefined) out.push(body); out.push('<end>'); ended = true; return res; },
  };
  return { res: res as unknown as HttpResponse, out, ended: () => ended };
}

const H: McpPostHeaders = { accept: 'application/json, text/event-stream', contentType: 'application/json', protocolVersion: '2025-11-25' };
const HEADERS = [['mcp-session-id', 'sid-1']] as const;

afterEach(() => { vi.useRealTimers(); });

describe('fastKind', () => {
  let sdk: McpSdk;
  beforeAll(async () => { sdk = await loadMcpSdk(); });
  const fastKind = (h: McpPostHeaders, body: unknown): ReturnType<typeof fastKindWith> => fastKindWith(h, body, sdk);

  it('takes plain requests and notifications of a session, and leaves everything else to the SDK transport', () => {
    expect(fastKind(H, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x', _meta: { progressToken: 'p' } } })).toBe('request');
    expect(fastKind(H, { jsonrpc: '2.0', method: 'notifications/initialized' })).toBe('notification');
    expect(fastKind({ ...H, protocolVersion: '' }, { jsonrpc: '2.0', id: 'a', method: 'ping' })).toBe('request');
    const slow = [
      [H, [{ jsonrpc: '2.0', id: 1, method: 'ping' }]], // batch
      [H, { jsonrpc: '2.0', id: 1, result: {} }], // a response
      [H, { jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }],
      [H, { jsonrpc: '2.0', id: null, method: 'ping' }],
      [H, { jsonrpc: '2.0', id: 1.5, method: 'ping' }],
      [H, { jsonrpc: '2.0', id: 1, method: 'ping', extra: true }],
      [H, { jsonrpc: '2.0', id: 1, method: 'ping', params: [] }],
      [H, { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: { progressToken: 1.5 } } }],
      [H, { jsonrpc: '1.0', id: 1, method: 'ping' }],
      [{ ...H, accept: 'application/json' }, { jsonrpc: '2.0', id: 1, method: 'ping' }],
      [{ ...H, contentType: 'text/plain' }, { jsonrpc: '2.0', id: 1, method: 'ping' }],
      [{ ...H, protocolVersion: '1999-01-01' }, { jsonrpc: '2.0', id: 1, method: 'ping' }],
    ] as const;
    for (const [h, body] of slow) expect(fastKind(h, body), JSON.stringify(body)).toBeNull();
  });
});

describe('PostExchange', () => {
  it('answers with plain JSON when the response is the first thing that comes', () => {
    const { res, out } = fakeRes();
    let done = 0;
    const ex = new PostExchange(res, 1, HEADERS, () => { done++; });
    ex.send('{"jsonrpc":"2.0","id":1,"result":{}}', true);
    expect(out).toEqual(['status 200 OK', 'content-type: application/json', 'mcp-session-id: sid-1', '{"jsonrpc":"2.0","id":1,"result":{}}', '<end>']);
    expect(done).toBe(1);
    ex.send('{"late":true}', true);
    ex.close();
    expect(out).toHaveLength(5);
  });

  it('turns into an SSE stream at the first related server message, and ends it with the response', () => {
    const { res, out, ended } = fakeRes();
    const ex = new PostExchange(res, 2, HEADERS, () => undefined);
    ex.send('{"method":"notifications/progress"}', false);
    expect(out.slice(0, 2)).toEqual(['status 200 OK', 'content-type: text/event-stream']);
    expect(ended()).toBe(false);
    // A large cached result comes as bytes (shared memory); it is written as it is.
    const bytes = new Uint8Array(new SharedArrayBuffer(20));
    bytes.set(Buffer.from('{"id":2,"result":{}}'));
    ex.send(bytes, true);
    expect(out.slice(-5)).toEqual(['event: message\ndata: {"method":"notifications/progress"}\n\n', 'event: message\ndata: ', bytes, '\n\n', '<end>']);
  });

  it('opens the stream with a keep-alive when the answer takes longer than the keep-alive period', () => {
    vi.useFakeTimers();
    const { res, out } = fakeRes();
    const ex = new PostExchange(res, 3, HEADERS, () => undefined);
    vi.advanceTimersByTime(15_000);
    expect(out).toContain('content-type: text/event-stream');
    expect(out.at(-1)).toBe(': keepalive\n\n');
    ex.send('{"id":3,"result":{}}', true);
    expect(out.at(-1)).toBe('<end>');
  });

  it('answers a pending request with an error when its session ends, and writes nothing once the client is gone', () => {
    const a = fakeRes();
    new PostExchange(a.res, 'r', HEADERS, () => undefined).close();
    expect(JSON.parse(a.out.at(-2) as string)).toMatchObject({ jsonrpc: '2.0', id: 'r', error: { code: -32000 } });
    const b = fakeRes();
    const gone = new PostExchange(b.res, 5, HEADERS, () => undefined);
    gone.aborted();
    gone.send('{"id":5,"result":{}}', true);
    gone.close();
    expect(b.out).toEqual([]);
  });
});
