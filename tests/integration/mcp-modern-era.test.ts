import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { connectClient, EVERYTHING, FILESYSTEM, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * /mcp serves both protocol eras at once: the v2 SDK client pinned to 2026-07-28 (stateless, every
 * request carries its version, client info and capabilities) and the 1.x SDK client (initialize and
 * a session), against the same gateway over real upstream servers (server-everything and
 * server-filesystem over STDIO).
 */
let fx: McpGatewayFixture;
let dir: string;
const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcp-era-'));
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello from the filesystem server\n');
  fx = await startMcpGateway({
    servers: [
      { name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
      { name: 'fs', transport: 'stdio', command: process.execPath, args: [FILESYSTEM, dir] },
    ],
    mcp: {
      virtual_servers: [{ name: 'files', servers: ['fs'] }, { name: 'all', servers: ['every', 'fs'] }],
      max_requests_in_flight_per_client: 4, max_listen_streams_per_client: 2,
    },
    strategies: [{ name: 'limited', mcp: { servers: ['every'], per_server: { every: { tools: { allow: ['*'], deny: ['trigger-*', 'get-env'] } } } } }],
    clients: [{ name: 'limited', strategy: 'limited' }, { name: 'two', limits: [{ kind: 'requests', window: 'minute', max: 2 }] }, { name: 'other' }],
    monitoring: { enabled: true, flush_interval_ms: 50 },
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function modernClient(key = fx.key): Promise<ModernClient> {
  const client = new ModernClient({ name: 'modern-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
  await client.connect(new ModernTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

type Answer = { status: number; headers: Headers; json: Record<string, unknown> };

/** One raw POST to /mcp, as a modern client would send it (headers given override the defaults). */
function post(body: Record<string, unknown>, headers: Record<string, string> = {}, key: string | null = fx.key): Promise<Answer> {
  return postTo(fx.mcpUrl, body, headers, key);
}

async function postTo(url: URL, body: Record<string, unknown>, headers: Record<string, string> = {}, key: string | null = fx.key): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN,
      'mcp-method': String(body.method), ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text.length > 0 ? JSON.parse(text) as Record<string, unknown> : {} };
}

async function allToolNames(list: (cursor?: string) => Promise<{ tools: { name: string }[]; nextCursor?: string }>): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await list(cursor);
    names.push(...page.tools.map((t) => t.name));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return names.sort();
}

describe('/mcp serves protocol 2026-07-28 (stateless) and the session-based protocol side by side', () => {
  it('the v2 client pinned to 2026-07-28 and the 1.x client list the same namespaced tools, call a tool and read a resource', async () => {
    const modern = await modernClient();
    const legacy = await connectClient(fx);
    expect(modern.getNegotiatedProtocolVersion()).toBe(MODERN);
    expect(legacy.getServerVersion()?.name).toBe('localrouter');
    expect(modern.getServerVersion()?.name).toBe('localrouter');
    expect(modern.getServerCapabilities()?.tools?.listChanged).toBe(true);

    const [modernNames, legacyNames] = await Promise.all([
      allToolNames((cursor) => modern.listTools(cursor === undefined ? {} : { cursor })),
      allToolNames((cursor) => legacy.listTools(cursor === undefined ? {} : { cursor })),
    ]);
    expect(modernNames).toEqual(legacyNames);
    expect(modernNames).toContain('every__echo');
    expect(modernNames).toContain('fs__read_text_file');

    const [m, l] = await Promise.all([
      modern.callTool({ name: 'every__echo', arguments: { message: 'modern' } }),
      legacy.callTool({ name: 'every__echo', arguments: { message: 'legacy' } }),
    ]);
    expect(m.content).toEqual([{ type: 'text', text: 'Echo: modern' }]);
    expect(l.content).toEqual([{ type: 'text', text: 'Echo: legacy' }]);

    const file = await modern.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(fs.realpathSync(dir), 'hello.txt') } });
    expect(JSON.stringify(file.content)).toContain('hello from the filesystem server');

    const resources = await modern.listResources();
    const first = resources.resources.find((r) => r.uri.startsWith('demo://'));
    expect(first).toBeDefined();
    const read = await modern.readResource({ uri: first!.uri });
    expect(read.contents[0]?.uri).toBe(first!.uri);
    expect(JSON.stringify(await legacy.readResource({ uri: first!.uri }))).toEqual(JSON.stringify({ contents: read.contents }));

    await modern.close();
    await legacy.close();
  });

  it('filters each modern request by its key\'s strategy, with no session', async () => {
    const modern = await modernClient(fx.keys.limited);
    const names = await allToolNames((cursor) => modern.listTools(cursor === undefined ? {} : { cursor }));
    expect(names).toContain('every__echo');
    expect(names.some((n) => n.startsWith('fs__'))).toBe(false);
    expect(names.some((n) => n.startsWith('every__trigger-') || n === 'every__get-env')).toBe(false);
    const denied = await modern.callTool({ name: 'every__get-env', arguments: {} }).then(() => null, (err: { code?: number; message: string }) => err);
    expect(denied?.message).toMatch(/Unknown tool: every__get-env/);
    await modern.close();
  });

  it('answers server/discover and lists with resultType, private cache hints and no session id', async () => {
    const discover = await post({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: ENVELOPE } });
    expect(discover.status).toBe(200);
    expect(discover.headers.get('mcp-session-id')).toBeNull();
    const result = discover.json.result as Record<string, unknown>;
    expect(result.supportedVersions).toContain(MODERN);
    expect(result.resultType).toBe('complete');
    expect((result.capabilities as Record<string, unknown>).tools).toEqual({ listChanged: true });
    expect(String(result.instructions ?? '')).toMatch(/every/);

    const list = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: ENVELOPE } });
    expect(list.status).toBe(200);
    const tools = list.json.result as Record<string, unknown>;
    expect(tools).toMatchObject({ resultType: 'complete', cacheScope: 'private' });
    expect(tools.ttlMs).toBeGreaterThan(0);
    expect(list.headers.get('mcp-session-id')).toBeNull();
  });

  it('refuses an unknown protocol version with -32022 and the supported versions', async () => {
    const bad = await post({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } },
      { 'mcp-protocol-version': '2099-01-01' });
    expect(bad.status).toBe(400);
    const error = bad.json.error as { code: number; data: { supported: string[]; requested: string } };
    expect(error.code).toBe(-32022);
    expect(error.data.supported).toContain(MODERN);
    expect(error.data.requested).toBe('2099-01-01');
  });

  it('refuses a request whose Mcp-Method or Mcp-Name header disagrees with its body (400)', async () => {
    const method = await post({ jsonrpc: '2.0', id: 4, method: 'tools/list', params: { _meta: ENVELOPE } }, { 'mcp-method': 'tools/call' });
    expect(method.status).toBe(400);
    expect((method.json.error as { code: number }).code).toBe(-32020);
    const name = await post({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'every__echo', arguments: { message: 'x' }, _meta: ENVELOPE } },
      { 'mcp-name': 'every__get-sum' });
    expect(name.status).toBe(400);
    expect((name.json.error as { message: string }).message).toMatch(/Mcp-Name/);
  });

  it('answers a modern request without a key 401 with the resource metadata challenge', async () => {
    const res = await post({ jsonrpc: '2.0', id: 6, method: 'tools/list', params: { _meta: ENVELOPE } }, {}, null);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"$/);
    const wrong = await post({ jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: ENVELOPE } }, {}, 'lr-not-a-key');
    expect(wrong.status).toBe(401);
  });

  it('keeps the session-based protocol as it was: an initialize asking for 2026-07-28 opens a 2025-11-25 session', async () => {
    const res = await fetch(fx.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${fx.key}` },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: MODERN, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }),
    });
    expect(res.status).toBe(200);
    const sid = res.headers.get('mcp-session-id');
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.text()).toContain('"protocolVersion":"2025-11-25"');
    await fetch(fx.mcpUrl, { method: 'DELETE', headers: { 'mcp-session-id': sid!, authorization: `Bearer ${fx.key}` } });
  });

  it('keeps the session-based protocol as it was: a sessionless request without the envelope still needs a session', async () => {
    const res = await post({ jsonrpc: '2.0', id: 8, method: 'tools/list' }, { 'mcp-protocol-version': '2025-11-25' });
    expect(res.status).toBe(400);
    expect((res.json.error as { message: string }).message).toMatch(/Mcp-Session-Id header is required/);
  });

  it('applies the client\'s request limits to modern calls and logs each call', async () => {
    const modern = await modernClient(fx.keys.two);
    const results: string[] = [];
    for (let i = 0; i < 3; i++) {
      results.push(await modern.callTool({ name: 'every__echo', arguments: { message: `n${i}` } }).then(
        (r) => (r.content as { text: string }[])[0]!.text, (err: { code?: number; message: string }) => `error ${err.code}: ${err.message}`));
    }
    expect(results.slice(0, 2)).toEqual(['Echo: n0', 'Echo: n1']);
    expect(results[2]).toMatch(/-32029.*rate limit reached: 2 requests/);
    await modern.close();
    let rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 50 && rows.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const res = await fetch(`${fx.origin}/api/logs?kind=mcp&client=two&limit=10`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
      rows = (await res.json() as { data: Record<string, unknown>[] }).data;
    }
    expect(rows.filter((r) => r.status === 200 && r.server === 'every' && r.tool === 'echo' && r.op === 'mcp:tools/call')).toHaveLength(2);
    expect(rows.filter((r) => r.status === 429 && r.error_code === 'LR_ERR_RATE_LIMITED')).toHaveLength(1);
  });

  it('tells a subscriptions/listen stream when a list changes upstream', async () => {
    const modern = await modernClient();
    const changed = new Promise<void>((resolve) => {
      modern.setNotificationHandler('notifications/resources/list_changed', () => resolve());
    });
    const sub = await modern.listen({ resourcesListChanged: true });
    // A second client's call makes the upstream add a resource (and say its list changed).
    const other = await modernClient();
    const data = `data:text/plain;base64,${Buffer.from('compress me').toString('base64')}`;
    await other.callTool({ name: 'every__gzip-file-as-resource', arguments: { name: 'listen.gz', data, outputType: 'resourceLink' } });
    await changed;
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await modern.listResources(cursor === undefined ? {} : { cursor });
      names.push(...page.resources.map((r) => r.uri));
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(names.some((u) => u.includes('listen.gz'))).toBe(true);
    await sub.close();
    await other.close();
    await modern.close();
  });

  it('passes a long call\'s progress to the modern client on the request\'s stream', async () => {
    const modern = await modernClient();
    const progress: number[] = [];
    const result = await modern.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, {
      onprogress: (p) => { progress.push(p.progress); },
    });
    expect(JSON.stringify(result.content)).toMatch(/Long running operation completed/);
    expect(progress).toEqual([1, 2, 3]);
    await modern.close();
  });

  it('tells a subscriptions/listen stream of updates to the resources it names', async () => {
    const modern = await modernClient();
    const uri = (await modern.listResources()).resources.find((r) => r.uri.startsWith('demo://resource/static/'))!.uri;
    const updated = new Promise<string>((resolve) => {
      modern.setNotificationHandler('notifications/resources/updated', (n) => resolve(n.params.uri));
    });
    const sub = await modern.listen({ resourceSubscriptions: [uri] });
    // The upstream then sends an update for each subscribed URI at once and every 5 s (started and stopped by the tool).
    const toggle = (): Promise<unknown> => modern.callTool({ name: 'every__toggle-subscriber-updates', arguments: {} });
    await toggle();
    try {
      expect(await updated).toBe(uri);
    } finally {
      await toggle();
    }
    await sub.close();
    await modern.close();
  }, 20_000);

  it('keeps the gateway\'s guards on modern requests: Origin, JSON depth', async () => {
    const origin = await post({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: { _meta: ENVELOPE } }, { origin: 'http://evil.example' });
    expect(origin.status).toBe(403);
    let deep: unknown = 'x';
    for (let i = 0; i < 200; i++) deep = [deep];
    const tooDeep = await post({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: { name: 'every__echo', arguments: { message: deep }, _meta: ENVELOPE } },
      { 'mcp-name': 'every__echo' });
    expect(tooDeep.status).toBe(400);
    expect((tooDeep.json.error as { message: string }).message).toMatch(/nested deeper than/);
  });

  it('bridges an upstream\'s sampling and elicitation requests mid-call into input_required rounds', async () => {
    const client = new ModernClient({ name: 'modern-input', version: '1.0.0' }, {
      versionNegotiation: { mode: { pin: MODERN } }, capabilities: { sampling: {}, elicitation: { form: {} } },
    });
    const asked: string[] = [];
    client.setRequestHandler('sampling/createMessage', async (request) => {
      asked.push(`sampling: ${JSON.stringify(request.params.messages)}`);
      return { role: 'assistant', content: { type: 'text', text: 'sampled by the modern client' }, model: 'test-model', stopReason: 'endTurn' };
    });
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(`elicitation: ${request.params.message}`);
      return { action: 'accept', content: { name: 'Ada' } };
    });
    await client.connect(new ModernTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
    const sampled = await client.callTool({ name: 'every__trigger-sampling-request', arguments: { prompt: 'ping-modern' } });
    expect(JSON.stringify(sampled.content)).toContain('sampled by the modern client');
    const elicited = await client.callTool({ name: 'every__trigger-elicitation-request', arguments: {} });
    expect(JSON.stringify(elicited.content)).toContain('Ada');
    expect(asked).toHaveLength(2);
    expect(asked[0]).toContain('ping-modern');
    expect(asked[1]).toMatch(/Please provide inputs/);
    await client.close();
  });

  it('refuses a retry whose request state was not minted here', async () => {
    const forged = await post({
      jsonrpc: '2.0', id: 11, method: 'tools/call',
      params: { name: 'every__echo', arguments: { message: 'x' }, requestState: 'forged-state', inputResponses: {}, _meta: ENVELOPE },
    }, { 'mcp-name': 'every__echo' });
    expect(forged.status).toBe(200);
    expect(forged.json.error).toMatchObject({ code: -32602, message: 'Invalid or expired requestState' });
  });

  it('a request state is good only for the client it was minted for: another key cannot take over the parked call', async () => {
    const envelope = { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };
    const call = (params: Record<string, unknown>, key: string): ReturnType<typeof post> => post({
      jsonrpc: '2.0', id: 12, method: 'tools/call', params: { name: 'every__trigger-elicitation-request', arguments: {}, ...params, _meta: envelope },
    }, { 'mcp-name': 'every__trigger-elicitation-request' }, key);
    const first = await call({}, fx.key);
    const round = first.json.result as { resultType: string; inputRequests: Record<string, { method: string }>; requestState: string };
    expect(round.resultType).toBe('input_required');
    const [key, request] = Object.entries(round.inputRequests)[0]!;
    expect(request.method).toBe('elicitation/create');
    const stolen = await call({ requestState: round.requestState, inputResponses: { [key]: { action: 'accept', content: { name: 'Mallory' } } } }, fx.keys.other!);
    expect(stolen.json.error).toMatchObject({ code: -32602, message: 'Invalid or expired requestState' });
    const resumed = await call({ requestState: round.requestState, inputResponses: { [key]: { action: 'decline' } } }, fx.key);
    const result = resumed.json.result as { resultType: string; content: { text: string }[] };
    expect(result.resultType).toBe('complete');
    expect(JSON.stringify(result.content)).toMatch(/declined/);
    // Used up: the same state again finds no parked call.
    const again = await call({ requestState: round.requestState, inputResponses: { [key]: { action: 'decline' } } }, fx.key);
    expect(again.json.error).toMatchObject({ code: -32602 });
  });

  it('relays a legacy upstream\'s log lines of a call to the modern client on that call\'s stream, filtered at the level its _meta names', async () => {
    const discover = await post({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: ENVELOPE } });
    expect((discover.json.result as { capabilities: Record<string, unknown> }).capabilities.logging).toEqual({});
    const modern = await modernClient();
    const heard: { level: string; data: string }[] = [];
    modern.setNotificationHandler('notifications/message', (n) => { heard.push({ level: n.params.level, data: String(n.params.data) }); });
    // server-everything logs one line (of a random level) at once when its simulated logging is
    // switched on, during that call; switching it off logs nothing.
    const toggle = async (level?: string): Promise<void> => {
      const call = await modern.callTool({ name: 'every__toggle-simulated-logging', arguments: {}, ...(level === undefined ? {} : { _meta: { 'io.modelcontextprotocol/logLevel': level } }) });
      expect(JSON.stringify(call.content)).toMatch(/logging/i);
    };
    await toggle('debug');
    expect(heard).toHaveLength(1);
    expect(heard[0]!.data).toMatch(/-level message|level-message/);
    await toggle('debug');
    heard.length = 0;
    // No level named: nothing, though the server logged.
    await toggle();
    await toggle();
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toEqual([]);
    // At `error`, only error and worse reach the client.
    for (let i = 0; i < 6; i++) await toggle('error');
    for (const line of heard) expect(['error', 'critical', 'alert', 'emergency']).toContain(line.level);
    // A level that is none of the eight is refused (-32602).
    const bad = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'every__echo', arguments: { message: 'x' }, _meta: { ...ENVELOPE, 'io.modelcontextprotocol/logLevel': 'loud' } } }, { 'mcp-name': 'every__echo' });
    expect((bad.json.error as { code: number }).code).toBe(-32602);
    await modern.close();
  }, 30_000);

  it('serves a virtual server (/mcp/<name>) to modern clients with its narrower view', async () => {
    const client = new ModernClient({ name: 'modern-vs', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    await client.connect(new ModernTransport(new URL(`${fx.origin}/mcp/files`), { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
    const names = await allToolNames((cursor) => client.listTools(cursor === undefined ? {} : { cursor }));
    expect(names.length).toBeGreaterThan(3);
    expect(names.every((n) => n.startsWith('fs__'))).toBe(true);
    const denied = await client.callTool({ name: 'every__echo', arguments: { message: 'x' } }).then(() => null, (err: Error) => err);
    expect(denied?.message).toMatch(/Unknown tool: every__echo/);
    await client.close();
    const unknown = await fetch(`${fx.origin}/mcp/nowhere`, {
      method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: ENVELOPE } }),
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list', authorization: `Bearer ${fx.key}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('answers an upstream\'s request the client did not declare the sub-capability for with an error, instead of parking the call', async () => {
    // The client can elicit forms but not URLs: the upstream's URL-mode elicitation cannot be embedded in
    // an input_required result (the SDK would refuse it after the call was parked, leaving it parked).
    const envelope = { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };
    const answer = await post({
      jsonrpc: '2.0', id: 20, method: 'tools/call',
      params: { name: 'every__trigger-url-elicitation', arguments: { url: 'https://example.com/consent' }, _meta: envelope },
    }, { 'mcp-name': 'every__trigger-url-elicitation' });
    expect(answer.status).toBe(200);
    expect(answer.json.error, JSON.stringify(answer.json)).toBeUndefined();
    const result = answer.json.result as { resultType: string; isError?: boolean };
    expect(result.resultType).toBe('complete');
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).toContain('elicitation.url');
  });

  it('a request state is good only at the endpoint it was minted at: /mcp/<virtual> cannot resume a call of /mcp', async () => {
    const envelope = { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } };
    const call = (url: URL, params: Record<string, unknown>): Promise<Answer> => postTo(url, {
      jsonrpc: '2.0', id: 21, method: 'tools/call', params: { name: 'every__trigger-elicitation-request', arguments: {}, ...params, _meta: envelope },
    }, { 'mcp-name': 'every__trigger-elicitation-request' });
    const first = await call(fx.mcpUrl, {});
    const round = first.json.result as { resultType: string; inputRequests: Record<string, { method: string }>; requestState: string };
    expect(round.resultType).toBe('input_required');
    const [key] = Object.keys(round.inputRequests);
    const elsewhere = await call(new URL(`${fx.origin}/mcp/all`), { requestState: round.requestState, inputResponses: { [key!]: { action: 'decline' } } });
    expect(elsewhere.json.error).toMatchObject({ code: -32602, message: 'Invalid or expired requestState' });
    const resumed = await call(fx.mcpUrl, { requestState: round.requestState, inputResponses: { [key!]: { action: 'decline' } } });
    expect((resumed.json.result as { resultType: string }).resultType).toBe('complete');
  });

  it('caps the modern requests one client has in flight (mcp.max_requests_in_flight_per_client) without holding up other clients', async () => {
    const other = await modernClient(fx.keys.other);
    const started: Promise<void>[] = [];
    const calls = Array.from({ length: 4 }, () => {
      let begun!: () => void;
      started.push(new Promise<void>((r) => { begun = r; }));
      return other.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 3, steps: 6 } }, { onprogress: () => begun() });
    });
    await Promise.all(started);
    const echo = { jsonrpc: '2.0', id: 22, method: 'tools/call', params: { name: 'every__echo', arguments: { message: 'one more' }, _meta: ENVELOPE } };
    const refused = await post(echo, { 'mcp-name': 'every__echo' }, fx.keys.other!);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(refused.json.id).toBe(22);
    expect(refused.json.error).toMatchObject({ code: -32029, data: { code: 'LR_ERR_RATE_LIMITED', retry_after_s: 1, limit: { kind: 'concurrent', setting: 'mcp.max_requests_in_flight_per_client', max: 4 } } });
    expect((refused.json.error as { message: string }).message).toMatch(/4 MCP requests .* in flight/);
    // Another client is not held up by this one's requests.
    expect((await post(echo, { 'mcp-name': 'every__echo' })).status).toBe(200);
    for (const result of await Promise.all(calls)) expect(JSON.stringify(result.content)).toMatch(/Long running operation completed/);
    expect((await post(echo, { 'mcp-name': 'every__echo' }, fx.keys.other!)).status).toBe(200);
    await other.close();
  }, 30_000);

  it('caps the subscriptions/listen streams one client holds open (mcp.max_listen_streams_per_client) with a clear error', async () => {
    const listenStatus = async (key: string): Promise<{ status: number; json: Record<string, unknown> | null; close(): void }> => {
      const abort = new AbortController();
      const res = await fetch(fx.mcpUrl, {
        method: 'POST', signal: abort.signal,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'subscriptions/listen', authorization: `Bearer ${key}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 23, method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: ENVELOPE } }),
      });
      const json = res.headers.get('content-type')?.startsWith('application/json') ? await res.json() as Record<string, unknown> : null;
      return { status: res.status, json, close: () => abort.abort() };
    };
    const clients = [await modernClient(fx.keys.other), await modernClient(fx.keys.other)];
    const subs = [await clients[0]!.listen({ toolsListChanged: true }), await clients[1]!.listen({ toolsListChanged: true })];
    const third = await listenStatus(fx.keys.other!);
    third.close();
    expect(third.status).toBe(429);
    expect(third.json?.error).toMatchObject({ code: -32029, data: { code: 'LR_ERR_RATE_LIMITED', retry_after_s: 1, limit: { kind: 'concurrent', setting: 'mcp.max_listen_streams_per_client', max: 2 } } });
    expect((third.json?.error as { message: string }).message).toMatch(/2 subscriptions\/listen streams open/);
    // Another client may still listen.
    const mine = await listenStatus(fx.key);
    mine.close();
    expect(mine.status).toBe(200);
    // A stream that ends frees its place (once the gateway has seen it end).
    await subs[0]!.close();
    let again = await listenStatus(fx.keys.other!);
    for (let i = 0; again.status === 429 && i < 100; i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await listenStatus(fx.keys.other!);
    }
    again.close();
    expect(again.status).toBe(200);
    await subs[1]!.close();
    for (const c of clients) await c.close();
  }, 30_000);
});
