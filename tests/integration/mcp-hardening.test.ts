import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, McpError, ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { generateClientKey } from '../../src/secrets/index.js';
import { connectClient, EVERYTHING, startMcpGateway, type McpGatewayFixture, toolText } from '../helpers/mcp-fixture.js';

/**
 * No MCP request can crash, hijack or starve the gateway: JSON nested deeper than
 * `server.max_json_depth` from a client or an upstream, an uncaught exception in the MCP actor
 * thread, and one client opening sessions without end. The crash cases run the gateway in its own
 * process (`localrouter serve`), so "the process stays up" is observed, not assumed.
 */

const BIN = path.resolve('bin/localrouter');
const DEEP_SERVER = path.resolve('tests/integration/fixtures/mcp-deep-server.mjs');
const ACCEPT = 'application/json, text/event-stream';
const PROTOCOL = '2025-11-25';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

interface ServeProcess {
  child: ChildProcess;
  origin: string;
  key: string;
  home: string;
  stderr(): string;
  alive(): boolean;
  stop(): Promise<void>;
}

/** `localrouter serve` in a temp home with the deep server, one client, and the test hooks on. */
async function serve(): Promise<ServeProcess> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcp-hard-'));
  const k = generateClientKey();
  const config = {
    server: { shutdown_grace_ms: 200 },
    monitoring: { enabled: false },
    mcp_servers: [{ name: 'deep', transport: 'stdio', command: process.execPath, args: [DEEP_SERVER] }],
    mcp: { restart_initial_ms: 100 },
    clients: [{ id: 'c_hardening01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const env = { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_LOG_LEVEL: 'info', LOCALROUTER_TEST_HOOKS: '1' };
  const child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exited.then(() => reject(new Error(`serve exited: ${err}`)));
  });
  return {
    child, origin: `http://127.0.0.1:${port}`, key: k.key, home, stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

async function connect(origin: string, key: string, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const client = new Client({ name: 'hardening', version: '1' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

async function rpcError(res: Response): Promise<{ code: number; message: string; data?: { code?: string } }> {
  return ((await res.json()) as { error: { code: number; message: string; data?: { code?: string } } }).error;
}

describe('the MCP gateway in its own process', () => {
  let srv: ServeProcess;
  const post = (body: string, headers: Record<string, string> = {}, route = '/mcp'): Promise<Response> => fetch(`${srv.origin}${route}`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${srv.key}`, ...headers },
  });
  const actorRestarts = async (): Promise<number> => {
    const token = fs.readFileSync(path.join(srv.home, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${srv.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { actor_restarts: number }).actor_restarts;
  };

  beforeAll(async () => { srv = await serve(); }, 60_000);
  afterAll(async () => { await srv?.stop(); });

  it('answers an initialize nested 6,000 levels deep with 400 and -32600, and keeps serving', async () => {
    const body = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"${PROTOCOL}","capabilities":{},"clientInfo":{"name":"raw","version":"1"},"x":${nested(6000)}}}`;
    expect(body.length).toBeLessThan(13_000);
    const res = await post(body);
    expect(res.status).toBe(400);
    const error = await rpcError(res);
    expect(error.code).toBe(-32600);
    expect(error.message).toMatch(/nested deeper than 64 levels.*server\.max_json_depth/);
    await new Promise((r) => setTimeout(r, 300));
    expect(srv.alive()).toBe(true);
    expect((await fetch(`${srv.origin}/health`)).status).toBe(200);
    const client = await connect(srv.origin, srv.key);
    expect(toolText(await client.callTool({ name: 'deep__echo', arguments: { message: 'still here' } }))).toBe('Echo: still here');
    await client.close();
  });

  it('refuses too deep messages on an open session and on the legacy /messages endpoint; moderate nesting passes', async () => {
    const init = await post(JSON.stringify(INIT));
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL };
    const call = (args: string, id = 2): string => `{"jsonrpc":"2.0","id":${id},"method":"tools/call","params":{"name":"deep__echo","arguments":${args}}}`;
    const single = await post(call(`{"message":"x","pad":${nested(6000)}}`), h);
    expect(single.status).toBe(400);
    expect((await rpcError(single)).code).toBe(-32600);
    const batch = await post(`[${call(`{"pad":${nested(100)}}`)}]`, h);
    expect(batch.status).toBe(400);
    expect((await rpcError(batch)).code).toBe(-32600);
    const moderate = await post(call(`{"message":"ok","pad":${nested(40)}}`, 3), h);
    expect(moderate.status).toBe(200);
    expect(toolText(((await moderate.json()) as { result: unknown }).result)).toBe('Echo: ok');

    // Legacy HTTP+SSE: the endpoint event names the session's /messages URL.
    const abort = new AbortController();
    const stream = await fetch(`${srv.origin}/sse`, { headers: { authorization: `Bearer ${srv.key}`, accept: 'text/event-stream' }, signal: abort.signal });
    const reader = stream.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    const endpoint = /data: (\S+)/.exec(text)![1]!;
    const legacy = await post(`{"jsonrpc":"2.0","id":9,"method":"ping","params":{"x":${nested(6000)}}}`, {}, `/${endpoint}`);
    expect(legacy.status).toBe(400);
    expect((await rpcError(legacy)).code).toBe(-32600);
    abort.abort();
    expect(srv.alive()).toBe(true);
  });

  it('fails only the call whose upstream answer is nested too deep; deep notifications and requests from upstream are refused', async () => {
    const client = await connect(srv.origin, srv.key, { sampling: {} });
    let sampled = 0;
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      sampled++;
      return { model: 'm', role: 'assistant', content: { type: 'text', text: 'never' } };
    });
    const failed = await client.callTool({ name: 'deep__deep', arguments: {} }).then(() => null, (e: unknown) => e);
    expect(failed).toBeInstanceOf(McpError);
    expect((failed as McpError).message).toMatch(/"deep" answered with JSON nested deeper than 64 levels/);
    expect((failed as McpError).data).toMatchObject({ code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' });
    // The same session keeps working: the actor did not crash.
    expect(toolText(await client.callTool({ name: 'deep__echo', arguments: { message: 'after' } }))).toBe('Echo: after');
    expect(toolText(await client.callTool({ name: 'deep__deep-log', arguments: {} }))).toBe('logged');
    // The upstream's too deep sampling request is answered with an error, never forwarded.
    const reply = JSON.parse(toolText(await client.callTool({ name: 'deep__deep-sample', arguments: {} }))) as { error?: { code: number; message: string } };
    expect(reply.error?.code).toBe(-32600);
    expect(reply.error?.message).toMatch(/nested deeper than 64 levels/);
    expect(sampled).toBe(0);
    await client.close();
    expect(srv.alive()).toBe(true);
    expect(await actorRestarts()).toBe(0);
    expect(srv.stderr()).toMatch(/MCP server sent a message nested too deep/);
  });

  it('an uncaught exception in the MCP actor thread: in-flight calls get a coded error, the thread restarts, the process stays up', async () => {
    const before = await actorRestarts();
    const busy = await connect(srv.origin, srv.key);
    const pending = busy.callTool({ name: 'deep__sleep', arguments: { ms: 20_000 } }, undefined, { timeout: 30_000 }).then(() => null, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 200));
    const crasher = await connect(srv.origin, srv.key);
    const crash = await crasher.request({ method: 'localrouter/test/crash-actor' }, ResultSchema).then(() => null, (e: unknown) => e);
    for (const err of [crash, await pending]) {
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe(-32603);
      expect((err as McpError).message).toMatch(/MCP actor crashed/);
      expect((err as McpError).data).toMatchObject({ code: 'LR_ERR_ACTOR_CRASHED' });
    }
    expect(srv.alive()).toBe(true);
    expect(await actorRestarts()).toBe(before + 1);
    // The crash is logged with its stack.
    const line = srv.stderr().split('\n').find((l) => l.includes('MCP actor crashed'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!) as { err?: { message: string; stack: string } };
    expect(logged.err?.message).toBe('test hook: MCP actor crash');
    expect(logged.err?.stack).toMatch(/\n\s+at /);
    // The old sessions are gone; a new one works.
    const fresh = await connect(srv.origin, srv.key);
    expect(toolText(await fresh.callTool({ name: 'deep__echo', arguments: { message: 'fresh' } }))).toBe('Echo: fresh');
    await fresh.close();
  });

  it('keeps restarting an actor that crashes again and again (with backoff), and serves once it stops', async () => {
    const before = await actorRestarts();
    for (let i = 0; i < 4; i++) {
      const c = await connect(srv.origin, srv.key);
      await expect(c.request({ method: 'localrouter/test/crash-actor' }, ResultSchema)).rejects.toThrow(/MCP actor crashed/);
    }
    expect(await actorRestarts()).toBe(before + 4);
    const c = await connect(srv.origin, srv.key);
    expect(toolText(await c.callTool({ name: 'deep__echo', arguments: { message: 'back' } }))).toBe('Echo: back');
    await c.close();
    expect(srv.alive()).toBe(true);
    expect(srv.stderr()).toMatch(/"restartInMs":[1-9]/);
  });
});

describe('MCP sessions per client', () => {
  let fx: McpGatewayFixture;

  beforeAll(async () => {
    fx = await startMcpGateway({
      servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
      mcp: { max_sessions_per_client: 3 },
      clients: [{ name: 'other' }],
    });
  }, 60_000);
  afterAll(async () => { await fx?.close(); });

  const post = (body: unknown, key: string, headers: Record<string, string> = {}): Promise<Response> => fetch(fx.mcpUrl, {
    method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', accept: ACCEPT, authorization: `Bearer ${key}`, ...headers },
  });
  const open = async (key: string): Promise<string> => {
    const res = await post(INIT, key);
    expect(res.status).toBe(200);
    await res.text();
    return res.headers.get('mcp-session-id')!;
  };
  const mcpStatus = async (): Promise<{ sessions: number; actor_restarts: number }> => {
    const res = await fetch(new URL('/api/mcp/servers', fx.mcpUrl), { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
    return await res.json() as { sessions: number; actor_restarts: number };
  };
  const ping = async (sid: string, key: string): Promise<number> => {
    const res = await post({ jsonrpc: '2.0', id: 7, method: 'ping' }, key, { 'mcp-session-id': sid, 'mcp-protocol-version': PROTOCOL });
    await res.text();
    return res.status;
  };

  it('a client over its cap loses its least recently used idle session, and other clients are not affected', async () => {
    const others = [await open(fx.keys.other!), await open(fx.keys.other!)];
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) mine.push(await open(fx.key));
    expect(await ping(mine[0]!, fx.key)).toBe(200); // mine[1] is now the least recently used
    for (let i = 0; i < 5; i++) mine.push(await open(fx.key));
    expect((await mcpStatus()).sessions).toBe(5);
    expect(await ping(mine[1]!, fx.key)).toBe(404);
    expect(await ping(mine[0]!, fx.key)).toBe(404);
    for (const sid of mine.slice(-3)) expect(await ping(sid, fx.key)).toBe(200);
    for (const sid of others) expect(await ping(sid, fx.keys.other!)).toBe(200);
    expect(await open(fx.keys.other!)).toMatch(/^[0-9a-f-]{36}$/);
    for (const sid of [...mine.slice(-3)]) await fetch(fx.mcpUrl, { method: 'DELETE', headers: { authorization: `Bearer ${fx.key}`, 'mcp-session-id': sid } });
  });

  it('never ends a session with a call in flight: when all are busy, a new one is refused with 503', async () => {
    const clients: Client[] = [];
    for (let i = 0; i < 3; i++) clients.push(await connectClient(fx));
    const calls = clients.map((c) => c.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 2, steps: 2 } }, undefined, { timeout: 30_000 }));
    await new Promise((r) => setTimeout(r, 300));
    const refused = await post(INIT, fx.key);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/mcp\.max_sessions_per_client = 3/);
    for (const result of await Promise.all(calls)) expect(toolText(result)).toContain('completed');
    // Idle again: the next session replaces the least recently used one.
    expect(await open(fx.key)).toMatch(/^[0-9a-f-]{36}$/);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  });

  it('caps legacy SSE streams per client too', async () => {
    const aborts: AbortController[] = [];
    const openSse = async (key: string): Promise<number> => {
      const abort = new AbortController();
      aborts.push(abort);
      const res = await fetch(new URL('/sse', fx.mcpUrl), { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' }, signal: abort.signal });
      if (res.status !== 200) await res.text();
      return res.status;
    };
    try {
      for (let i = 0; i < 3; i++) expect(await openSse(fx.key)).toBe(200);
      expect(await openSse(fx.key)).toBe(503);
      expect(await openSse(fx.keys.other!)).toBe(200);
    } finally {
      for (const a of aborts) a.abort();
    }
    const legacy = new Client({ name: 'legacy', version: '1' });
    const headers = { authorization: `Bearer ${fx.key}` };
    await expect.poll(async () => {
      try {
        await legacy.connect(new SSEClientTransport(new URL('/sse', fx.mcpUrl), {
          requestInit: { headers }, eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
        }));
        return true;
      } catch {
        return false;
      }
    }, { timeout: 5000 }).toBe(true);
    await legacy.close();
  });

  it('the actor crash hook is inert without LOCALROUTER_TEST_HOOKS', async () => {
    const client = await connectClient(fx);
    await expect(client.request({ method: 'localrouter/test/crash-actor' }, ResultSchema)).rejects.toThrow(/-32601/);
    expect((await mcpStatus()).actor_restarts).toBe(0);
    await client.close();
  });
});
