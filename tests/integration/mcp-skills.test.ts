import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpError, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { EVERYTHING, FILESYSTEM } from '../helpers/mcp-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';
import { generateClientKey } from '../../src/secrets/index.js';
import { runCli } from '../helpers/cli-run.js';

// Skills through /mcp with the MCP SDK client: the shipped examples and the test skills in
// fixtures/skills, real server-filesystem (`files`) and server-everything (`every`), the mock LLM upstream.
const EXAMPLES = path.resolve('examples/skills');
const FIXTURES = path.resolve('tests/integration/fixtures/skills');

let mock: MockOpenAI;
let fx: GatewayFixture;
let docs: string;
let live: string;
const keys: Record<string, string> = {};

function clientEntry(id: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const k = generateClientKey();
  keys[name] = k.key;
  return { id, name, key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString(), ...extra };
}

beforeAll(async () => {
  mock = await startMockOpenAI();
  docs = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-docs-')));
  fs.writeFileSync(path.join(docs, 'alpha.md'), '# Alpha\nThe alpha document talks about apples.\n');
  fs.writeFileSync(path.join(docs, 'beta.md'), '# Beta\nThe beta document talks about bananas.\n');
  fs.writeFileSync(path.join(docs, 'notes.txt'), 'not markdown');
  fs.mkdirSync(path.join(docs, 'sub.md'));
  live = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-live-'));
  fs.cpSync(path.join(FIXTURES, 'bad-expr'), path.join(live, 'live-one'), { recursive: true });
  fs.writeFileSync(path.join(live, 'live-one', 'SKILL.md'), fs.readFileSync(path.join(live, 'live-one', 'SKILL.md'), 'utf8').replace('name: bad-expr', 'name: live-one'));
  fx = await startGatewayFixture(mock.url, {
    mcpServers: [
      { name: 'files', transport: 'stdio', command: process.execPath, args: [FILESYSTEM, docs] },
      { name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
    ],
    providers: [{ name: 'slow', type: 'openai-compatible', base_url: mock.url, models: ['hang'] }],
    priceOverrides: { 'mock/echo': { input_per_mtok: 1, output_per_mtok: 2 }, 'mock/gpt-test': { input_per_mtok: 1, output_per_mtok: 2 } },
    strategies: [
      {
        name: 'limited', auto: { models: ['mock/echo'] }, deny: ['mock/gpt-test'],
        mcp: { per_server: { files: { tools: { allow: ['*'], deny: ['write_file'] } } }, deny_skills: ['model-panel'], tool_limits: [{ tool: 'every__echo', window: 'minute', max: 1 }] },
      },
      { name: 'open', auto: { models: ['mock/echo'] } },
    ],
    clients: [
      clientEntry('c_skilllimited', 'limited', { strategy: 'limited' }),
      clientEntry('c_skillpoor01', 'poor', { strategy: 'open', limits: [{ kind: 'cost', window: 'day', max: 0.00001 }] }),
    ],
    config: { skills: { paths: [EXAMPLES, FIXTURES, live] }, monitoring: { enabled: true, flush_interval_ms: 100 } },
  });
  keys.test = fx.key;
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await mock?.close();
  for (const d of [docs, live]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

async function connect(name = 'test'): Promise<Client> {
  const client = new Client({ name: 'skills-test', version: '1.0.0' }, { capabilities: {} });
  const origin = fx.baseURL.replace(/\/v1$/, '');
  await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${keys[name]}` } } }));
  return client;
}

async function admin(p: string): Promise<Response> {
  return fetch(`${fx.baseURL.replace(/\/v1$/, '')}${p}`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
}

async function until<T>(what: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Tool = { name: string; title?: string; description?: string; inputSchema: Record<string, unknown>; outputSchema?: Record<string, unknown>; annotations?: Record<string, unknown>; _meta?: Record<string, unknown> };
const textOf = (r: object): string => (((r as { content?: unknown }).content ?? []) as { text?: string }[]).map((c) => c.text ?? '').join('\n');

describe('skills as MCP tools', () => {
  it('lists runnable skills as skills__<name> with their schemas, title and annotations, and skills__read for instruction-only ones; broken skills are left out', async () => {
    const client = await connect();
    try {
      const tools = (await client.listTools()).tools as Tool[];
      const byName = new Map(tools.map((t) => [t.name, t]));
      const digest = byName.get('skills__folder-digest')!;
      expect(digest.title).toBe('Folder digest');
      expect(digest.inputSchema).toMatchObject({ type: 'object', required: ['path'], properties: { path: { type: 'string' } } });
      expect(digest.outputSchema).toMatchObject({ type: 'object', required: ['folder', 'files'] });
      expect(digest.annotations).toEqual({ readOnlyHint: true, openWorldHint: false });
      expect(digest.description).toContain('Lists a folder');
      expect(byName.has('skills__model-panel')).toBe(true);
      const read = byName.get('skills__read')!;
      expect(read.description).toContain('- release-notes: How to write release notes');
      expect(byName.has('skills__release-notes')).toBe(false);
      expect(byName.has('skills__broken-ref')).toBe(false);
      // The upstream tools are still there beside them.
      expect(byName.has('files__read_text_file')).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('runs folder-digest end to end: lists the folder, reads each .md file, one llm digest per file, with a progress notification per step', async () => {
    const client = await connect();
    try {
      const progress: { progress: number; total?: number; message?: string }[] = [];
      const before = mock.seen.length;
      const result = await client.callTool({ name: 'skills__folder-digest', arguments: { path: docs, model: 'mock/echo' } }, undefined, {
        onprogress: (p) => progress.push(p),
      });
      expect(result.isError).toBeFalsy();
      const out = result.structuredContent as { folder: string; files: { name: string; digest: string }[] };
      expect(out.folder).toBe(docs);
      expect(out.files.map((f) => f.name)).toEqual(['alpha.md', 'beta.md']);
      expect(out.files[0]!.digest).toContain('echo: Digest of alpha.md');
      expect(out.files[0]!.digest).toContain('apples');
      expect(out.files[1]!.digest).toContain('bananas');
      expect(progress.map((p) => [p.progress, p.total])).toEqual([[1, 4], [2, 4], [3, 4], [4, 4]]);
      expect(progress.map((p) => /^step (\w+)/.exec(p.message!)?.[1])).toEqual(['list', 'markdown', 'read', 'digest']);
      expect(progress[2]!.message).toContain('2 items');
      const llm = mock.seen.slice(before).filter((r) => r.url === '/v1/chat/completions');
      expect(llm.map((r) => r.body.model)).toEqual(['echo', 'echo']);
      expect(llm[0]!.body.messages[0]).toEqual({ role: 'system', content: 'You write two-sentence digests of Markdown documents.' });
      const steps = ((result._meta as Record<string, { steps: { id: string; status: string; cost_usd: number }[] }>)['localrouter/skill']!).steps;
      expect(steps.map((s) => [s.id, s.status])).toEqual([['list', 'ok'], ['markdown', 'ok'], ['read', 'ok'], ['digest', 'ok']]);
    } finally {
      await client.close();
    }
  });

  it('reads an instruction-only skill and its files through skills__read, and never a file outside its folder', async () => {
    const client = await connect();
    try {
      const main = await client.callTool({ name: 'skills__read', arguments: { name: 'release-notes' } });
      expect(textOf(main)).toContain('# Writing release notes');
      expect(textOf(main)).toContain('references/template.md');
      const ref = await client.callTool({ name: 'skills__read', arguments: { name: 'release-notes', path: 'references/template.md' } });
      expect(textOf(ref)).toContain('### Breaking');
      const out = await client.callTool({ name: 'skills__read', arguments: { name: 'release-notes', path: '../folder-digest/SKILL.md' } });
      expect(out.isError).toBe(true);
      expect(textOf(out)).toContain('not a path inside the skill');
    } finally {
      await client.close();
    }
  });

  it('reports an expression that fails at run time as an error of its step, and an input that does not match the schema', async () => {
    const client = await connect();
    try {
      const r = await client.callTool({ name: 'skills__bad-expr', arguments: { n: 1 } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/skill bad-expr failed at step compute: value: expression "\$notAFunction\(input\.n\)" failed: Attempted to invoke a non-function/);
      const bad = await client.callTool({ name: 'skills__folder-digest', arguments: { path: 42 } });
      expect(bad.isError).toBe(true);
      expect(textOf(bad)).toMatch(/invalid input: .*path must be string/);
    } finally {
      await client.close();
    }
  });

  it('checks literal tool arguments against the tool\'s input schema: shown in the listing, and the run fails before its first step', async () => {
    const client = await connect();
    try {
      const tool = ((await client.listTools()).tools as Tool[]).find((t) => t.name === 'skills__wrong-args')!;
      expect((tool._meta!['localrouter/skill'] as { issues: string[] }).issues).toEqual(['step sum: arguments.a: type mismatch: every__get-sum wants number, the step gives string']);
      const r = await client.callTool({ name: 'skills__wrong-args', arguments: {} });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('step sum: arguments.a: type mismatch: every__get-sum wants number, the step gives string');
      const meta = (r._meta ?? {}) as Record<string, unknown>;
      expect(meta['localrouter/skill']).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('fails a run at the step that calls a tool the client\'s strategy denies, with the steps before it as partial results; shown in the listing', async () => {
    const client = await connect('limited');
    try {
      const tools = (await client.listTools()).tools as Tool[];
      const note = tools.find((t) => t.name === 'skills__write-note')!;
      expect((note._meta!['localrouter/skill'] as { unavailable: string[] }).unavailable).toEqual(['files__write_file']);
      expect(note.description).toContain('Not available to this client: files__write_file');
      const r = await client.callTool({ name: 'skills__write-note', arguments: { dir: docs } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('skill write-note failed at step write: Unknown tool: files__write_file');
      expect(textOf(r)).toContain('partial results');
      expect(textOf(r)).toContain('alpha.md');
      expect(fs.existsSync(path.join(docs, 'note.txt'))).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('admits each tool step against the client\'s limits like its own calls: a per-tool limit stops the second call', async () => {
    const client = await connect('limited');
    try {
      const r = await client.callTool({ name: 'skills__echo-twice', arguments: {} });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/skill echo-twice failed at step each: rate limit reached: 1 call of tool "every__echo" for this client per minute/);
      const own = await client.callTool({ name: 'every__echo', arguments: { message: 'x' } }).catch((e: unknown) => e);
      expect((own as McpError).code).toBe(-32029);
    } finally {
      await client.close();
    }
  });

  it('refuses an llm step a model the client\'s strategy denies (never swapped for another)', async () => {
    const client = await connect('limited');
    try {
      const before = mock.seen.length;
      const r = await client.callTool({ name: 'skills__folder-digest', arguments: { path: docs, model: 'mock/gpt-test' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/skill folder-digest failed at step digest: .*mock\/gpt-test/);
      expect(mock.seen.slice(before).filter((x) => x.url === '/v1/chat/completions')).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('does not list or run a skill the strategy denies', async () => {
    const client = await connect('limited');
    try {
      const names = ((await client.listTools()).tools as Tool[]).map((t) => t.name);
      expect(names).not.toContain('skills__model-panel');
      expect(names).toContain('skills__folder-digest');
      const err = await client.callTool({ name: 'skills__model-panel', arguments: { question: 'q', models: ['mock/echo'] } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).message).toContain('Unknown tool: skills__model-panel');
      const read = await client.callTool({ name: 'skills__read', arguments: { name: 'model-panel' } });
      expect(read.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('stops a run when the client cancels it: the step after the running one never runs', async () => {
    const client = await connect();
    try {
      const abort = new AbortController();
      const running = client.callTool({ name: 'skills__slow-write', arguments: { dir: docs } }, undefined, { signal: abort.signal });
      setTimeout(() => abort.abort('user stopped it'), 400);
      await expect(running).rejects.toThrow();
      // The slow step would have finished after 3 s; give it that and more.
      await new Promise((r) => setTimeout(r, 3_500));
      expect(fs.existsSync(path.join(docs, 'after-slow.txt'))).toBe(false);
      const rows = await until(async () => {
        const body = await (await admin('/api/logs?server=skills&tool=slow-write')).json() as { data: { status: number; error_message: string; steps: { id: string; status: string }[] }[] };
        return body.data.length > 0 ? body.data : undefined;
      });
      expect(rows[0]!.status).toBe(499);
      expect(rows[0]!.error_message).toBe('cancelled by the client');
      expect(rows[0]!.steps.map((x) => [x.id, x.status])).toEqual([['slow', 'cancelled']]);
    } finally {
      await client.close();
    }
  }, 20_000);

  it('fails a step that runs past its timeout, naming the step', async () => {
    const client = await connect();
    try {
      const r = await client.callTool({ name: 'skills__too-slow', arguments: {} });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toContain('skill too-slow failed at step slow: timed out after 300 ms');
      const meta = (r._meta as Record<string, { steps: { id: string; status: string }[] }>)['localrouter/skill']!;
      expect(meta.steps.map((s) => [s.id, s.status])).toEqual([['first', 'ok'], ['slow', 'error']]);
    } finally {
      await client.close();
    }
  });

  it('aborts the upstream model call of an llm step that times out', async () => {
    const client = await connect();
    try {
      const r = await client.callTool({ name: 'skills__llm-hang', arguments: {} });
      expect(textOf(r)).toContain('skill llm-hang failed at step ask: timed out after 300 ms');
      await until(async () => (mock.aborted.some((x) => x.body?.model === 'hang') ? true : undefined));
    } finally {
      await client.close();
    }
  });

  it('reloads an edited skill live and tells the client its tool list changed', async () => {
    const client = await connect();
    try {
      const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
      const before = ((await client.listTools()).tools as Tool[]).find((t) => t.name === 'skills__live-one')!;
      expect(before.description).toContain('An expression that compiles');
      const file = path.join(live, 'live-one', 'SKILL.md');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('An expression that compiles but fails when it runs.', 'Edited while the gateway runs.'));
      await changed;
      const after = ((await client.listTools()).tools as Tool[]).find((t) => t.name === 'skills__live-one')!;
      expect(after.description).toContain('Edited while the gateway runs.');
    } finally {
      await client.close();
    }
  }, 20_000);

  it('charges llm steps to the calling client: logged with its cost, counted in /metrics, and refused once its cost limit is spent', async () => {
    const client = await connect();
    try {
      const r = await client.callTool({ name: 'skills__model-panel', arguments: { question: 'which fruit?', models: ['mock/echo', 'mock/gpt-test'], judge: 'mock/echo' } });
      expect(r.isError).toBeFalsy();
      const out = r.structuredContent as { answers: { model: string; answer: string }[]; verdict: string };
      expect(out.answers).toEqual([{ model: 'mock/echo', answer: 'echo: which fruit?' }, { model: 'mock/gpt-test', answer: 'echo: which fruit?' }]);
      expect(out.verdict).toContain('Which answer is best?');
      // Mock usage is 11 prompt + 7 completion tokens at $1 / $2 per Mtok: $0.000025 per call, three calls.
      const rows = await until(async () => {
        const body = await (await admin('/api/logs?server=skills&tool=model-panel')).json() as { data: Record<string, unknown>[] };
        return body.data.length > 0 ? body.data : undefined;
      });
      const row = rows[0]!;
      expect(row.client).toBe('test');
      expect(row.cost_usd as number).toBeCloseTo(0.000075, 9);
      expect(row.prompt_tokens).toBe(33);
      expect((row.steps as { id: string; status: string; items: number }[]).map((s) => [s.id, s.status, s.items])).toEqual([['ask', 'ok', 2], ['judge', 'ok', 1]]);
      const llmRows = await until(async () => {
        const body = await (await admin('/api/logs?kind=llm&client=test&limit=100')).json() as { data: Record<string, unknown>[] };
        return body.data.filter((x) => x.cost_usd !== null).length >= 3 ? body.data : undefined;
      });
      expect(llmRows.some((x) => x.model === 'mock/gpt-test' && x.client === 'test')).toBe(true);
      const metrics = await (await fetch(`${fx.baseURL.replace(/\/v1$/, '')}/metrics`)).text();
      expect(metrics).toMatch(/localrouter_skill_runs_total\{skill="model-panel",status="ok"\} 1/);
      expect(metrics).toMatch(/localrouter_skill_steps_total\{skill="model-panel",kind="llm",status="ok"\} 2/);
    } finally {
      await client.close();
    }
    const poor = await connect('poor');
    try {
      const r = await poor.callTool({ name: 'skills__model-panel', arguments: { question: 'q', models: ['mock/echo'], judge: 'mock/echo' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/failed at step judge: rate limit reached: .* cost per day for this client/);
    } finally {
      await poor.close();
    }
  });

  it('localrouter skills run prints each step as it ends, then the result; --json prints only the result on stdout', async () => {
    const url = `${fx.baseURL.replace(/\/v1$/, '')}/mcp`;
    const input = JSON.stringify({ path: docs, model: 'mock/echo' });
    const plain = await runCli(['--home', fx.home, 'skills', 'run', 'folder-digest', '--input', input, '--key', keys.test!, '--url', url]);
    expect(plain.code, plain.stderr).toBe(0);
    const lines = plain.stdout.split('\n');
    expect(lines.slice(0, 4).map((l) => /^\[(\d)\/4\] step (\w+)/.exec(l)?.slice(1, 3))).toEqual([['1', 'list'], ['2', 'markdown'], ['3', 'read'], ['4', 'digest']]);
    expect(JSON.parse(lines.slice(4).join('\n'))).toMatchObject({ folder: docs, files: [{ name: 'alpha.md' }, { name: 'beta.md' }] });
    const json = await runCli(['--home', fx.home, 'skills', 'run', 'folder-digest', '--input', input, '--key', keys.test!, '--url', url, '--json']);
    expect(json.code, json.stderr).toBe(0);
    expect((JSON.parse(json.stdout) as { structuredContent: { files: unknown[] } }).structuredContent.files).toHaveLength(2);
    expect(json.stderr).toContain('[4/4] step digest');
    const failed = await runCli(['--home', fx.home, 'skills', 'run', 'too-slow', '--key', keys.test!, '--url', url]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('error: skill too-slow failed at step slow: timed out after 300 ms');
  }, 30_000);

  it('localrouter skills add on a running gateway offers the new skill at once, with list_changed', async () => {
    const extra = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-skill-added-'));
    try {
      fs.mkdirSync(path.join(extra, 'hello'));
      fs.writeFileSync(path.join(extra, 'hello', 'SKILL.md'), [
        '---', 'name: hello', 'description: Says hello through every__echo.', 'input:', '  type: object', '  properties:', '    who: { type: string }',
        'workflow:', '  steps:', '    - id: say', '      tool: every__echo', '      arguments: { message: "{{ \'hello \' & input.who }}" }', '---', '',
      ].join('\n'));
      const client = await connect();
      try {
        const changed = new Promise<void>((resolve) => client.setNotificationHandler(ToolListChangedNotificationSchema, () => resolve()));
        const add = await runCli(['--home', fx.home, 'skills', 'add', extra]);
        expect(add.code, add.stderr).toBe(0);
        await changed;
        const tools = (await client.listTools()).tools as Tool[];
        expect(tools.map((t) => t.name)).toContain('skills__hello');
        const r = await client.callTool({ name: 'skills__hello', arguments: { who: 'skills' } });
        // Without an output mapping the result is every step's value.
        expect(r.structuredContent).toEqual({ say: 'Echo: hello skills' });
      } finally {
        await client.close();
      }
    } finally {
      fs.rmSync(extra, { recursive: true, force: true });
    }
  }, 30_000);
});
