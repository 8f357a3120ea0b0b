import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { updateConfig } from '../../src/config/index.js';
import { runCli } from '../helpers/cli-run.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { connectClient, EVERYTHING, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

interface Approval {
  id: string;
  kind: string;
  client: string;
  strategy: string;
  tool: string;
  arguments: Record<string, unknown> | null;
  input_schema: { properties?: Record<string, unknown> } | null;
  expires_at: string;
}

let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    strategies: [
      { name: 'careful', ask: { tools: ['every__echo', 'every__get-sum'] } },
      { name: 'hasty', ask: { tools: ['every__*'], allowed_tools: ['every__get-sum'], timeout_ms: 1000 } },
    ],
    clients: [{ name: 'careful', strategy: 'careful' }, { name: 'hasty', strategy: 'hasty' }],
    monitoring: { enabled: true, flush_interval_ms: 50 },
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

function admin(p: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${fx.origin}${p}`, { ...init, headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}`, 'content-type': 'application/json', ...init.headers } });
}

async function pending(): Promise<Approval[]> {
  const res = await admin('/api/approvals');
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: Approval[] }).data;
}

/** Polls until `n` calls wait (or none, for n = 0). */
async function waitPending(n: number, client?: string): Promise<Approval[]> {
  const until = Date.now() + 10_000;
  for (;;) {
    const list = (await pending()).filter((a) => client === undefined || a.client === client);
    if (n === 0 ? list.length === 0 : list.length >= n) return list;
    if (Date.now() > until) throw new Error(`expected ${n} pending approvals, have ${list.length}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function decide(id: string, body: Record<string, unknown>): Promise<Response> {
  return admin(`/api/approvals/${encodeURIComponent(id)}`, { method: 'POST', body: JSON.stringify(body) });
}

function errorOf(p: Promise<unknown>): Promise<McpError> {
  return p.then(() => { throw new Error('the call succeeded'); }, (err: unknown) => err as McpError);
}

describe('MCP tool calls that ask wait for approval', () => {
  it('a call waits until approved, and runs with the arguments the approver edited (checked against the input schema)', async () => {
    const client = await connectClient(fx, fx.keys.careful);
    await client.listTools();
    const call = client.callTool({ name: 'every__echo', arguments: { message: 'original' } });
    const [a] = await waitPending(1, 'careful');
    expect(a).toMatchObject({ kind: 'tool', client: 'careful', strategy: 'careful', tool: 'every__echo', arguments: { message: 'original' } });
    expect(a!.input_schema?.properties).toHaveProperty('message');
    expect(Date.parse(a!.expires_at) - Date.now()).toBeGreaterThan(100_000);
    // Arguments the tool's schema refuses are a 400 to the approver; the call still waits.
    const bad = await decide(a!.id, { decision: 'approve', arguments: { message: 42 } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'LR_ERR_BAD_REQUEST', message: expect.stringMatching(/input schema/) });
    expect((await pending()).map((p) => p.id)).toContain(a!.id);
    const ok = await decide(a!.id, { decision: 'approve', scope: 'once', arguments: { message: 'edited' } });
    expect(ok.status).toBe(200);
    expect(toolText(await call)).toBe('Echo: edited');
    expect(await pending()).toEqual([]);
    // "once": the next call asks again.
    const again = client.callTool({ name: 'every__echo', arguments: { message: 'twice' } });
    const [b] = await waitPending(1, 'careful');
    expect((await decide(b!.id, { decision: 'approve' })).status).toBe(200);
    expect(toolText(await again)).toBe('Echo: twice');
    await client.close();
  });

  it('a denied call gets a clear MCP error (LR_ERR_APPROVAL_DENIED), logged as a 403', async () => {
    const client = await connectClient(fx, fx.keys.careful);
    const call = errorOf(client.callTool({ name: 'every__echo', arguments: { message: 'no' } }));
    const [a] = await waitPending(1, 'careful');
    const res = await decide(a!.id, { decision: 'deny', reason: 'not today' });
    expect(res.status).toBe(200);
    const err = await call;
    expect(err).toBeInstanceOf(McpError);
    expect(err.code).toBe(-32030);
    expect(err.message).toMatch(/denied by an approver: not today/);
    expect(err.data).toMatchObject({ code: 'LR_ERR_APPROVAL_DENIED', approval: a!.id });
    // Answered once: a second answer finds nothing.
    expect((await decide(a!.id, { decision: 'approve' })).status).toBe(404);
    const until = Date.now() + 5000;
    let rows: { status: number; error_code: string | null; tool: string | null }[] = [];
    while (Date.now() < until) {
      const logs = await admin('/api/logs?kind=mcp&client=careful&status=403');
      rows = ((await logs.json()) as { data: typeof rows }).data;
      if (rows.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows[0]).toMatchObject({ status: 403, error_code: 'LR_ERR_APPROVAL_DENIED' });
    await client.close();
  });

  it('a call nobody answers is refused at the strategy timeout (LR_ERR_APPROVAL_TIMEOUT); allowed_tools never ask', async () => {
    const client = await connectClient(fx, fx.keys.hasty);
    expect(toolText(await client.callTool({ name: 'every__get-sum', arguments: { a: 1, b: 2 } }))).toMatch(/3/);
    const err = await errorOf(client.callTool({ name: 'every__echo', arguments: { message: 'late' } }));
    expect(err.code).toBe(-32030);
    expect(err.data).toMatchObject({ code: 'LR_ERR_APPROVAL_TIMEOUT' });
    expect(err.message).toMatch(/nobody answered within 1 s/);
    expect(await waitPending(0, 'hasty')).toEqual([]);
    await client.close();
  });

  it('"session" lets the rest of that session through; another session asks again', async () => {
    const one = await connectClient(fx, fx.keys.careful);
    const first = one.callTool({ name: 'every__echo', arguments: { message: 's1' } });
    const [a] = await waitPending(1, 'careful');
    expect((await decide(a!.id, { decision: 'approve', scope: 'session' })).status).toBe(200);
    expect(toolText(await first)).toBe('Echo: s1');
    expect(toolText(await one.callTool({ name: 'every__echo', arguments: { message: 's2' } }))).toBe('Echo: s2');
    const two = await connectClient(fx, fx.keys.careful);
    const other = errorOf(two.callTool({ name: 'every__echo', arguments: { message: 's3' } }));
    const [b] = await waitPending(1, 'careful');
    expect((await decide(b!.id, { decision: 'deny' })).status).toBe(200);
    expect((await other).data).toMatchObject({ code: 'LR_ERR_APPROVAL_DENIED' });
    await one.close();
    await two.close();
  });

  it('"always" writes the tool into the strategy\'s ask.allowed_tools; later calls run without asking', async () => {
    const client = await connectClient(fx, fx.keys.careful);
    const call = client.callTool({ name: 'every__get-sum', arguments: { a: 2, b: 3 } });
    const [a] = await waitPending(1, 'careful');
    expect((await decide(a!.id, { decision: 'approve', scope: 'always' })).status).toBe(200);
    expect(toolText(await call)).toMatch(/5/);
    const saved = parse(fs.readFileSync(path.join(fx.home, 'config.yaml'), 'utf8')) as { strategies: { name: string; ask?: { tools: string[]; allowed_tools: string[] } }[] };
    expect(saved.strategies.find((s) => s.name === 'careful')?.ask).toMatchObject({ tools: ['every__echo', 'every__get-sum'], allowed_tools: ['every__get-sum'] });
    // Wait past the in-memory bridge for the file watcher's reload, so the config itself is what lets it through.
    await new Promise((r) => setTimeout(r, 11_000));
    const next = await connectClient(fx, fx.keys.careful);
    expect(toolText(await next.callTool({ name: 'every__get-sum', arguments: { a: 4, b: 4 } }))).toMatch(/8/);
    expect(await pending()).toEqual([]);
    // The other tool of the strategy still asks.
    const echo = errorOf(next.callTool({ name: 'every__echo', arguments: { message: 'still asks' } }));
    const [b] = await waitPending(1, 'careful');
    await decide(b!.id, { decision: 'deny' });
    await echo;
    await client.close();
    await next.close();
  }, 30_000);

  it('a cancelled call, and a call whose client went away, leave no pending approval', async () => {
    const client = await connectClient(fx, fx.keys.careful);
    const abort = new AbortController();
    const cancelled = errorOf(client.callTool({ name: 'every__echo', arguments: { message: 'cancel me' } }, undefined, { signal: abort.signal }));
    await waitPending(1, 'careful');
    abort.abort();
    await cancelled;
    await waitPending(0, 'careful');
    // Going away: the client closes its transport (its POST is cut) without a cancel.
    const gone = await connectClient(fx, fx.keys.careful);
    void gone.callTool({ name: 'every__echo', arguments: { message: 'bye' } }).catch(() => undefined);
    await waitPending(1, 'careful');
    await gone.close();
    await waitPending(0, 'careful');
    await client.close();
  });

  it('works the same over the legacy SSE transport, and the live feed counts the waiting calls', async () => {
    const client = new Client({ name: 'legacy', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`${fx.origin}/sse?token=${fx.keys.careful}`)));
    const call = client.callTool({ name: 'every__echo', arguments: { message: 'old' } });
    const [a] = await waitPending(1, 'careful');
    const live = await admin('/api/stats/live');
    const reader = live.body!.getReader();
    let text = '';
    while (!/data: .*\n\n/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect((JSON.parse(/data: (.*)\n\n/.exec(text)![1]!) as { approvals: number }).approvals).toBe(1);
    expect((await decide(a!.id, { decision: 'approve', arguments: { message: 'new' } })).status).toBe(200);
    expect(toolText(await call)).toBe('Echo: new');
    await client.close();
    // The legacy session is gone with its stream: its calls would be dropped too.
    const again = new Client({ name: 'legacy', version: '1' });
    await again.connect(new SSEClientTransport(new URL(`${fx.origin}/sse?token=${fx.keys.careful}`)));
    void again.callTool({ name: 'every__echo', arguments: { message: 'dropped' } }).catch(() => undefined);
    await waitPending(1, 'careful');
    await again.close();
    await waitPending(0, 'careful');
  });

  it('a 2026-07-28 client (stateless, v2 SDK) waits the same way: approved with edited arguments, then denied', async () => {
    const client = new ModernClient({ name: 'modern-approvals', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new ModernTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${fx.keys.careful}` } } }));
    const call = client.callTool({ name: 'every__echo', arguments: { message: 'modern' } });
    const [a] = await waitPending(1, 'careful');
    expect(a).toMatchObject({ kind: 'tool', client: 'careful', tool: 'every__echo', arguments: { message: 'modern' } });
    expect((await decide(a!.id, { decision: 'approve', arguments: { message: 'edited for modern' } })).status).toBe(200);
    expect(JSON.stringify((await call).content)).toContain('edited for modern');
    const denied = client.callTool({ name: 'every__echo', arguments: { message: 'again' } }).then(() => null, (err: unknown) => err as { code?: number; message: string; data?: unknown });
    const [b] = await waitPending(1, 'careful');
    expect((await decide(b!.id, { decision: 'deny', reason: 'modern no' })).status).toBe(200);
    const err = await denied;
    expect(err?.code).toBe(-32030);
    expect(err?.message).toMatch(/modern no/);
    await waitPending(0, 'careful');
    await client.close();
  });

  it('refuses bad answers, unknown ids and client keys', async () => {
    expect((await decide('apr_nope', { decision: 'approve' })).status).toBe(404);
    expect((await decide('apr_nope', { decision: 'maybe' })).status).toBe(400);
    expect((await decide('apr_nope', { decision: 'approve', scope: 'forever' })).status).toBe(400);
    expect((await decide('apr_nope', { decision: 'approve', arguments: [1] })).status).toBe(400);
    const asClient = await fetch(`${fx.origin}/api/approvals`, { headers: { authorization: `Bearer ${fx.keys.careful}` } });
    expect(asClient.status).toBe(403);
    expect((await fetch(`${fx.origin}/api/approvals`)).status).toBe(401);
  });

  it('bounds the calls one client can keep waiting (100), denying the rest at once', async () => {
    const client = await connectClient(fx, fx.keys.careful);
    const calls = Array.from({ length: 101 }, (_, i) => client.callTool({ name: 'every__echo', arguments: { message: `m${i}` } }).then(() => null, (err: McpError) => err));
    const refused = await Promise.race([Promise.all(calls).then(() => null), ...calls.map((c) => c.then((e) => e ?? new Promise<never>(() => {})))]);
    expect(refused?.data).toMatchObject({ code: 'LR_ERR_APPROVAL_DENIED' });
    expect(refused?.message).toMatch(/too many calls wait for approval/);
    const list = await waitPending(100, 'careful');
    expect(list).toHaveLength(100);
    await client.close();
    await waitPending(0, 'careful');
  }, 30_000);

  it('the CLI lists and answers waiting calls through the running gateway', async () => {
    const client = await connectClient(fx, fx.keys.careful);
    // Another session of the strategy listed the tools: their input schemas serve this one too.
    const lister = await connectClient(fx, fx.keys.careful);
    await lister.listTools();
    await lister.close();
    const call = client.callTool({ name: 'every__echo', arguments: { message: 'cli' } });
    const [a] = await waitPending(1, 'careful');
    const list = await runCli(['--home', fx.home, 'approvals', 'list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${a!.id}\\s+careful\\s+careful\\s+every__echo`));
    const bad = await runCli(['--home', fx.home, 'approvals', 'approve', a!.id, '--arguments', '{"message": 1}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/input schema/);
    const ok = await runCli(['--home', fx.home, 'approvals', 'approve', a!.id, '--arguments', '{"message": "from cli"}', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ id: a!.id, tool: 'every__echo' });
    expect(toolText(await call)).toBe('Echo: from cli');
    const second = errorOf(client.callTool({ name: 'every__echo', arguments: { message: 'cli 2' } }));
    const [b] = await waitPending(1, 'careful');
    const denied = await runCli(['--home', fx.home, 'approvals', 'deny', b!.id, '--reason', 'cli says no']);
    expect(denied.code).toBe(0);
    expect(denied.stdout).toBe('denied every__echo for careful\n');
    expect((await second).message).toMatch(/denied by an approver: cli says no/);
    const again = await runCli(['--home', fx.home, 'approvals', 'deny', b!.id]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no call waits for approval/);
    expect((await runCli(['--home', fx.home, 'approvals', 'approve', b!.id, '--scope', 'forever'])).stderr).toMatch(/once, session or always/);
    await client.close();
  });

  it('a config edit that stops asking (here by hand, through the locked config write) lets the waiting calls go on', async () => {
    const client = await connectClient(fx, fx.keys.careful);
    const call = client.callTool({ name: 'every__echo', arguments: { message: 'released' } });
    await waitPending(1, 'careful');
    updateConfig(path.join(fx.home, 'config.yaml'), (cfg) => {
      cfg.strategies.find((s) => s.name === 'careful')!.ask!.allowed_tools.push('every__echo');
    });
    expect(toolText(await call)).toBe('Echo: released');
    expect(await pending()).toEqual([]);
    await client.close();
  });
});

describe('skill tool steps of a tool that asks wait too', () => {
  let sfx: GatewayFixture;
  let origin: string;

  beforeAll(async () => {
    sfx = await startGatewayFixture('http://127.0.0.1:9/v1', {
      mcpServers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
      strategies: [{ name: 'default', ask: { tools: ['every__echo'] } }],
      config: { skills: { paths: [path.resolve('tests/integration/fixtures/skills')] } },
    });
    origin = sfx.baseURL.replace(/\/v1$/, '');
  }, 60_000);

  afterAll(async () => {
    await sfx?.close();
  });

  async function skillClient(): Promise<Client> {
    const client = new Client({ name: 'skills', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${sfx.key}` } } }));
    return client;
  }

  async function waitSkillPending(): Promise<Approval> {
    const until = Date.now() + 10_000;
    for (;;) {
      const res = await fetch(`${origin}/api/approvals`, { headers: { authorization: `Bearer ${sfx.gw.metrics.adminToken}` } });
      const list = ((await res.json()) as { data: Approval[] }).data;
      if (list.length > 0) return list[0]!;
      if (Date.now() > until) throw new Error('no skill step waits');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  function answer(id: string, body: Record<string, unknown>): Promise<Response> {
    return fetch(`${origin}/api/approvals/${id}`, {
      method: 'POST', headers: { authorization: `Bearer ${sfx.gw.metrics.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
  }

  it('a step waits; "session" lets the run\'s next step of the tool through; its arguments are not editable', async () => {
    const client = await skillClient();
    const run = client.callTool({ name: 'skills__echo-twice', arguments: {} });
    const step = await waitSkillPending();
    expect(step).toMatchObject({ kind: 'skill_step', tool: 'every__echo', arguments: null });
    expect((await answer(step.id, { decision: 'approve', arguments: { message: 'x' } })).status).toBe(400);
    expect((await answer(step.id, { decision: 'approve', scope: 'session' })).status).toBe(200);
    const r = await run;
    expect(r.isError).not.toBe(true);
    expect(toolText(r)).toMatch(/one[\s\S]*two/);
    await client.close();
  });

  it('a denied step fails the run with the approver\'s reason', async () => {
    const client = await skillClient();
    const run = client.callTool({ name: 'skills__echo-twice', arguments: {} });
    const step = await waitSkillPending();
    expect((await answer(step.id, { decision: 'deny', reason: 'no echoes' })).status).toBe(200);
    const r = await run;
    expect(r.isError).toBe(true);
    expect(toolText(r)).toMatch(/skill echo-twice failed at step each: .*denied by an approver: no echoes/);
    await client.close();
  });
});
