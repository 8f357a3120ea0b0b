import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import {
  CreateMessageRequestSchema, ElicitRequestSchema, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { runCli } from '../helpers/cli-run.js';
import { connectClient, EVERYTHING, FILESYSTEM, startEverythingHttp, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { startModernMcpServer } from '../helpers/modern-mcp-server.js';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy.js';
import { mcpStatuses, type ServerStatus, waitFor } from '../helpers/mcp-status.js';

/**
 * The gateway's upstream side speaks both protocol eras. Its upstreams here: a second LocalRouter
 * gateway (whose /mcp serves 2026-07-28 statelessly, in front of server-everything over STDIO),
 * reached through a recording proxy; the same gateway behind proxies that refuse `server/discover`
 * (a 404, a JSON-RPC "method not found"), which makes it a legacy server; and server-everything over
 * Streamable HTTP (a 1.x SDK server: it answers the probe with a 400). Clients: the 1.x SDK client
 * and the v2 client pinned to 2026-07-28, at once.
 */
const MODERN = '2026-07-28';
let inner: McpGatewayFixture;
let outer: McpGatewayFixture;
let web: Awaited<ReturnType<typeof startEverythingHttp>>;
let modernProxy: RecordingProxy;
let notFoundProxy: RecordingProxy;
let methodProxy: RecordingProxy;
let webProxy: RecordingProxy;
let dir: string;


async function modernClient(capabilities: Record<string, unknown> = {}): Promise<ModernClient> {
  const client = new ModernClient({ name: 'modern-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities });
  await client.connect(new ModernTransport(outer.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${outer.key}` } } }));
  return client;
}

function statuses(): Promise<Map<string, ServerStatus>> {
  return mcpStatuses(outer.origin, outer.gw.metrics.adminToken);
}

describe('upstreams of both protocol eras behind one /mcp', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcp-upera-'));
    fs.writeFileSync(path.join(dir, 'note.txt'), 'a note\n');
    inner = await startMcpGateway({ servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }] });
    web = await startEverythingHttp();
    const innerMcp = inner.mcpUrl.href;
    [modernProxy, notFoundProxy, methodProxy, webProxy] = await Promise.all([
      startRecordingProxy(innerMcp), startRecordingProxy(innerMcp, { status: 404 }), startRecordingProxy(innerMcp, { methodNotFound: true }),
      startRecordingProxy(web.url),
    ]);
    const auth = { authorization: `Bearer ${inner.key}` };
    outer = await startMcpGateway({
      servers: [
        { name: 'up', transport: 'streamable-http', url: modernProxy.url, headers: auth, timeout_ms: 20_000 },
        { name: 'old404', transport: 'streamable-http', url: notFoundProxy.url, headers: auth, timeout_ms: 20_000 },
        { name: 'old32601', transport: 'streamable-http', url: methodProxy.url, headers: auth, timeout_ms: 20_000 },
        { name: 'web', transport: 'streamable-http', url: webProxy.url, timeout_ms: 20_000 },
      ],
    });
  }, 90_000);

  afterAll(async () => {
    await outer?.close();
    await Promise.all([modernProxy?.close(), notFoundProxy?.close(), methodProxy?.close(), webProxy?.close()]);
    await web?.stop();
    await inner?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists every upstream\'s tools namespaced and calls them through the 1.x client and the v2 client pinned to 2026-07-28', async () => {
    const legacy = await connectClient(outer);
    const modern = await modernClient();
    const [l, m] = await Promise.all([legacy.listTools(), modern.listTools()]);
    const names = l.tools.map((t) => t.name);
    expect(m.tools.map((t) => t.name).sort()).toEqual([...names].sort());
    for (const name of ['up__every__echo', 'old404__every__echo', 'old32601__every__echo', 'web__echo']) expect(names).toContain(name);

    expect(toolText(await legacy.callTool({ name: 'up__every__echo', arguments: { message: 'legacy to modern' } }))).toBe('Echo: legacy to modern');
    expect(toolText(await modern.callTool({ name: 'up__every__echo', arguments: { message: 'modern to modern' } }))).toBe('Echo: modern to modern');
    expect(toolText(await modern.callTool({ name: 'old404__every__echo', arguments: { message: 'modern to legacy' } }))).toBe('Echo: modern to legacy');
    expect(toolText(await legacy.callTool({ name: 'web__echo', arguments: { message: 'legacy to legacy' } }))).toBe('Echo: legacy to legacy');
    const sum = await modern.callTool({ name: 'up__every__get-sum', arguments: { a: 2, b: 3 } });
    expect(toolText(sum)).toMatch(/5/);
    await Promise.all([legacy.close(), modern.close()]);
  }, 60_000);

  it('passes a modern upstream\'s JSON-RPC errors on with their code and message, as a legacy one\'s', async () => {
    const legacy = await connectClient(outer);
    const prompts = (await legacy.listPrompts()).prompts;
    const needy = prompts.find((p) => p.name.startsWith('up__every__') && p.arguments?.some((a) => a.required === true));
    expect(needy).toBeDefined();
    const original = needy!.name.slice('up__'.length);
    const fail = (name: string): Promise<{ code?: number; message: string }> => legacy.getPrompt({ name, arguments: {} }).then(
      () => ({ message: 'no error' }), (err: { code?: number; message: string }) => ({ code: err.code, message: err.message }));
    const [viaModern, viaLegacy] = await Promise.all([fail(`up__${original}`), fail(`old404__${original}`)]);
    expect(viaLegacy.code).toBe(-32602);
    expect(viaModern).toEqual(viaLegacy);
    await legacy.close();
  }, 30_000);

  it('tells the eras apart: server/discover for the modern one, initialize after a refused probe for the others', async () => {
    const byName = await statuses();
    expect(byName.get('up')).toMatchObject({ state: 'ready', era: 'modern', protocolVersion: MODERN });
    for (const name of ['old404', 'old32601', 'web']) {
      expect(byName.get(name)?.era, name).toBe('legacy');
      expect(byName.get(name)?.protocolVersion, name).not.toBe(MODERN);
    }

    // The modern upstream: probed with server/discover, then only stateless requests, no session either way.
    const modernPosts = modernProxy.seen.filter((r) => r.httpMethod === 'POST');
    expect(modernPosts[0]?.method).toBe('server/discover');
    expect(modernPosts.map((r) => r.method)).toEqual(expect.arrayContaining(['tools/list', 'tools/call']));
    expect(modernPosts.map((r) => r.method)).not.toContain('initialize');
    expect(modernProxy.seen.filter((r) => r.sessionSent !== null || r.sessionIssued !== null)).toEqual([]);
    expect(modernProxy.seen.filter((r) => r.httpMethod !== 'POST')).toEqual([]);
    expect(modernPosts.filter((r) => r.method !== 'server/discover').every((r) => r.protocolVersion === MODERN)).toBe(true);

    // Each legacy one: one refused probe, then the initialize session of the 1.x client.
    for (const proxy of [notFoundProxy, methodProxy, webProxy]) {
      const posts = proxy.seen.filter((r) => r.httpMethod === 'POST');
      expect(posts[0]?.method).toBe('server/discover');
      expect(posts[1]?.method).toBe('initialize');
      expect(posts.filter((r) => r.method === 'server/discover')).toHaveLength(1);
      expect(posts[1]?.sessionIssued).toEqual(expect.any(String));
      expect(posts.slice(2).every((r) => r.sessionSent === posts[1]!.sessionIssued)).toBe(true);
    }
    expect(webProxy.seen[0]?.status).toBe(400);
    expect(notFoundProxy.seen[0]?.status).toBe(404);

    const list = await runCli(['--home', outer.home, 'mcp', 'list', '--json'], { env: { LOCALROUTER_PORT: String(outer.gw.port) } });
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as { name: string; era: string | null; protocol_version: string | null }[];
    expect(rows.find((r) => r.name === 'up')).toMatchObject({ era: 'modern', protocol_version: MODERN });
    expect(rows.find((r) => r.name === 'web')).toMatchObject({ era: 'legacy' });
  }, 60_000);

  it('relays a modern upstream\'s input_required: to a 1.x client over its session, to a modern client as input_required', async () => {
    const asked: string[] = [];
    const legacy = await connectClient(outer, outer.key, { sampling: {}, elicitation: { form: {} } });
    legacy.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      asked.push(`legacy sampling: ${JSON.stringify(request.params.messages)}`);
      return { role: 'assistant', content: { type: 'text', text: 'sampled by the 1.x client' }, model: 'test-model', stopReason: 'endTurn' };
    });
    legacy.setRequestHandler(ElicitRequestSchema, async () => {
      asked.push('legacy elicitation');
      return { action: 'accept', content: { name: 'Grace' } };
    });
    const sampled = await legacy.callTool({ name: 'up__every__trigger-sampling-request', arguments: { prompt: 'ping-through-two-gateways' } });
    expect(JSON.stringify(sampled.content)).toContain('sampled by the 1.x client');
    const elicited = await legacy.callTool({ name: 'up__every__trigger-elicitation-request', arguments: {} });
    expect(JSON.stringify(elicited.content)).toContain('Grace');

    const modern = await modernClient({ sampling: {}, elicitation: { form: {} } });
    modern.setRequestHandler('sampling/createMessage', async (request) => {
      asked.push(`modern sampling: ${JSON.stringify(request.params.messages)}`);
      return { role: 'assistant', content: { type: 'text', text: 'sampled by the modern client' }, model: 'test-model', stopReason: 'endTurn' };
    });
    modern.setRequestHandler('elicitation/create', async () => {
      asked.push('modern elicitation');
      return { action: 'accept', content: { name: 'Ada' } };
    });
    const modernSampled = await modern.callTool({ name: 'up__every__trigger-sampling-request', arguments: { prompt: 'modern-through-two' } });
    expect(JSON.stringify(modernSampled.content)).toContain('sampled by the modern client');
    const modernElicited = await modern.callTool({ name: 'up__every__trigger-elicitation-request', arguments: {} });
    expect(JSON.stringify(modernElicited.content)).toContain('Ada');

    expect(asked).toEqual([
      expect.stringContaining('ping-through-two-gateways'), 'legacy elicitation', expect.stringContaining('modern-through-two'), 'modern elicitation',
    ]);
    // The upstream saw each call as rounds of stateless requests: each retry carries the answers and the upstream's request state.
    const retries = modernProxy.seen.filter((r) => r.method === 'tools/call' && r.params.includes('inputResponses'));
    expect(retries.length).toBeGreaterThanOrEqual(4);
    expect(retries.every((r) => r.params.includes('requestState') && r.sessionSent === null)).toBe(true);
    await Promise.all([legacy.close(), modern.close()]);
  }, 90_000);

  it('passes a modern upstream\'s progress and resource updates on to its own clients', async () => {
    const legacy = await connectClient(outer);
    const progress: number[] = [];
    const long = await legacy.callTool({ name: 'up__every__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, {
      onprogress: (p) => { progress.push(p.progress); },
    });
    expect(toolText(long)).toMatch(/Long running operation completed/);
    expect(progress).toEqual([1, 2, 3]);

    const uri = (await legacy.listResources()).resources.find((r) => r.uri.startsWith('demo://resource/static/'))!.uri;
    const updated = new Promise<string>((resolve) => legacy.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => resolve(n.params.uri)));
    const listens = (): number => modernProxy.seen.filter((r) => r.method === 'subscriptions/listen').length;
    const before = listens();
    await legacy.subscribeResource({ uri });
    // The gateway's listen stream is reopened to name the URI (the revision has no resources/subscribe).
    await waitFor(() => listens() > before, 10_000);
    expect(modernProxy.seen.map((r) => r.method)).not.toContain('resources/subscribe');
    // The upstream sends an update for each subscribed URI at once and every 5 s while its toggle is on.
    const toggle = (): Promise<unknown> => legacy.callTool({ name: 'up__every__toggle-subscriber-updates', arguments: {} });
    await toggle();
    try {
      expect(await updated).toBe(uri);
    } finally {
      await toggle();
    }
    await legacy.close();
  }, 60_000);

  it('hears a modern upstream\'s list changes on subscriptions/listen and tells its own clients', async () => {
    const legacy = await connectClient(outer);
    let changed = 0;
    legacy.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
    expect((await legacy.listTools()).tools.map((t) => t.name)).not.toContain('up__fs__read_text_file');
    await waitFor(() => modernProxy.seen.some((r) => r.method === 'subscriptions/listen'), 15_000);

    // A server added to the inner gateway's config changes its tool list.
    const add = await runCli(['--home', inner.home, 'mcp', 'add', 'fs', '--stdio', `"${process.execPath}" ${FILESYSTEM} ${dir}`]);
    expect(add.code, add.stderr).toBe(0);
    await waitFor(() => changed > 0, 20_000);
    await waitFor(async () => (await legacy.listTools()).tools.some((t) => t.name === 'up__fs__read_text_file'), 20_000);
    const read = await legacy.callTool({ name: 'up__fs__read_text_file', arguments: { path: path.join(fs.realpathSync(dir), 'note.txt') } });
    expect(toolText(read)).toContain('a note');
    await legacy.close();
  }, 60_000);
});

describe('a 2026-07-28-only upstream (the v2 server SDK) and its multi-round calls', () => {
  let poet: Awaited<ReturnType<typeof startModernMcpServer>>;
  let fx: McpGatewayFixture;

  beforeAll(async () => {
    poet = await startModernMcpServer();
    fx = await startMcpGateway({ servers: [{ name: 'poet', transport: 'streamable-http', url: poet.url, timeout_ms: 20_000 }] });
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
    await poet?.close();
  });

  /** The call's result text, or its error's message. */
  async function outcome(call: Promise<unknown>): Promise<string> {
    return call.then((r) => toolText(r), (err: Error) => `error: ${err.message}`);
  }

  it('answers each round of input over the session of a 1.x client, and as input_required rounds of its own for a modern client', async () => {
    const legacy = await connectClient(fx, fx.key, { sampling: {}, elicitation: { form: {} } });
    legacy.setRequestHandler(ElicitRequestSchema, async (r) => {
      expect(r.params.message).toBe('Who are you?');
      return { action: 'accept', content: { name: 'Lovelace' } };
    });
    legacy.setRequestHandler(CreateMessageRequestSchema, async (r) => {
      expect(JSON.stringify(r.params.messages)).toContain('a poem for Lovelace');
      return { role: 'assistant', content: { type: 'text', text: 'numbers sing' }, model: 'test-model' };
    });
    expect(await outcome(legacy.callTool({ name: 'poet__interview', arguments: {} }))).toBe('Lovelace: numbers sing');

    const modern = new ModernClient({ name: 'modern-poet', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { sampling: {}, elicitation: { form: {} } } });
    modern.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Hopper' } }));
    modern.setRequestHandler('sampling/createMessage', async (r) => ({
      role: 'assistant', content: { type: 'text', text: `bugs fly (${JSON.stringify(r.params.messages).includes('Hopper') ? 'for Hopper' : 'for whom?'})` }, model: 'test-model',
    }));
    await modern.connect(new ModernTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
    expect(await outcome(modern.callTool({ name: 'poet__interview', arguments: {} }))).toBe('Hopper: bugs fly (for Hopper)');

    const servers = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
    expect(((await servers.json()) as { servers: ServerStatus[] }).servers[0]).toMatchObject({ name: 'poet', era: 'modern', protocolVersion: MODERN, state: 'ready' });
    await Promise.all([legacy.close(), modern.close()]);
  }, 60_000);

  it('fails a call clearly when its client cannot answer, the server never stops asking, asks too much at once or answers too deep', async () => {
    const plain = await connectClient(fx);
    expect(await outcome(plain.callTool({ name: 'poet__interview', arguments: {} }))).toMatch(/error: .*does not support elicitation\/create/);
    expect(await outcome(plain.callTool({ name: 'poet__forever', arguments: {} }))).toMatch(/error: .*asked for input more than 16 times/);
    expect(await outcome(plain.callTool({ name: 'poet__flood', arguments: {} }))).toMatch(/error: .*50 embedded requests \(at most 16/);
    expect(await outcome(plain.callTool({ name: 'poet__deep', arguments: {} }))).toMatch(/error: .*nested deeper than 64 levels/);
    // The gateway still serves that client afterwards.
    expect((await plain.listTools()).tools.map((t) => t.name).sort()).toEqual(['poet__chatty', 'poet__deep', 'poet__flood', 'poet__forever', 'poet__interview', 'poet__seen', 'poet__survey', 'poet__wait']);
    await plain.close();
  }, 60_000);

  it('lists its tools with localrouter mcp tools, which probes it as the gateway does', async () => {
    const out = await runCli(['--home', fx.home, 'mcp', 'tools', 'poet', '--json']);
    expect(out.code, out.stderr).toBe(0);
    expect((JSON.parse(out.stdout) as { name: string }[]).map((t) => t.name).sort()).toEqual(['chatty', 'deep', 'flood', 'forever', 'interview', 'seen', 'survey', 'wait']);
  }, 30_000);

  it('fills the requested schema\'s defaults into an accepted form the client left them out of, as for a legacy server', async () => {
    const legacy = await connectClient(fx, fx.key, { elicitation: { form: {} } });
    legacy.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name: 'Ada', size: 5 } }));
    expect(JSON.parse(await outcome(legacy.callTool({ name: 'poet__survey', arguments: {} })))).toEqual({ name: 'Ada', size: 5, color: 'blue' });
    const modern = new ModernClient({ name: 'modern-survey', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
    modern.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Grace' } }));
    await modern.connect(new ModernTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
    expect(JSON.parse(await outcome(modern.callTool({ name: 'poet__survey', arguments: {} })))).toEqual({ name: 'Grace', color: 'blue', size: 3 });
    await Promise.all([legacy.close(), modern.close()]);
  }, 30_000);

  it('relays the log lines it sends during a call to the client of that call, at the level that client set', async () => {
    const [a, b] = await Promise.all([connectClient(fx), connectClient(fx)]);
    const heard: Record<'a' | 'b', string[]> = { a: [], b: [] };
    a.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { heard.a.push(`${n.params.level}: ${String(n.params.data)}`); });
    b.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { heard.b.push(`${n.params.level}: ${String(n.params.data)}`); });
    // `a` chose no level: it hears everything, as from a 1.x server; `b` asked for warnings and worse.
    await b.setLoggingLevel('warning');
    expect(toolText(await a.callTool({ name: 'poet__chatty', arguments: {} }))).toBe('said what it had to');
    await waitFor(() => heard.a.length >= 4, 10_000);
    expect(heard.a).toEqual(['debug: debug line', 'info: info line', 'warning: warning line', 'error: error line']);
    expect(toolText(await b.callTool({ name: 'poet__chatty', arguments: {} }))).toBe('said what it had to');
    await waitFor(() => heard.b.length >= 2, 10_000);
    expect(heard.b).toEqual(['warning: warning line', 'error: error line']);
    // Each call's lines went to its own client only.
    expect(heard.a).toHaveLength(4);
    await Promise.all([a.close(), b.close()]);
  }, 30_000);

  it('relays its log lines of a call to a 2026-07-28 client on that call\'s stream, at the level the request\'s _meta names, and none without one', async () => {
    const modern = new ModernClient({ name: 'modern-chatty', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } } });
    const heard: string[] = [];
    modern.setNotificationHandler('notifications/message', (n) => { heard.push(`${n.params.level}: ${String(n.params.data)}`); });
    await modern.connect(new ModernTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
    expect(modern.getServerCapabilities()?.logging).toEqual({});
    const at = (level: string): Record<string, unknown> => ({ 'io.modelcontextprotocol/logLevel': level });
    expect(toolText(await modern.callTool({ name: 'poet__chatty', arguments: {}, _meta: at('warning') }))).toBe('said what it had to');
    expect(heard).toEqual(['warning: warning line', 'error: error line']);
    heard.length = 0;
    expect(toolText(await modern.callTool({ name: 'poet__chatty', arguments: {}, _meta: at('debug') }))).toBe('said what it had to');
    expect(heard).toEqual(['debug: debug line', 'info: info line', 'warning: warning line', 'error: error line']);
    heard.length = 0;
    // No level in the request: no log lines for it (the revision's rule).
    expect(toolText(await modern.callTool({ name: 'poet__chatty', arguments: {} }))).toBe('said what it had to');
    await new Promise((r) => setTimeout(r, 300));
    expect(heard).toEqual([]);
    await modern.close();
  }, 30_000);

  it('passes resources on without the upstream\'s cache hints', async () => {
    const plain = await connectClient(fx);
    const read = await plain.readResource({ uri: 'memo://one' });
    expect(read.contents).toEqual([{ uri: 'memo://one', text: 'remember this' }]);
    expect(read).not.toHaveProperty('ttlMs');
    expect(read).not.toHaveProperty('cacheScope');
    await plain.close();
  }, 30_000);

  it('probes the server again once it is back after going away (nothing to re-initialize)', async () => {
    const plain = await connectClient(fx);
    const port = Number(new URL(poet.url).port);
    await poet.close();
    await expect(plain.readResource({ uri: 'memo://one' })).rejects.toThrow(/unavailable|failed/);
    poet = await startModernMcpServer(port);
    await waitFor(() => plain.readResource({ uri: 'memo://one' }).then(() => true, () => false), 20_000);
    const servers = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
    expect(((await servers.json()) as { servers: ServerStatus[] }).servers[0]).toMatchObject({ state: 'ready', era: 'modern' });
    await plain.close();
  }, 60_000);
});
