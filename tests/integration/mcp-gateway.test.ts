import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, ListToolsResultSchema, ResourceListChangedNotificationSchema, type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { connectClient, EVERYTHING, FILESYSTEM, startEverythingHttp, startMcpGateway, type McpGatewayFixture, toolText } from '../helpers/mcp-fixture.js';

let fx: McpGatewayFixture;
let web: Awaited<ReturnType<typeof startEverythingHttp>>;
let dir: string;
const PAGE = 7;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcp-fs-'));
  fs.writeFileSync(path.join(dir, 'hello.txt'), 'hello from the filesystem server\n');
  web = await startEverythingHttp();
  fx = await startMcpGateway({
    servers: [
      { name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
      { name: 'fs', transport: 'stdio', command: process.execPath, args: [FILESYSTEM, dir] },
      { name: 'web', transport: 'streamable-http', url: web.url, timeout_ms: 1500 },
      { name: 'crashy', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
    ],
    mcp: { page_size: PAGE },
    strategies: [{ name: 'limited', mcp: { servers: ['every'], per_server: { every: { tools: { allow: ['*'], deny: ['trigger-*', 'get-env'] } } } } }],
    clients: [{ name: 'limited', strategy: 'limited' }],
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await web?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function allTools(client: Client): Promise<{ tools: Tool[]; pages: number }> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ListToolsResultSchema);
    tools.push(...page.tools);
    cursor = page.nextCursor;
    pages++;
  } while (cursor !== undefined);
  return { tools, pages };
}

describe('MCP gateway with real servers (STDIO, Streamable HTTP, filesystem)', () => {
  it('merges every upstream\'s tools, namespaced, metadata intact, paginated', async () => {
    const client = await connectClient(fx);
    const { tools, pages } = await allTools(client);
    expect(pages).toBeGreaterThan(1);
    const names = tools.map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain('every__echo');
    expect(names).toContain('web__echo');
    expect(names).toContain('fs__list_directory');
    // Compare with the upstream itself: everything but the name is unchanged.
    // With the capabilities the gateway offers upstream, the server lists its conditional tools too.
    const direct = new Client({ name: 'direct', version: '1' }, {
      capabilities: {
        sampling: {}, elicitation: { form: { applyDefaults: true }, url: {} },
        tasks: { list: {}, cancel: {}, requests: { sampling: { createMessage: {} }, elicitation: { create: {} } } },
      },
    });
    await direct.connect(new StreamableHTTPClientTransport(new URL(web.url)));
    const upstream = (await direct.listTools()).tools;
    await direct.close();
    const long = upstream.find((t) => t.name === 'trigger-long-running-operation')!;
    const merged = tools.find((t) => t.name === 'web__trigger-long-running-operation')!;
    expect({ ...merged, name: long.name }).toEqual(long);
    expect(merged.annotations?.readOnlyHint).toBe(true);
    expect(merged.title).toBe('Trigger Long Running Operation Tool');
    expect(tools.filter((t) => t.name.startsWith('web__')).length).toBe(upstream.length);
    await client.close();
  });

  it('calls tools on each upstream with the original name', async () => {
    const client = await connectClient(fx);
    expect(toolText(await client.callTool({ name: 'every__echo', arguments: { message: 'stdio' } }))).toBe('Echo: stdio');
    expect(toolText(await client.callTool({ name: 'web__echo', arguments: { message: 'http' } }))).toBe('Echo: http');
    const sum = await client.callTool({ name: 'web__get-structured-content', arguments: { location: 'New York' } });
    expect(sum.structuredContent).toBeDefined();
    expect(toolText(await client.callTool({ name: 'fs__list_directory', arguments: { path: dir } }))).toContain('hello.txt');
    expect(toolText(await client.callTool({ name: 'fs__read_text_file', arguments: { path: path.join(dir, 'hello.txt') } }))).toContain('hello from the filesystem server');
    await expect(client.callTool({ name: 'every__no-such-tool', arguments: {} })).rejects.toThrow(/Unknown tool: every__no-such-tool/);
    await client.close();
  });

  it('forwards progress with the client\'s token, and progress extends the timeout', async () => {
    const client = await connectClient(fx);
    const seen: number[] = [];
    const t0 = Date.now();
    const result = await client.callTool({ name: 'web__trigger-long-running-operation', arguments: { duration: 2.4, steps: 6 } }, undefined, {
      onprogress: (p) => seen.push(p.progress), timeout: 30_000,
    });
    expect(Date.now() - t0).toBeGreaterThan(1500); // longer than the server's timeout_ms
    expect(toolText(result)).toContain('Long running operation completed');
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
    // Without progress the same wait runs into the 1.5 s timeout.
    await expect(client.callTool({ name: 'web__trigger-long-running-operation', arguments: { duration: 2.4, steps: 1 } }, undefined, { timeout: 30_000 }))
      .rejects.toThrow(/timed out/i);
    await client.close();
  });

  it('round-trips sampling and elicitation to the client that made the call', async () => {
    const client = await connectClient(fx, fx.key, { sampling: {}, elicitation: { form: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({
      model: 'test-model', role: 'assistant', content: { type: 'text', text: `sampled: ${JSON.stringify(req.params.messages[0]!.content)}` },
    }));
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada Lovelace' } }));
    const viaStdio = toolText(await client.callTool({ name: 'every__trigger-sampling-request', arguments: { prompt: 'ping-stdio' } }));
    expect(viaStdio).toContain('sampled:');
    expect(viaStdio).toContain('ping-stdio');
    const viaHttp = toolText(await client.callTool({ name: 'web__trigger-sampling-request', arguments: { prompt: 'ping-http' } }));
    expect(viaHttp).toContain('ping-http');
    const elicited = toolText(await client.callTool({ name: 'web__trigger-elicitation-request', arguments: {} }, undefined, { timeout: 30_000 }));
    expect(elicited).toContain('Ada Lovelace');
    await client.close();
  });

  it('lists resources and templates, reads through a template, and sends list_changed', async () => {
    const client = await connectClient(fx);
    const changed = new Promise<void>((resolve) => client.setNotificationHandler(ResourceListChangedNotificationSchema, () => resolve()));
    const resources = (await client.listResources()).resources;
    expect(resources.some((r) => r.uri.startsWith('demo://resource/static/'))).toBe(true);
    const templates = (await client.listResourceTemplates()).resourceTemplates;
    expect(templates.map((t) => t.uriTemplate)).toContain('demo://resource/dynamic/text/{resourceId}');
    const read = await client.readResource({ uri: 'demo://resource/dynamic/text/7' });
    expect(read.contents[0]!.uri).toBe('demo://resource/dynamic/text/7');
    await expect(client.readResource({ uri: 'nowhere://x' })).rejects.toThrow(/Resource not found/);
    const data = `data:text/plain;base64,${Buffer.from('compress me').toString('base64')}`;
    await client.callTool({ name: 'every__gzip-file-as-resource', arguments: { name: 'x.gz', data, outputType: 'resourceLink' } });
    await changed;
    const after: { uri: string }[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listResources(cursor ? { cursor } : {});
      after.push(...page.resources);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    expect(after.some((r) => r.uri.includes('x.gz'))).toBe(true);
    await client.close();
  });

  it('merges prompts and routes prompts/get and completions', async () => {
    const client = await connectClient(fx);
    const prompts = (await client.listPrompts()).prompts.map((p) => p.name);
    expect(prompts).toContain('every__simple-prompt');
    expect(prompts).toContain('web__args-prompt');
    const got = await client.getPrompt({ name: 'every__args-prompt', arguments: { city: 'Paris' } });
    expect(JSON.stringify(got.messages)).toContain('Paris');
    const completion = await client.complete({ ref: { type: 'ref/prompt', name: 'every__completable-prompt' }, argument: { name: 'department', value: 'E' } });
    expect(completion.completion.values.length).toBeGreaterThan(0);
    await client.close();
  });

  it('keeps notifications and server requests inside the session that caused them', async () => {
    const a = await connectClient(fx, fx.key, { sampling: {} });
    const b = await connectClient(fx, fx.key, { sampling: {} });
    const bSampled: unknown[] = [];
    const bNotes: string[] = [];
    a.setRequestHandler(CreateMessageRequestSchema, async () => ({ model: 'm', role: 'assistant', content: { type: 'text', text: 'from-a' } }));
    b.setRequestHandler(CreateMessageRequestSchema, async (r) => { bSampled.push(r); return { model: 'm', role: 'assistant', content: { type: 'text', text: 'from-b' } }; });
    b.fallbackNotificationHandler = async (n) => { bNotes.push(n.method); };
    const aProgress: number[] = [];
    // Both sessions have calls in flight on the same Streamable HTTP upstream at once.
    const [sampled, , longA] = await Promise.all([
      a.callTool({ name: 'web__trigger-sampling-request', arguments: { prompt: 'only-a' } }),
      b.callTool({ name: 'web__trigger-long-running-operation', arguments: { duration: 0.6, steps: 2 } }),
      a.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, { onprogress: (p) => aProgress.push(p.progress) }),
    ]);
    expect(toolText(sampled)).toContain('from-a');
    expect(toolText(longA)).toContain('completed');
    expect(aProgress).toEqual([1, 2, 3]);
    expect(bSampled).toEqual([]);
    expect(bNotes.filter((m) => m === 'notifications/progress')).toEqual([]);
    await a.close();
    await b.close();
  });

  it('answers a call cut by an upstream crash with a clean error, restarts the server, and serves the next call', async () => {
    const client = await connectClient(fx);
    await client.callTool({ name: 'crashy__echo', arguments: { message: 'warm' } });
    const pending = client.callTool({ name: 'crashy__trigger-long-running-operation', arguments: { duration: 5, steps: 5 } }, undefined, { timeout: 30_000 });
    await new Promise((r) => setTimeout(r, 300));
    const pids = childPids().filter((p) => p.args.includes('server-everything'));
    expect(pids.length).toBeGreaterThanOrEqual(2);
    // The newest everything process on STDIO is crashy's (started by the last call).
    for (const p of pids) if (p.args.includes('stdio') && p.pid === Math.max(...pids.map((x) => x.pid))) process.kill(p.pid, 'SIGKILL');
    await expect(pending).rejects.toThrow(/crashy.*disconnected/);
    const again = await client.callTool({ name: 'crashy__echo', arguments: { message: 'back' } });
    expect(toolText(again)).toBe('Echo: back');
    const status = await (await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } })).json() as { servers: { name: string; restarts: number; state: string }[] };
    expect(status.servers.find((s) => s.name === 'crashy')).toMatchObject({ state: 'ready', restarts: 1 });
    await client.close();
  });

  it('hides what a strategy does not allow, and refuses calls to it', async () => {
    const client = await connectClient(fx, fx.keys.limited);
    const { tools } = await allTools(client);
    const names = tools.map((t) => t.name);
    expect(names).toContain('every__echo');
    expect(names.some((n) => n.startsWith('web__') || n.startsWith('fs__'))).toBe(false);
    expect(names.some((n) => n.startsWith('every__trigger-') || n === 'every__get-env')).toBe(false);
    await expect(client.callTool({ name: 'every__get-env', arguments: {} })).rejects.toThrow(/-32602.*Unknown tool/);
    await expect(client.callTool({ name: 'web__echo', arguments: { message: 'x' } })).rejects.toThrow(/Unknown tool/);
    expect((await client.listPrompts()).prompts.every((p) => p.name.startsWith('every__'))).toBe(true);
    await client.close();
  });
});

function childPids(): { pid: number; args: string }[] {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim()).map((l) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(l)!;
    return { pid: Number(m[1]), args: m[2]! };
  });
}

const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };
const ACCEPT = 'application/json, text/event-stream';

describe('/mcp at the HTTP level', () => {
  async function post(body: unknown, headers: Record<string, string> = {}, query = ''): Promise<Response> {
    return fetch(`${fx.origin}/mcp${query}`, {
      method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${fx.key}`, ...headers },
    });
  }

  it('refuses a missing or wrong key with 401 and a JSON-RPC error', async () => {
    const missing = await post(INIT, { authorization: '' });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toContain('Bearer');
    expect(((await missing.json()) as { error: { message: string } }).error.message).toMatch(/missing API key/);
    const wrong = await post(INIT, { authorization: 'Bearer lr-not-a-real-key' });
    expect(wrong.status).toBe(401);
  });

  it('refuses a foreign Origin with 403 (DNS rebinding)', async () => {
    const res = await post(INIT, { origin: 'http://evil.example' });
    expect(res.status).toBe(403);
  });

  it('accepts ?token= for clients that cannot set headers, and issues Mcp-Session-Id', async () => {
    const res = await post(INIT, { authorization: '' }, `?token=${encodeURIComponent(fx.key)}`);
    expect(res.status).toBe(200);
    const sid = res.headers.get('mcp-session-id');
    expect(sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(await res.text()).toContain('"protocolVersion":"2025-11-25"');
    const del = await fetch(`${fx.origin}/mcp?token=${encodeURIComponent(fx.key)}`, { method: 'DELETE', headers: { 'mcp-session-id': sid! } });
    expect(del.status).toBe(200);
  });

  it('answers 404 for an unknown session and for another client\'s session', async () => {
    expect((await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': 'no-such-session' })).status).toBe(404);
    const init = await post(INIT);
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const other = await post({ jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sid, authorization: `Bearer ${fx.keys.limited}` });
    expect(other.status).toBe(404);
  });

  it('rejects bad JSON, non-JSON-RPC bodies, a missing session and an unknown protocol version', async () => {
    const badJson = await post('{"jsonrpc":');
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { code: number } }).error.code).toBe(-32700);
    expect((await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' })).status).toBe(400); // no session, not initialize
    const init = await post(INIT);
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const notRpc = await post({ hello: 'world' }, { 'mcp-session-id': sid });
    expect(notRpc.status).toBe(400);
    const version = await post({ jsonrpc: '2.0', id: 4, method: 'ping' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' });
    expect(version.status).toBe(400);
    const ok = await post({ jsonrpc: '2.0', id: 5, method: 'no/such-method' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' });
    expect(await ok.text()).toContain('-32601');
  });

  it('answers a request as plain JSON when nothing else comes first, as SSE when progress does, and a notification with 202', async () => {
    const init = await post(INIT);
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-11-25' };
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, h)).status).toBe(202);
    const call = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'every__echo', arguments: { message: 'plain' } } }, h);
    expect(call.headers.get('content-type')).toBe('application/json');
    expect(call.headers.get('mcp-session-id')).toBe(sid);
    expect(await call.json()).toEqual({ jsonrpc: '2.0', id: 2, result: { content: [{ type: 'text', text: 'Echo: plain' }] } });
    // A cached page is served as the same bytes every time.
    const first = await (await post({ jsonrpc: '2.0', id: 3, method: 'tools/list' }, h)).text();
    const again = await (await post({ jsonrpc: '2.0', id: 4, method: 'tools/list' }, h)).text();
    expect(again).toBe(first.replace('"id":3', '"id":4'));
    expect((JSON.parse(first) as { result: { tools: unknown[] } }).result.tools).toHaveLength(PAGE);
    const progress = await post({
      jsonrpc: '2.0', id: 5, method: 'tools/call',
      params: { name: 'web__trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 }, _meta: { progressToken: 'tok' } },
    }, h);
    expect(progress.headers.get('content-type')).toBe('text/event-stream');
    const events = (await progress.text()).split('\n\n').filter((e) => e.includes('data: '));
    expect(events.length).toBeGreaterThanOrEqual(3);
    expect(events[0]).toContain('"progressToken":"tok"');
    expect(events.at(-1)).toContain('"id":5');
    await fetch(`${fx.origin}/mcp`, { method: 'DELETE', headers: { ...h, authorization: `Bearer ${fx.key}` } });
  });

  it('negotiates an older protocol revision with an older client', async () => {
    const res = await post({ ...INIT, params: { ...INIT.params, protocolVersion: '2025-03-26' } });
    expect(await res.text()).toContain('"protocolVersion":"2025-03-26"');
  });

  it('serves legacy HTTP+SSE clients', async () => {
    const { SSEClientTransport } = await import('@modelcontextprotocol/sdk/client/sse.js');
    const headers = { authorization: `Bearer ${fx.key}` };
    const client = new Client({ name: 'legacy', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`${fx.origin}/sse`), {
      requestInit: { headers },
      eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
    }));
    expect((await client.listTools()).tools.length).toBe(PAGE);
    expect(toolText(await client.callTool({ name: 'every__echo', arguments: { message: 'legacy' } }))).toBe('Echo: legacy');
    await client.close();
  });
});
