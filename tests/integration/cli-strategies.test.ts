import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { runCli, spawnCli, type CliResult } from '../helpers/cli-run.js';

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
}

/** Runs `localrouter --home <home> ...args` in this process, with the file secret store. */
function run(home: string, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(['--home', home, ...args], { env });
}

async function ok(home: string, args: string[], env?: Record<string, string>): Promise<string> {
  const r = await run(home, args, env);
  expect(r, `localrouter ${args.join(' ')}\n${r.stderr}`).toMatchObject({ code: 0 });
  return r.stdout;
}

async function json(home: string, args: string[], env?: Record<string, string>): Promise<any> {
  return JSON.parse(await ok(home, [...args, '--json'], env));
}

async function fails(home: string, args: string[], code: number, pattern: RegExp, env?: Record<string, string>): Promise<void> {
  const r = await run(home, args, env);
  expect(r.code, `localrouter ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(code);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (code === 1) expect(r.stderr.trim().split('\n')).toHaveLength(1);
}

function configOf(home: string): Record<string, any> {
  return parse(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8'));
}

const NO_AUTO = { models: [], strong_models: [], weak_models: [] };

describe('localrouter strategies and client strategies', () => {
  it.concurrent('create/list/show/update/remove/default, with clients following them', { timeout: 120_000 }, async () => {
    const home = tempHome();
    // Before any strategy is written, the implicit allow-all default is listed, and reading creates no file.
    expect(await json(home, ['strategies', 'list'])).toEqual([
      { name: 'default', implicit: true, is_default: true, allow: ['*'], deny: [], limits: [], auto: NO_AUTO, clients: [] },
    ]);
    expect(fs.existsSync(path.join(home, 'config.yaml'))).toBe(false);

    const created = await json(home, ['strategies', 'create', 'cheap', '--allow', 'ollama/*', '--allow', 'groq/a,groq/b',
      '--deny', 'ollama/big*', '--limit', 'requests:minute:10', '--limit', 'cost:day:2.5', '--auto-models', 'ollama/x,groq/a']);
    const cheap = {
      name: 'cheap', implicit: false, is_default: false, allow: ['ollama/*', 'groq/a', 'groq/b'], deny: ['ollama/big*'],
      limits: [{ kind: 'requests', window: 'minute', max: 10 }, { kind: 'cost', window: 'day', max: 2.5 }],
      auto: { ...NO_AUTO, models: ['ollama/x', 'groq/a'] }, clients: [],
    };
    expect(created).toEqual(cheap);
    expect(configOf(home).strategies).toEqual([{ name: 'cheap', allow: cheap.allow, deny: cheap.deny, limits: cheap.limits, auto: cheap.auto }]);

    // Bad limits and option mixes are usage errors that change nothing.
    await fails(home, ['strategies', 'create', 'x', '--limit', 'requests:week:3'], 2, /WINDOW must be one of: minute, hour, day/);
    await fails(home, ['strategies', 'update', 'cheap', '--limit', 'requests:hour:5', '--clear-limits'], 2, /cannot be used with/);
    await fails(home, ['strategies', 'update', 'cheap'], 2, /nothing to update/);
    // MCP per-tool limits: set, shown, cleared.
    await fails(home, ['strategies', 'update', 'cheap', '--tool-limit', 'every__echo:week:3'], 2, /WINDOW must be one of: minute, hour, day/);
    const tooly = await json(home, ['strategies', 'update', 'cheap', '--tool-limit', 'every__echo:minute:5', '--tool-limit', 'gh__*:hour:20']);
    expect(tooly.tool_limits).toEqual([{ tool: 'every__echo', window: 'minute', max: 5 }, { tool: 'gh__*', window: 'hour', max: 20 }]);
    expect(configOf(home).strategies[0].mcp.tool_limits).toEqual(tooly.tool_limits);
    expect(await ok(home, ['strategies', 'show', 'cheap'])).toMatch(/tool limits:\s+every__echo:minute:5, gh__\*:hour:20/);
    expect((await json(home, ['strategies', 'update', 'cheap', '--clear-tool-limits'])).tool_limits).toBeUndefined();
    const shaped = await json(home, ['strategies', 'update', 'cheap', '--tool-shape', 'every__echo={"name":"say","fixed_arguments":{"a":40}}']);
    expect(shaped.tool_shapes).toEqual({ every__echo: { name: 'say', fixed_arguments: { a: 40 } } });
    await fails(home, ['strategies', 'update', 'cheap', '--tool-shape', 'every__echo={"name":"no spaces"}'], 1, /name/);
    await fails(home, ['strategies', 'update', 'cheap', '--tool-shape', 'every__echo=nope'], 2, /must be a JSON object/);
    expect((await json(home, ['strategies', 'update', 'cheap', '--clear-tool-shapes'])).tool_shapes).toBeUndefined();
    expect(configOf(home).strategies.map((s: { name: string }) => s.name)).toEqual(['cheap']);

    const dev = await json(home, ['clients', 'create', 'dev', '--strategy', 'cheap', '--limit', 'total_tokens:day:1000']);
    await ok(home, ['clients', 'create', 'ci']);
    await fails(home, ['clients', 'create', 'x', '--strategy', 'nope'], 1, /^error: no strategy named "nope"/);
    expect(configOf(home).clients.map((c: { name: string; strategy?: string; limits: unknown[] }) => [c.name, c.strategy, c.limits])).toEqual([
      ['dev', 'cheap', [{ kind: 'total_tokens', window: 'day', max: 1000 }]], ['ci', undefined, []],
    ]);
    expect(await ok(home, ['clients', 'list'])).toMatch(
      new RegExp(`${dev.id}\\s+dev\\s+lr-\\S+\\s+yes\\s+cheap\\s+total_tokens:day:1000[\\s\\S]*ci\\s+lr-\\S+\\s+yes\\s+default \\(default\\)`),
    );

    // Update replaces only the lists it is given.
    const updated = await json(home, ['strategies', 'update', 'cheap', '--deny', 'groq/b', '--clear-limits']);
    expect(updated).toEqual({ ...cheap, deny: ['groq/b'], limits: [], clients: ['dev'] });
    expect(await ok(home, ['strategies', 'show', 'cheap'])).toMatch(/^allow:\s+ollama\/\*, groq\/a, groq\/b\ndeny:\s+groq\/b\n/m);

    await fails(home, ['strategies', 'remove', 'cheap'], 1, /^error: strategy "cheap" is used by client\(s\) dev; move them first/);
    await fails(home, ['strategies', 'remove', 'default'], 1, /implicit "default" strategy is built in/);

    // Updating the implicit default writes it; it is no longer implicit, and as the default it cannot go.
    await ok(home, ['strategies', 'update', 'default', '--limit', 'requests:minute:100']);
    const listed = await json(home, ['strategies', 'list']);
    expect(listed.map((s: { name: string; implicit: boolean; clients: string[] }) => [s.name, s.implicit, s.clients])).toEqual([
      ['default', false, ['ci']], ['cheap', false, ['dev']],
    ]);
    expect(listed[0].limits).toEqual([{ kind: 'requests', window: 'minute', max: 100 }]);
    await fails(home, ['strategies', 'remove', 'default'], 1, /^error: strategy "default" is the default strategy; make another one the default first/);

    await fails(home, ['strategies', 'default', 'nope'], 1, /^error: no strategy named "nope"/);
    expect(await json(home, ['strategies', 'default', 'cheap'])).toEqual({ default_strategy: 'cheap' });
    await ok(home, ['strategies', 'remove', 'default']);
    const after = await json(home, ['strategies', 'show', 'default']);
    expect(after).toMatchObject({ implicit: true, is_default: false, limits: [], clients: [] });
    expect(configOf(home)).toMatchObject({ default_strategy: 'cheap', strategies: [{ name: 'cheap' }] });

    const moved = await json(home, ['clients', 'update', 'dev', '--strategy', 'default', '--clear-limits', '--allow-models', 'ollama/*,groq/a']);
    expect(moved).toMatchObject({ name: 'dev', strategy: 'default', follows_default_strategy: false, limits: [], allowed_models: ['ollama/*', 'groq/a'] });
    const clients = await json(home, ['clients', 'list']);
    expect(clients.map((c: { strategy: string; follows_default_strategy: boolean }) => [c.strategy, c.follows_default_strategy]))
      .toEqual([['default', false], ['cheap', true]]);
    // What the CLI wrote is a config the gateway loads (it hot-reloads the same file).
    expect(loadConfig(path.join(home, 'config.yaml')).clients[0]).toMatchObject({ strategy: 'default', allowed_models: ['ollama/*', 'groq/a'] });
  });

  it.concurrent('the real binary creates, lists and refuses strategies', { timeout: 120_000 }, async () => {
    const home = tempHome();
    const created = await spawnCli(['--home', home, 'strategies', 'create', 'cheap', '--allow', 'ollama/*', '--limit', 'requests:minute:5', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'cheap', allow: ['ollama/*'], limits: [{ kind: 'requests', window: 'minute', max: 5 }] });
    const listed = await spawnCli(['--home', home, 'strategies', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^cheap\s+ollama\/\*\s+-\s+requests:minute:5\s+0$/m);
    expect(await spawnCli(['--home', home, 'strategies', 'remove', 'default'])).toEqual({
      code: 1, stdout: '', stderr: 'error: the implicit "default" strategy is built in and cannot be removed\n',
    });
  });
});

/** A loopback server answering `GET <path>` with `status` and `body`, anything else 404. */
async function fakeServer(pathName: string, status: number, body: unknown): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    const hit = req.url === pathName;
    res.writeHead(hit ? status : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(hit ? body : { error: 'not found' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe('localrouter providers detect', () => {
  it.concurrent('probes the local presets, reports model counts, and --add adds what is not configured', { timeout: 120_000 }, async () => {
    const ollama = await fakeServer('/api/tags', 200, { models: [{ name: 'llama3.2:latest', model: 'llama3.2:latest' }, { name: 'qwen3:8b' }] });
    const lmstudio = await fakeServer('/v1/models', 200, { object: 'list', data: [{ id: 'qwen2.5-7b-instruct', object: 'model' }] });
    const jan = await fakeServer('/v1/models', 401, { error: { message: 'Unauthorized' } });
    const hosts = JSON.stringify({
      ollama: ollama.url, lmstudio: `${lmstudio.url}/v1`, jan: `${jan.url}/v1`, llamacpp: 'http://127.0.0.1:1/v1', // nothing listens: refused
    });
    const env = { LOCALROUTER_DETECT_HOSTS: hosts };
    try {
      const home = tempHome();
      const found = await json(home, ['providers', 'detect'], env);
      expect(found.map((d: Record<string, unknown>) => [d.type, d.base_url, d.model_count, d.auth_required, d.status])).toEqual([
        ['ollama', ollama.url, 2, false, 'new'],
        ['lmstudio', `${lmstudio.url}/v1`, 1, false, 'new'],
        ['jan', `${jan.url}/v1`, 0, true, 'needs_key'],
      ]);
      expect(found[0].models).toEqual(['llama3.2:latest', 'qwen3:8b']);
      expect(fs.existsSync(path.join(home, 'config.yaml'))).toBe(false);

      // LM Studio is already configured under another name; a preset type needs no --base-url.
      await ok(home, ['providers', 'add', 'lms', '--type', 'lmstudio', '--base-url', `${lmstudio.url}/v1/`]);
      await ok(home, ['providers', 'add', 'groq', '--type', 'groq']);
      const added = await json(home, ['providers', 'detect', '--add'], env);
      expect(added.map((d: Record<string, unknown>) => [d.type, d.status, d.provider])).toEqual([
        ['ollama', 'added', 'ollama'], ['lmstudio', 'configured', 'lms'], ['jan', 'needs_key', null],
      ]);
      expect(configOf(home).providers).toEqual([
        expect.objectContaining({ name: 'lms', type: 'lmstudio' }),
        { name: 'groq', type: 'groq', headers: {}, enabled: true, models: [] },
        { name: 'ollama', type: 'ollama', base_url: ollama.url, headers: {}, enabled: true, models: [] },
      ]);

      // The list shows the effective base URL: the preset's when none is set.
      const listed = await json(home, ['providers', 'list']);
      expect(listed.map((p: { name: string; base_url: string }) => [p.name, p.base_url])).toEqual([
        ['lms', `${lmstudio.url}/v1`], ['groq', 'https://api.groq.com/openai/v1'], ['ollama', ollama.url],
      ]);

      const table = await ok(home, ['providers', 'detect'], env);
      expect(table).toMatch(/^TYPE\s+BASE URL\s+MODELS\s+LATENCY\s+STATUS$/m);
      expect(table).toMatch(new RegExp(`^ollama\\s+${ollama.url}\\s+2\\s+[\\d.]+ ms\\s+configured as "ollama"$`, 'm'));
      expect(table).toMatch(/^jan\s+\S+\s+\?\s+[\d.]+ ms\s+wants an API key: localrouter providers add jan --type jan --api-key-stdin$/m);
      expect(table).not.toMatch(/llamacpp/);

      await fails(home, ['providers', 'detect'], 1, /^error: LOCALROUTER_DETECT_HOSTS: "openai" is not a local provider type/,
        { LOCALROUTER_DETECT_HOSTS: '{"openai":"http://127.0.0.1:1"}' });
    } finally {
      ollama.close();
      lmstudio.close();
      jan.close();
    }
  });
});
