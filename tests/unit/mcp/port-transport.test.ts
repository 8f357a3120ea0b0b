import { describe, expect, it } from 'vitest';
import { PortTransport, preSerialized } from '../../../src/mcp/port-transport.js';

type Posted = [string, string | number | null, boolean];

/** What the transport posts, with byte messages decoded (and checked to be in shared memory). */
function transport(): { t: PortTransport; posted: Posted[] } {
  const posted: Posted[] = [];
  return {
    t: new PortTransport('s1', (json, related, final) => {
      if (typeof json !== 'string') {
        expect(json.buffer).toBeInstanceOf(SharedArrayBuffer);
        json = Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8');
      }
      posted.push([json, related, final]);
    }),
    posted,
  };
}

describe('PortTransport', () => {
  it('posts each message as JSON text with the request stream it belongs to; a response is final on its own id', async () => {
    const { t, posted } = transport();
    await t.send({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } }, { relatedRequestId: 7 });
    await t.send({ jsonrpc: '2.0', method: 'notifications/tools/list_changed' });
    await t.send({ jsonrpc: '2.0', id: 7, result: { content: [] } });
    await t.send({ jsonrpc: '2.0', id: 'x', error: { code: -32602, message: 'bad' } });
    expect(posted.map(([, r, f]) => [r, f])).toEqual([[7, false], [null, false], [7, true], ['x', true]]);
    expect(JSON.parse(posted[2]![0])).toEqual({ jsonrpc: '2.0', id: 7, result: { content: [] } });
  });

  it('reuses the JSON text of a pre-serialized result instead of serializing it again', async () => {
    const { t, posted } = transport();
    const page = preSerialized({ tools: [{ name: 'a__b', inputSchema: { type: 'object' } }] });
    // Changed after serializing: the text sent is the one made once (pages are immutable in practice).
    (page.tools as object[]).push({ name: 'not sent' });
    await t.send({ jsonrpc: '2.0', id: 'q"1', result: page });
    expect(JSON.parse(posted[0]![0])).toEqual({ jsonrpc: '2.0', id: 'q"1', result: { tools: [{ name: 'a__b', inputSchema: { type: 'object' } }] } });
    expect(posted[0]!.slice(1)).toEqual(['q"1', true]);
  });

  it('sends a large cached result as bytes in shared memory, the same JSON text', async () => {
    const posted: unknown[] = [];
    const t = new PortTransport('s1', (json) => posted.push(json));
    const big = preSerialized({ tools: Array.from({ length: 400 }, (_, i) => ({ name: `s__tool_${i}`, description: 'é '.repeat(20) })) });
    await t.send({ jsonrpc: '2.0', id: 9, result: big });
    await t.send({ jsonrpc: '2.0', id: 10, result: big });
    const [a, b] = posted as Uint8Array[];
    expect(a!.buffer).toBeInstanceOf(SharedArrayBuffer);
    const text = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('utf8');
    expect(JSON.parse(text(a!))).toEqual({ jsonrpc: '2.0', id: 9, result: big });
    expect(JSON.parse(text(b!))).toEqual({ jsonrpc: '2.0', id: 10, result: big });
  });
});
