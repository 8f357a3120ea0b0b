import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { connectClient, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { startModernMcpServer } from '../helpers/modern-mcp-server.js';

// A client's cancel of a tool call in flight (notifications/cancelled, or its session ending) must
// reach the upstream that runs it, with the client's reason, on the path plain tool calls take.
const CANCEL_SERVER = path.resolve('tests/helpers/stdio/cancel-server.mjs');
/** The same tools on the v2 server SDK: reached through the gateway's v2 client (2026-07-28). */
const CANCEL_SERVER_V2 = path.resolve('tests/helpers/stdio/cancel-server-v2.mjs');
let fx: McpGatewayFixture;
let modernHttp: Awaited<ReturnType<typeof startModernMcpServer>>;

beforeAll(async () => {
  modernHttp = await startModernMcpServer();
  fx = await startMcpGateway({
    servers: [
      { name: 'cx', transport: 'stdio', command: process.execPath, args: [CANCEL_SERVER] },
      { name: 'mx', transport: 'stdio', command: process.execPath, args: [CANCEL_SERVER_V2] },
      { name: 'hx', transport: 'streamable-http', url: modernHttp.url },
    ],
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await modernHttp?.close();
});

interface Seen { started: string[]; cancelled: string[] }

async function seen(client: Client, server = 'cx'): Promise<Seen> {
  return JSON.parse(toolText(await client.callTool({ name: `${server}__seen`, arguments: {} }))) as Seen;
}

/** Polls the upstream (through `client`) until `ok`, for up to 10 s. */
async function until(client: Client, ok: (s: Seen) => boolean, server = 'cx'): Promise<Seen> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const s = await seen(client, server);
    if (ok(s) || Date.now() > deadline) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** An initialized session over plain HTTP POSTs, ids and cancels chosen by the test. */
async function rawSession(): Promise<{ post(body: unknown): Promise<Response> }> {
  const headers: Record<string, string> = { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = (body: unknown): Promise<Response> => fetch(fx.mcpUrl, { method: 'POST', headers, body: JSON.stringify(body) });
  const init = await post({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
  await init.text();
  headers['mcp-session-id'] = init.headers.get('mcp-session-id')!;
  headers['mcp-protocol-version'] = '2025-06-18';
  await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
  return { post };
}

describe('cancelling a tool call through the gateway', () => {
  it('passes the client\'s cancel and its reason to the upstream, and the session goes on', async () => {
    const client = await connectClient(fx);
    const first = new AbortController();
    const call = client.callTool({ name: 'cx__wait', arguments: { label: 'first' } }, undefined, { signal: first.signal });
    await until(client, (s) => s.started.includes('first'));
    first.abort('the user stopped it');
    await expect(call).rejects.toThrow(/the user stopped it/);
    const after = await until(client, (s) => s.cancelled.length > 0);
    expect(after.cancelled).toEqual([expect.stringMatching(/^first: .*the user stopped it/)]);

    // The session goes on: a second call is cancelled on its own, the first's cancel touched nothing else.
    const second = new AbortController();
    const other = client.callTool({ name: 'cx__wait', arguments: { label: 'second' } }, undefined, { signal: second.signal });
    await until(client, (s) => s.started.includes('second'));
    second.abort('second stop');
    await expect(other).rejects.toThrow(/second stop/);
    expect((await until(client, (s) => s.cancelled.length > 1)).cancelled).toEqual([after.cancelled[0], expect.stringMatching(/^second: .*second stop/)]);
    await client.close();
  });

  it.each([['mx', 'STDIO'], ['hx', 'Streamable HTTP: the cancel aborts the POST']])('passes the cancel to a 2026-07-28 upstream (the v2 client) too: %s, %s', async (server) => {
    const client = await connectClient(fx);
    const abort = new AbortController();
    const call = client.callTool({ name: `${server}__wait`, arguments: { label: 'modern' } }, undefined, { signal: abort.signal });
    await until(client, (s) => s.started.includes('modern'), server);
    abort.abort('stop the modern one');
    await expect(call).rejects.toThrow(/stop the modern one/);
    expect((await until(client, (s) => s.cancelled.length > 0, server)).cancelled).toEqual([expect.stringMatching(/^modern: /)]);
    await client.close();
  });

  // The cancel reaches the ingress on its fast path, or (in a batch) through the SDK transport: either way it ends the answer.
  it.each([['alone', false], ['in a batch', true]] as const)('ends the cancelled request\'s own answer at once, with no response in it, instead of holding its connection: a cancel %s', async (how, batch) => {
    const { post } = await rawSession();
    const watcher = await connectClient(fx);
    const label = `raw ${how}`;
    const answer = post({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'cx__wait', arguments: { label } } });
    await until(watcher, (s) => s.started.includes(label));
    const t0 = Date.now();
    const cancel = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'raw stop' } };
    expect((await post(batch ? [cancel] : cancel)).status).toBe(202);
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await res.text()).not.toContain('"id":7');
    // Well before the 15 s keep-alive: the answer ended with the cancel, not with the connection.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect((await until(watcher, (s) => s.cancelled.some((c) => c.startsWith(`${label}: `)))).cancelled).toContainEqual(`${label}: raw stop`);
    // The session goes on.
    const again = await post({ jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: 'cx__seen', arguments: {} } });
    expect(await again.text()).toContain('"id":8');
    await watcher.close();
  });

  it('keeps many calls at once apart: a cancel sent twice ends its own call only, once', async () => {
    const raw = await rawSession();
    const watcher = await connectClient(fx);
    const N = 20;
    const answers = Array.from({ length: N }, (_, i) => raw.post({ jsonrpc: '2.0', id: 100 + i, method: 'tools/call', params: { name: 'cx__wait', arguments: { label: `many ${i}` } } }));
    await until(watcher, (s) => answers.every((_, i) => s.started.includes(`many ${i}`)));
    const cancel = (i: number, reason: string): Promise<Response> => raw.post({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 100 + i, reason } });
    // Every other call is cancelled, each by two cancels at once.
    await Promise.all(answers.flatMap((_, i) => (i % 2 === 0 ? [cancel(i, `stop ${i}`), cancel(i, `stop ${i}`)] : [])));
    for (let i = 0; i < N; i += 2) expect(await (await answers[i]!).text()).not.toContain(`"id":${100 + i}`);
    const many = (s: Seen): string[] => s.cancelled.filter((c) => c.startsWith('many ')).sort();
    expect(many(await until(watcher, (s) => many(s).length >= N / 2))).toEqual(Array.from({ length: N / 2 }, (_, k) => `many ${2 * k}: stop ${2 * k}`).sort());
    // The others still run: their own cancel is the first they see, and each upstream call saw one cancel.
    await Promise.all(answers.map((_, i) => (i % 2 === 1 ? cancel(i, `late ${i}`) : null)));
    for (let i = 1; i < N; i += 2) expect(await (await answers[i]!).text()).not.toContain(`"id":${100 + i}`);
    expect(many(await until(watcher, (s) => many(s).length >= N))).toEqual(Array.from({ length: N }, (_, i) => `many ${i}: ${i % 2 === 0 ? 'stop' : 'late'} ${i}`).sort());
    await watcher.close();
  });

  it('cancels the calls of a session that ends while they run', async () => {
    const watcher = await connectClient(fx);
    const before = (await seen(watcher)).cancelled.length;
    const client = new Client({ name: 'leaving-client', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } });
    await client.connect(transport);
    const call = client.callTool({ name: 'cx__wait', arguments: { label: 'leaving' } }).catch((err: unknown) => err);
    await until(watcher, (s) => s.started.includes('leaving'));
    await transport.terminateSession();
    await client.close();
    await call;
    const after = await until(watcher, (s) => s.cancelled.length > before);
    expect(after.cancelled.slice(before)).toEqual([expect.stringMatching(/^leaving: /)]);
    await watcher.close();
  });
});
