import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client as ModernClient, StreamableHTTPClientTransport as ModernTransport } from '@modelcontextprotocol/client';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { runCli } from '../helpers/cli-run.js';
import { connectClient, EVERYTHING, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { mcpStatuses, type ServerStatus, waitFor } from '../helpers/mcp-status.js';

/**
 * STDIO upstreams are probed with `server/discover` on the one process they are then served on.
 * Each server runs under a tap (tests/helpers/stdio/tap.mjs) that records every process start and
 * every request the process is sent, in order, so the tests see how many processes the gateway
 * spawned and what it asked each. Servers: server-everything (a 1.x SDK server: it answers the
 * probe "method not found"); a server of the v2 server SDK (`serveStdio`, both eras); a 1.x server
 * that silently drops requests before `initialize` (with and without `protocol: legacy`); one that
 * exits on such a request; the v2 server per session (roots); and a 2026-07-28-only one that starts
 * slower than the probe's bound.
 */
const MODERN = '2026-07-28';
const TAP = path.resolve('tests/helpers/stdio/tap.mjs');
const MODERN_SERVER = path.resolve('tests/helpers/stdio/modern-server.mjs');
const QUIET_SERVER = path.resolve('tests/helpers/stdio/quiet-legacy-server.mjs');

let fx: McpGatewayFixture;
let dir: string;


const logOf = (server: string): string => path.join(dir, `${server}.log`);

/** What the tap of `server` recorded: the processes started, and each one's requests in order. */
function seen(server: string): { pids: number[]; requests: Map<number, string[]> } {
  const text = fs.existsSync(logOf(server)) ? fs.readFileSync(logOf(server), 'utf8') : '';
  const pids: number[] = [];
  const requests = new Map<number, string[]>();
  for (const line of text.split('\n').filter(Boolean)) {
    const [a, b] = line.split(' ') as [string, string];
    if (a === 'start') {
      pids.push(Number(b));
      requests.set(Number(b), []);
    } else {
      requests.get(Number(a))?.push(b);
    }
  }
  return { pids, requests };
}

function tapped(name: string, script: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, transport: 'stdio', command: process.execPath, args: [TAP, logOf(name), ...script], timeout_ms: 20_000, ...extra };
}

function statuses(): Promise<Map<string, ServerStatus>> {
  return mcpStatuses(fx.origin, fx.gw.metrics.adminToken);
}

/** A 1.x client that answers the poet's questions as `name`. */
async function interviewee(name: string): Promise<{ client: Client; asked: string[] }> {
  const asked: string[] = [];
  const client = await connectClient(fx, fx.key, { sampling: {}, elicitation: { form: {} } });
  client.setRequestHandler(ElicitRequestSchema, async (r) => {
    asked.push(`elicitation: ${r.params.message}`);
    // Both clients' calls are under way at once: the answers come in the other order than the questions.
    await new Promise((resolve) => setTimeout(resolve, name === 'Ada' ? 300 : 0));
    return { action: 'accept', content: { name } };
  });
  client.setRequestHandler(CreateMessageRequestSchema, async (r) => {
    const prompt = JSON.stringify(r.params.messages);
    asked.push(`sampling: ${prompt}`);
    return { role: 'assistant', content: { type: 'text', text: `sampled by ${name}'s client for ${prompt.includes(name) ? 'them' : 'someone else'}` }, model: 'test-model' };
  });
  return { client, asked };
}

describe('STDIO upstreams probed with server/discover on their one process', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcp-stdio-era-'));
    fx = await startMcpGateway({
      servers: [
        tapped('every', [EVERYTHING, 'stdio']),
        tapped('poet', [MODERN_SERVER]),
        tapped('quiet', [QUIET_SERVER]),
        tapped('plain', [QUIET_SERVER], { protocol: 'legacy' }),
        tapped('brittle', [QUIET_SERVER, '--exit-early']),
        tapped('mine', [MODERN_SERVER], { per_session: true }),
        // 2026-07-28 only, and slower to start than the probe's 3 s bound.
        tapped('sleepy', [MODERN_SERVER, '--start-delay-ms', '4500', '--modern-only']),
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await fx?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves a 1.x server (server-everything) on the process it probed: one refused server/discover, then its initialize session', async () => {
    const client = await connectClient(fx);
    // Listing connects every server (the slow ones are the later tests').
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(expect.arrayContaining(['every__echo', 'poet__interview', 'plain__echo']));
    expect(toolText(await client.callTool({ name: 'every__echo', arguments: { message: 'one process' } }))).toBe('Echo: one process');
    expect(toolText(await client.callTool({ name: 'every__get-sum', arguments: { a: 2, b: 3 } }))).toMatch(/5/);
    const { pids, requests } = seen('every');
    expect(pids).toHaveLength(1);
    const asked = requests.get(pids[0]!)!;
    expect(asked.slice(0, 2)).toEqual(['server/discover', 'initialize']);
    expect(asked.filter((m) => m === 'server/discover')).toHaveLength(1);
    expect(asked).toContain('tools/call');

    expect((await statuses()).get('every')).toMatchObject({ state: 'ready', era: 'legacy', protocolVersion: expect.not.stringMatching(MODERN) });
    await waitFor(async () => (await statuses()).get('poet')?.state === 'ready', 20_000);
    const list = await runCli(['--home', fx.home, 'mcp', 'list', '--json'], { env: { LOCALROUTER_PORT: String(fx.gw.port) } });
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as { name: string; era: string | null; protocol_version: string | null }[];
    expect(rows.find((r) => r.name === 'every')).toMatchObject({ era: 'legacy' });
    expect(rows.find((r) => r.name === 'poet')).toMatchObject({ era: 'modern', protocol_version: MODERN });
    await client.close();
  }, 60_000);

  it('calls a 2026-07-28 server statelessly over its one process: no initialize, and two clients\' multi-round calls at once each get their own answers', async () => {
    const [ada, grace] = await Promise.all([interviewee('Ada'), interviewee('Grace')]);
    // On a shared STDIO session these would be refused: two sessions with calls in flight, no way to tell whose question it is.
    const [a, g] = await Promise.all([
      ada.client.callTool({ name: 'poet__interview', arguments: {} }),
      grace.client.callTool({ name: 'poet__interview', arguments: {} }),
    ]);
    expect(toolText(a)).toBe('Ada: sampled by Ada\'s client for them');
    expect(toolText(g)).toBe('Grace: sampled by Grace\'s client for them');
    expect(ada.asked).toEqual(['elicitation: Who are you?', expect.stringContaining('a poem for Ada')]);
    expect(grace.asked).toEqual(['elicitation: Who are you?', expect.stringContaining('a poem for Grace')]);

    const { pids, requests } = seen('poet');
    expect(pids).toHaveLength(1);
    const asked = requests.get(pids[0]!)!;
    expect(asked[0]).toBe('server/discover');
    expect(asked).not.toContain('initialize');
    // Each call: one request per round (the question, then the poem, then the answer).
    expect(asked.filter((m) => m === 'tools/call')).toHaveLength(6);
    expect((await statuses()).get('poet')).toMatchObject({ state: 'ready', era: 'modern', protocolVersion: MODERN });

    // A modern client's call: the rounds are its own input_required results, relayed to it.
    const modern = new ModernClient({ name: 'modern-test', version: '1.0.0' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { sampling: {}, elicitation: { form: {} } } });
    modern.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { name: 'Hopper' } }));
    modern.setRequestHandler('sampling/createMessage', async (r) => ({
      role: 'assistant', content: { type: 'text', text: JSON.stringify(r.params.messages).includes('Hopper') ? 'bugs fly' : 'who?' }, model: 'test-model',
    }));
    await modern.connect(new ModernTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
    expect(toolText(await modern.callTool({ name: 'poet__interview', arguments: {} }))).toBe('Hopper: bugs fly');
    await Promise.all([ada.client.close(), grace.client.close(), modern.close()]);
  }, 60_000);

  it('hears a modern STDIO server\'s list changes on subscriptions/listen and keeps refusing answers nested too deep', async () => {
    const client = await connectClient(fx);
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('poet__grown');
    await waitFor(() => seen('poet').requests.get(seen('poet').pids[0]!)!.includes('subscriptions/listen'), 10_000);
    await client.callTool({ name: 'poet__grow', arguments: {} });
    await waitFor(() => changed > 0, 10_000);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('poet__grown');

    await expect(client.callTool({ name: 'poet__deep', arguments: {} })).rejects.toThrow(/nested deeper than 64 levels/);
    expect(toolText(await client.callTool({ name: 'poet__echo', arguments: { message: 'still here' } }))).toBe('modern echo: still here');
    await client.close();
  }, 60_000);

  it('serves a server that ignores requests before initialize after the probe\'s bound, on one process; protocol: legacy does not probe it', async () => {
    const client = await connectClient(fx);
    const [quiet, plain] = await Promise.all([
      client.callTool({ name: 'quiet__echo', arguments: { message: 'late' } }),
      client.callTool({ name: 'plain__echo', arguments: { message: 'at once' } }),
    ]);
    expect(toolText(quiet)).toBe('quiet echo: late');
    expect(toolText(plain)).toBe('quiet echo: at once');

    const q = seen('quiet');
    expect(q.pids).toHaveLength(1);
    expect(q.requests.get(q.pids[0]!)!.slice(0, 2)).toEqual(['server/discover', 'initialize']);
    const p = seen('plain');
    expect(p.pids).toHaveLength(1);
    expect(p.requests.get(p.pids[0]!)![0]).toBe('initialize');
    expect(p.requests.get(p.pids[0]!)).not.toContain('server/discover');
    const byName = await statuses();
    expect(byName.get('quiet')).toMatchObject({ state: 'ready', era: 'legacy' });
    expect(byName.get('plain')).toMatchObject({ state: 'ready', era: 'legacy' });
    await client.close();
  }, 60_000);

  it('starts a server that exits on the probe again without it, and says so', async () => {
    const client = await connectClient(fx);
    expect(toolText(await client.callTool({ name: 'brittle__echo', arguments: { message: 'second try' } }))).toBe('quiet echo: second try');
    const { pids, requests } = seen('brittle');
    expect(pids).toHaveLength(2);
    expect(requests.get(pids[0]!)).toEqual(['server/discover']);
    expect(requests.get(pids[1]!)![0]).toBe('initialize');
    expect(requests.get(pids[1]!)).not.toContain('server/discover');
    expect((await statuses()).get('brittle')).toMatchObject({ state: 'ready', era: 'legacy', lastError: expect.stringMatching(/exited when probed.*protocol: legacy/) });
    await client.close();
  }, 60_000);

  it('finds a 2026-07-28-only server that starts slower than the bound: its late answer and refused initialize have it probed again with its whole timeout', async () => {
    const client = await connectClient(fx);
    expect(toolText(await client.callTool({ name: 'sleepy__echo', arguments: { message: 'awake' } }))).toBe('modern echo: awake');
    const { pids, requests } = seen('sleepy');
    expect(pids).toHaveLength(2);
    expect(requests.get(pids[0]!)).toEqual(['server/discover', 'initialize']);
    expect(requests.get(pids[1]!)![0]).toBe('server/discover');
    expect(requests.get(pids[1]!)).not.toContain('initialize');
    expect((await statuses()).get('sleepy')).toMatchObject({ state: 'ready', era: 'modern' });
    await client.close();
  }, 60_000);

  it('probes again after the process dies: a modern server stays modern, a legacy one gets a new session', async () => {
    const client = await connectClient(fx);
    await client.callTool({ name: 'poet__echo', arguments: { message: 'before' } });
    await client.callTool({ name: 'every__echo', arguments: { message: 'before' } });
    const [poetPid] = seen('poet').pids;
    const [everyPid] = seen('every').pids;
    process.kill(poetPid!, 'SIGKILL');
    process.kill(everyPid!, 'SIGKILL');
    await waitFor(() => client.callTool({ name: 'poet__echo', arguments: { message: 'after' } }).then((r) => toolText(r) === 'modern echo: after', () => false), 20_000);
    await waitFor(() => client.callTool({ name: 'every__echo', arguments: { message: 'after' } }).then((r) => toolText(r) === 'Echo: after', () => false), 20_000);

    const poet = seen('poet');
    expect(poet.pids).toHaveLength(2);
    expect(poet.requests.get(poet.pids[1]!)![0]).toBe('server/discover');
    expect(poet.requests.get(poet.pids[1]!)).not.toContain('initialize');
    const every = seen('every');
    expect(every.pids).toHaveLength(2);
    expect(every.requests.get(every.pids[1]!)!.slice(0, 2)).toEqual(['server/discover', 'initialize']);
    const byName = await statuses();
    expect(byName.get('poet')).toMatchObject({ state: 'ready', era: 'modern' });
    expect(byName.get('every')).toMatchObject({ state: 'ready', era: 'legacy' });
    await client.close();
  }, 60_000);

  it('serves a per-session modern STDIO server to its session, roots included, one process per session', async () => {
    // The sessions of the tests before had theirs (each session's list of tools starts its own).
    const before = seen('mine').pids.length;
    const [one, two] = await Promise.all([connectClient(fx, fx.key, { roots: {} }), connectClient(fx, fx.key, { roots: {} })]);
    one.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///one', name: 'one' }] }));
    two.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///two', name: 'two' }] }));
    const [r1, r2] = await Promise.all([
      one.callTool({ name: 'mine__roots', arguments: {} }),
      two.callTool({ name: 'mine__roots', arguments: {} }),
    ]);
    expect(toolText(r1)).toBe('roots: file:///one');
    expect(toolText(r2)).toBe('roots: file:///two');
    const { pids: all, requests } = seen('mine');
    const pids = all.slice(before);
    expect(pids).toHaveLength(2);
    for (const pid of pids) {
      expect(requests.get(pid)![0]).toBe('server/discover');
      expect(requests.get(pid)).not.toContain('initialize');
    }
    await Promise.all([one.close(), two.close()]);
  }, 60_000);
});
