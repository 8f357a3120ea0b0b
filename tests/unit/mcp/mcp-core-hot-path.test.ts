import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MCP_FRAME, type FromMcpFrame, type McpActorConfig } from '../../../src/workers/index.js';
import { McpCore } from '../../../src/mcp/mcp-core.js';

/**
 * The MCP actor's hot paths against a bare Streamable HTTP upstream that answers with canned JSON:
 * a tool result is forwarded as it came (fields the SDK's schemas do not know included), and merged
 * list pages are built once per strategy and served again from cache.
 */
const TOOL_RESULT = {
  content: [{ type: 'text', text: 'hi', futureField: { nested: true }, annotations: { audience: ['user'], priority: 0.5, extra: 1 } }],
  structuredContent: { a: 1 }, isError: false, vendorTop: 'kept',
};
const seen: string[] = [];
let server: http.Server;
let core: McpCore;
const frames: FromMcpFrame[] = [];

function answer(res: http.ServerResponse, id: unknown, result: object): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 'up-1' });
  res.end(`event: message\ndata: ${JSON.stringify({ result, jsonrpc: '2.0', id })}\n\n`);
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      if (req.method !== 'POST') { res.writeHead(405); res.end(); return; }
      const msg = JSON.parse(body) as { id?: unknown; method: string };
      seen.push(msg.method);
      if (msg.id === undefined) { res.writeHead(202); res.end(); return; }
      if (msg.method === 'initialize') return answer(res, msg.id, { protocolVersion: '2025-11-25', capabilities: { tools: {} }, serverInfo: { name: 'up', version: '1' } });
      if (msg.method === 'tools/list') return answer(res, msg.id, { tools: [{ name: 'echo', inputSchema: { type: 'object' } }, { name: 'other', inputSchema: { type: 'object' } }] });
      return answer(res, msg.id, TOOL_RESULT);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  const config: McpActorConfig = {
    servers: [{ name: 'up', namespace: 'up', transport: 'streamable-http', command: null, args: [], env: {}, cwd: null, url, headers: {}, connect: 'lazy', perSession: false, timeoutMs: 10_000, maxTotalTimeoutMs: 0, protocol: 'auto', oauth: null }],
    prefix: 'always', sampling: 'forward', pageSize: 1, restartInitialMs: 100, restartMaxMs: 1000, healthIntervalMs: 0, healthTimeoutMs: 5000, maxJsonDepth: 64, access: {}, version: 'test',
  };
  core = new McpCore(config, (f) => frames.push(f), null);
});

afterAll(async () => {
  await core.closeAll();
  await new Promise<void>((r) => server.close(() => r()));
});

/** Sends one request from session `s` and resolves with the JSON text of its response. */
async function rpc(s: number, id: number, method: string, params: object = {}): Promise<string> {
  core.handle([MCP_FRAME.MESSAGE, s, { jsonrpc: '2.0', id, method, params }]);
  for (let i = 0; i < 500; i++) {
    const f = frames.find((x) => x[0] === MCP_FRAME.SEND && x[1] === s && x[3] === id && x[4]);
    if (f !== undefined) return f[2] as string;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`no response to ${method}`);
}

async function openSession(s: number): Promise<void> {
  core.handle([MCP_FRAME.OPEN, s, { client: 'c', strategy: 'default', clientMetricId: 0, strategyMetricId: 0 }]);
  await rpc(s, 0, 'initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } });
  core.handle([MCP_FRAME.MESSAGE, s, { jsonrpc: '2.0', method: 'notifications/initialized' }]);
}

describe('MCP actor hot paths', () => {
  it('forwards a tool result exactly as the upstream sent it', async () => {
    await openSession(1);
    const text = await rpc(1, 1, 'tools/call', { name: 'up__echo', arguments: { x: 1 } });
    expect(JSON.parse(text)).toEqual({ jsonrpc: '2.0', id: 1, result: TOOL_RESULT });
  });

  it('serves list pages from one merge per strategy, the same bytes each time', async () => {
    await openSession(2);
    const a = await rpc(1, 2, 'tools/list');
    const b = await rpc(2, 3, 'tools/list');
    const c = await rpc(1, 4, 'tools/list');
    expect(JSON.parse(a)).toMatchObject({ id: 2, result: { tools: [{ name: 'up__echo' }], nextCursor: expect.any(String) } });
    expect(b).toBe(a.replace('"id":2', '"id":3'));
    expect(c).toBe(a.replace('"id":2', '"id":4'));
    const cursor = (JSON.parse(a) as { result: { nextCursor: string } }).result.nextCursor;
    expect(JSON.parse(await rpc(2, 5, 'tools/list', { cursor }))).toMatchObject({ result: { tools: [{ name: 'up__other' }] } });
    expect(seen.filter((m) => m === 'tools/list')).toHaveLength(1);
  });
});
