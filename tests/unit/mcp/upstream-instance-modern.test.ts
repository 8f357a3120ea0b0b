import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamInstance, type UpstreamEvents } from '../../../src/mcp/upstream-instance.js';
import type { McpServerRuntime } from '../../../src/workers/index.js';
import { startEverythingHttp } from '../../helpers/mcp-fixture.js';
import { startModernMcpServer } from '../../helpers/modern-mcp-server.js';

/**
 * An `UpstreamInstance` in front of a 2026-07-28 server that misbehaves on purpose (a scripted
 * node:http server), of the v2 server SDK's server behind a balancer that is rolled back to a 1.x
 * server (server-everything), and of 1.x servers that mishandle the probe.
 */
type Msg = { id?: number; method: string; params?: Record<string, unknown> };
type Script = (msg: Msg, req: http.IncomingMessage, res: http.ServerResponse) => boolean;

const servers: Array<() => Promise<void>> = [];
const instances: UpstreamInstance[] = [];

afterEach(async () => {
  await Promise.all(instances.splice(0).map((i) => i.close()));
  await Promise.all(servers.splice(0).map((close) => close()));
});

function reply(res: http.ServerResponse, id: number | undefined, result: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', id, result }));
}

/** A scripted 2026-07-28 server: `script` may answer a request itself (true), else a plain answer goes back. `seen`: each request's method (and tool). */
async function scriptedModern(script: Script): Promise<{ url: string; seen: string[]; listens: Array<Record<string, unknown>> }> {
  const seen: string[] = [];
  const listens: Array<Record<string, unknown>> = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const msg = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Msg;
      seen.push(msg.method === 'tools/call' ? `tools/call ${String(msg.params?.name)}` : msg.method);
      if (script(msg, req, res)) return;
      if (msg.method === 'server/discover') {
        return reply(res, msg.id, { supportedVersions: ['2026-07-28'], capabilities: { tools: {}, resources: { subscribe: true } }, serverInfo: { name: 'scripted', version: '1' }, resultType: 'complete' });
      }
      if (msg.method === 'subscriptions/listen') {
        listens.push(msg.params?.notifications as Record<string, unknown>);
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const ack = { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: msg.params?.notifications, _meta: { 'io.modelcontextprotocol/subscriptionId': msg.id } } };
        return void res.write(`event: message\ndata: ${JSON.stringify(ack)}\n\n`);
      }
      if (msg.method === 'tools/list') return reply(res, msg.id, { tools: [{ name: 'echo', inputSchema: { type: 'object' } }], ttlMs: 0, cacheScope: 'private', resultType: 'complete' });
      reply(res, msg.id, { content: [{ type: 'text', text: `done ${String(msg.params?.name)}` }], resultType: 'complete' });
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(async () => {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`, seen, listens };
}

/** A front that passes everything to `target()` except what `intercept` answers itself. */
async function front(target: () => string, intercept: (body: Buffer, res: http.ServerResponse) => boolean = () => false): Promise<{ url: string; seen: string[] }> {
  const seen: string[] = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const method = /"method":"([^"]+)"/.exec(body.toString())?.[1];
      if (method !== undefined) seen.push(method);
      if (intercept(body, res)) return;
      const t = new URL(target());
      const up = http.request(t, { method: req.method, headers: { ...req.headers, host: t.host } }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      up.on('error', () => { res.writeHead(502); res.end(); });
      up.end(body);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(async () => {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
  });
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/mcp`, seen };
}

function instance(url: string, timeoutMs = 10_000): { inst: UpstreamInstance; states: string[] } {
  const states: string[] = [];
  const events = {
    changed() {}, resourceUpdated() {}, taskStatus() {}, log() {}, serverRequest: async () => ({}), stderr() {}, refused() {}, oauthSaved() {},
    state: (_i: unknown, s: string) => { states.push(s); },
  } as unknown as UpstreamEvents;
  const runtime: McpServerRuntime = {
    name: 'm', namespace: 'm', transport: 'streamable-http', command: null, args: [], env: {}, cwd: null, url, headers: {},
    connect: 'lazy', perSession: false, timeoutMs, maxTotalTimeoutMs: 0, protocol: 'auto', oauth: null,
  };
  const inst = new UpstreamInstance(runtime, null, events, { version: '1', restartInitialMs: 50, restartMaxMs: 500, maxJsonDepth: 64, healthIntervalMs: 0, healthTimeoutMs: 1000 });
  instances.push(inst);
  return { inst, states };
}

const text = (r: Record<string, unknown>): string => JSON.stringify(r.content);
const failure = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (e: Error) => `failed: ${e.message}`);

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('UpstreamInstance of a 2026-07-28 server', () => {
  it('fails only the call whose request was refused (401) or cut, and keeps the others in flight and the connection', async () => {
    const server = await scriptedModern((msg, req, res) => {
      const tool = msg.params?.name;
      if (tool === 'slow') return void setTimeout(() => reply(res, msg.id, { content: [{ type: 'text', text: 'slow done' }], resultType: 'complete' }), 800), true;
      if (tool === 'refused') return res.writeHead(401, { 'content-type': 'application/json' }), res.end('{}'), true;
      if (tool === 'cut') return req.socket.destroy(), true;
      return false;
    });
    const { inst, states } = instance(server.url);
    await inst.ready();
    const other = inst.request('tools/call', { name: 'slow' }, { call: null });
    await new Promise((r) => setTimeout(r, 100));
    expect(await failure(inst.request('tools/call', { name: 'refused' }, { call: null }))).toMatch(/^failed/);
    expect(await failure(inst.request('tools/call', { name: 'cut' }, { call: null }))).toMatch(/^failed/);
    expect(text(await other)).toContain('slow done');
    // The refused request went to the OAuth client, which has no login to refresh: it is not sent
    // again (with a login it is, once, with the refreshed token). The cut tool call was not either (it may have run).
    expect(server.seen.filter((m) => m === 'tools/call refused')).toHaveLength(1);
    expect(server.seen.filter((m) => m === 'tools/call cut')).toHaveLength(1);
    expect(server.seen.filter((m) => m === 'server/discover')).toHaveLength(1);
    expect(inst.restarts).toBe(0);
    expect(states).not.toContain('backoff');
    // A refused token marks a login needed, until a request gets through again.
    expect(await failure(inst.request('tools/call', { name: 'refused' }, { call: null }))).toMatch(/refused the token \(HTTP 401\) and LocalRouter could not renew the login/);
    expect(inst.needsLogin).toBe(true);
    await inst.request('tools/call', { name: 'x' }, { call: null });
    expect(inst.needsLogin).toBe(false);
  });

  it('sends a list request cut by a reset once more', async () => {
    let cuts = 0;
    const server = await scriptedModern((msg, req) => (msg.method === 'tools/list' && cuts++ === 0 ? (req.socket.destroy(), true) : false));
    const { inst } = instance(server.url);
    const listed = await inst.request('tools/list', {}, { call: null });
    expect(listed.tools).toEqual([{ name: 'echo', inputSchema: { type: 'object' } }]);
    expect(inst.restarts).toBe(0);
  });

  it('probes again after several requests fail in a row, and a new connection listens for the URIs the old one watched', async () => {
    let broken = false;
    const server = await scriptedModern((msg, req) => (broken && msg.method === 'tools/call' ? (req.socket.destroy(), true) : false));
    const { inst } = instance(server.url);
    await inst.request('resources/subscribe', { uri: 'memo://watched' }, { call: null });
    await waitFor(() => server.listens.some((l) => JSON.stringify(l).includes('memo://watched')));
    broken = true;
    for (let i = 0; i < 3; i++) await failure(inst.request('tools/call', { name: 'x' }, { call: null }));
    broken = false;
    await waitFor(() => server.seen.filter((m) => m === 'server/discover').length === 2);
    await inst.request('tools/call', { name: 'x' }, { call: null });
    // The new connection's first stream already asks for the watched URI.
    await waitFor(() => server.listens.length >= 2);
    expect(JSON.stringify(server.listens.at(-1))).toContain('memo://watched');
    expect(inst.restarts).toBe(1);
  });

  it('probes again when its listen stream is refused like a 1.x server would (400 "Server not initialized")', async () => {
    let refused = 0;
    const server = await scriptedModern((msg, _req, res) => {
      if (msg.method !== 'subscriptions/listen' || refused++ > 0) return false;
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Bad Request: Server not initialized' }, id: null }));
      return true;
    });
    const { inst } = instance(server.url);
    await inst.request('resources/subscribe', { uri: 'memo://watched' }, { call: null });
    await waitFor(() => server.seen.filter((m) => m === 'server/discover').length === 2);
    await waitFor(() => server.listens.length === 1);
    expect(JSON.stringify(server.listens[0])).toContain('memo://watched');
  });

  it('probes a server rolled back to 1.x again, and goes on with an initialize session', async () => {
    const modern = await startModernMcpServer();
    const old = await startEverythingHttp();
    servers.push(() => modern.close(), () => old.stop());
    let target = modern.url;
    const lb = await front(() => target);
    const { inst } = instance(lb.url);
    await inst.ready();
    expect(inst.era).toBe('modern');
    target = old.url;
    const listed = await inst.request('tools/list', {}, { call: null });
    expect((listed.tools as Array<{ name: string }>).map((t) => t.name)).toContain('echo');
    expect(inst.era).toBe('legacy');
  }, 30_000);
});

describe('UpstreamInstance of a 1.x server that mishandles the probe', () => {
  for (const [mode, answer] of [
    ['a 500', (res: http.ServerResponse) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end('Internal Server Error'); }],
    ['an HTML page', (res: http.ServerResponse) => { res.writeHead(200, { 'content-type': 'text/html' }); res.end('<html>hi</html>'); }],
  ] as const) {
    it(`connects with initialize when the probe gets ${mode}`, async () => {
      const old = await startEverythingHttp();
      servers.push(() => old.stop());
      const fr = await front(() => old.url, (body, res) => (body.includes('"server/discover"') ? (answer(res), true) : false));
      const { inst } = instance(fr.url);
      const listed = await inst.request('tools/list', {}, { call: null });
      expect((listed.tools as Array<{ name: string }>).map((t) => t.name)).toContain('echo');
      expect(inst.era).toBe('legacy');
    }, 30_000);
  }

  it('subscribes a new session to the resources the old one watched', async () => {
    let old = await startEverythingHttp();
    servers.push(() => old.stop());
    const fr = await front(() => old.url);
    const { inst } = instance(fr.url);
    await inst.request('resources/subscribe', { uri: 'demo://resource/static/document/architecture.md' }, { call: null });
    await old.stop();
    old = await startEverythingHttp(old.port);
    // The restarted server does not know the session: the call re-initializes it, and the subscription is renewed.
    for (let ok = false, until = Date.now() + 15_000; !ok && Date.now() < until;) {
      ok = await inst.request('tools/list', {}, { call: null }).then(() => true, () => false);
    }
    await waitFor(() => fr.seen.filter((m) => m === 'initialize').length >= 2);
    await waitFor(() => fr.seen.filter((m) => m === 'resources/subscribe').length === 2);
  }, 30_000);

  it('sends no initialize when closed while probing', async () => {
    const old = await startEverythingHttp();
    servers.push(() => old.stop());
    const fr = await front(() => old.url, (body, res) => {
      if (!body.includes('"server/discover"')) return false;
      setTimeout(() => { res.writeHead(404); res.end(); }, 400);
      return true;
    });
    const { inst } = instance(fr.url);
    const ready = failure(inst.ready());
    await new Promise((r) => setTimeout(r, 100));
    await inst.close();
    expect(await ready).toMatch(/not configured any more/);
    await new Promise((r) => setTimeout(r, 300));
    expect(fr.seen).toEqual(['server/discover']);
  }, 30_000);
});
