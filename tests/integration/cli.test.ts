import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../src/cli/index.js';
import { openSecretStore, hashClientKey } from '../../src/secrets/index.js';
import { BIN, runCli, spawnCli, testIo, type CliResult, type TestIo } from '../helpers/cli-run.js';

function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lr-'));
}

/** Runs `localrouter --home <home> ...args` in this process, with the file secret store. */
function run(home: string, args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return runCli(['--home', home, ...args], opts);
}

async function ok(home: string, args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<string> {
  const r = await run(home, args, opts);
  expect(r, `localrouter ${args.join(' ')}\n${r.stderr}`).toMatchObject({ code: 0 });
  return r.stdout;
}

function configOf(home: string): Record<string, any> {
  return parse(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8'));
}

/** Every file under `dir`, concatenated: a secret must not appear in any of them in clear. */
function allFilesText(dir: string): string {
  return fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f), 'latin1')).join('\n');
}

function expectOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('localrouter CLI', () => {
  it.concurrent('providers add/list/remove keeps an API key from stdin out of the YAML', { timeout: 120_000 }, async () => {
    const home = tempHome();
    const key = 'sk-test-0123456789abcdef';
    await ok(home, ['providers', 'add', 'openai', '--type', 'openai-compatible', '--base-url', 'https://api.example.com/v1/',
      '--api-key-stdin', '--header', 'X-Title: my app: v2'], { input: `${key}\n` });
    await ok(home, ['providers', 'add', 'local', '--base-url', 'http://127.0.0.1:11434/v1', '--api-key-env', 'LOCAL_KEY']);

    expect(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8')).not.toContain(key);
    expect(allFilesText(home)).not.toContain(key);
    expect(openSecretStore(home, { backend: 'file' }).get('provider:openai')).toBe(key);
    expect(configOf(home).providers[0]).toMatchObject({
      name: 'openai', base_url: 'https://api.example.com/v1', headers: { 'X-Title': 'my app: v2' },
    });

    const listed = JSON.parse(await ok(home, ['providers', 'list', '--json']));
    expect(listed).toEqual([
      { name: 'openai', type: 'openai-compatible', base_url: 'https://api.example.com/v1', key_source: 'secret_store', api_key_env: null, enabled: true, state: 'gateway not running', models: [] },
      { name: 'local', type: 'openai-compatible', base_url: 'http://127.0.0.1:11434/v1', key_source: 'env', api_key_env: 'LOCAL_KEY', enabled: true, state: 'gateway not running', models: [] },
    ]);
    expect(await ok(home, ['providers', 'list'])).toMatch(/openai\s+openai-compatible\s+https:\/\/api\.example\.com\/v1\s+yes\s+secret store/);

    expectOneLineError(await run(home, ['providers', 'add', 'local', '--base-url', 'http://x']), 1,
      /^error: a provider named "local" already exists\n$/);

    await ok(home, ['providers', 'remove', 'openai']);
    expect(openSecretStore(home, { backend: 'file' }).get('provider:openai')).toBeUndefined();
    expect(JSON.parse(await ok(home, ['providers', 'list', '--json'])).map((p: { name: string }) => p.name)).toEqual(['local']);
  });

  it.concurrent('providers test lists the upstream models with the stored key, and reports a bad status', { timeout: 120_000 }, async () => {
    const seen: (string | undefined)[] = [];
    const server = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      const good = req.url === '/v1/models' && (req.headers.authorization === 'Bearer sk-upstream'
        // Preset auth style: Anthropic takes x-api-key plus its version header.
        || (req.headers['x-api-key'] === 'sk-ant' && req.headers['anthropic-version'] === '2023-06-01'));
      res.writeHead(good ? 200 : 401, { 'content-type': 'application/json' });
      res.end(JSON.stringify(good ? { object: 'list', data: [{ id: 'gpt-a' }, { id: 'gpt-b' }] }
        : { error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const home = tempHome();
      await ok(home, ['providers', 'add', 'up', '--base-url', base, '--api-key-stdin'], { input: 'sk-upstream' });
      expect(JSON.parse(await ok(home, ['providers', 'test', 'up', '--json']))).toEqual({ models: ['gpt-a', 'gpt-b'] });
      expect(await ok(home, ['providers', 'test', 'up'])).toBe('gpt-a\ngpt-b\n');
      expect(seen).toEqual(['Bearer sk-upstream', 'Bearer sk-upstream']);


      await ok(home, ['providers', 'add', 'ant', '--type', 'anthropic', '--base-url', base, '--api-key-env', 'ANT_KEY']);
      expect(JSON.parse(await ok(home, ['providers', 'test', 'ant', '--json'], { env: { ANT_KEY: 'sk-ant' } }))).toEqual({ models: ['gpt-a', 'gpt-b'] });

      await ok(home, ['providers', 'add', 'wrong', '--base-url', base, '--api-key-env', 'WRONG_KEY']);
      const bad = await run(home, ['providers', 'test', 'wrong'], { env: { WRONG_KEY: 'sk-nope' } });
      expectOneLineError(bad, 1, /^error: provider "wrong": GET http:\/\/127\.0\.0\.1:\d+\/v1\/models returned HTTP 401: Incorrect API key provided\n$/);
      expect(bad.stderr).not.toContain('sk-nope');
    } finally {
      server.close();
    }
  });

  it.concurrent('clients create/list/disable/rotate/remove with --json, storing only hashes', { timeout: 120_000 }, async () => {
    const home = tempHome();
    const created = JSON.parse(await ok(home, ['clients', 'create', 'dev', '--json']));
    expect(created).toEqual({ id: expect.stringMatching(/^c_[A-Za-z0-9_-]{12}$/), name: 'dev', key: expect.stringMatching(/^lr-[A-Za-z0-9_-]{43}$/) });
    const yaml = fs.readFileSync(path.join(home, 'config.yaml'), 'utf8');
    expect(yaml).not.toContain(created.key);
    expect(configOf(home).clients[0]).toMatchObject({ id: created.id, key_hash: hashClientKey(created.key), key_prefix: created.key.slice(0, 10) });

    // Data on stdout, notices on stderr: `KEY=$(localrouter clients create ci)` captures only the key.
    const plain = await run(home, ['clients', 'create', 'ci']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/^lr-[A-Za-z0-9_-]{43}\n$/);
    expect(plain.stderr).toMatch(/^client "ci" \(c_[A-Za-z0-9_-]{12}\) created: this key is shown only once/);

    const listed = JSON.parse(await ok(home, ['clients', 'list', '--json']));
    expect(listed.map((c: { name: string }) => c.name)).toEqual(['dev', 'ci']);
    expect(listed[0]).toEqual({
      id: created.id, name: 'dev', key_prefix: created.key.slice(0, 10), enabled: true,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), allowed_models: ['*'],
      strategy: 'default', follows_default_strategy: true, limits: [],
    });
    expect(JSON.stringify(listed)).not.toMatch(/key_hash|[0-9a-f]{64}/);

    await ok(home, ['clients', 'disable', 'dev']);
    expect(configOf(home).clients[0].enabled).toBe(false);

    const rotated = JSON.parse(await ok(home, ['clients', 'rotate', 'dev', '--json']));
    expect(rotated).toMatchObject({ id: created.id, name: 'dev' });
    expect(rotated.key).not.toBe(created.key);
    expect(configOf(home).clients[0]).toMatchObject({ key_hash: hashClientKey(rotated.key), key_prefix: rotated.key.slice(0, 10), enabled: false });

    await ok(home, ['clients', 'enable', created.id]);
    expect(configOf(home).clients[0].enabled).toBe(true);

    await ok(home, ['clients', 'remove', 'dev']);
    expect(JSON.parse(await ok(home, ['clients', 'list', '--json'])).map((c: { name: string }) => c.name)).toEqual(['ci']);
    expectOneLineError(await run(home, ['clients', 'rotate', 'dev']), 1, /^error: no client named "dev"\n$/);
  });

  it.concurrent('config validate/show/path, readable errors for a broken file', { timeout: 120_000 }, async () => {
    const home = tempHome();
    const file = path.join(home, 'config.yaml');
    expect(await ok(home, ['config', 'path'])).toBe(`${file}\n`);
    await ok(home, ['clients', 'create', 'dev']);
    expect(await ok(home, ['config', 'validate'])).toBe('ok\n');

    const shown = JSON.parse(await ok(home, ['config', 'show', '--json']));
    expect(shown).toMatchObject({ secrets: 'file', server: { port: 3625 }, clients: [{ name: 'dev' }] });
    expect(shown.clients[0].key_hash).toBeUndefined();
    expect(await ok(home, ['config', 'show'])).toMatch(/^secrets: file$/m);

    const bad = path.join(home, 'bad.yaml');
    fs.writeFileSync(bad, 'providers:\n  - name: x\n    type: openai-compatible\n    base_url: ftp://x\n    apikey: sk\n');
    const r = await run(home, ['config', 'validate', '--file', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([
      `${bad}: providers[0].base_url: must be an http(s) URL (line 4)`,
      expect.stringMatching(new RegExp(`^${bad.replace(/[.\\]/g, '\\$&')}: providers\\[0\\]: unknown key "apikey"`)),
    ]);

    fs.writeFileSync(file, 'server:\n  port: [1\n');
    expectOneLineError(await run(home, ['config', 'validate']), 1, /config\.yaml:\d+:\d+: YAML syntax error: /);
    // Other commands refuse to act on a broken config, with the same readable message.
    expectOneLineError(await run(home, ['clients', 'create', 'x']), 1, /^error: \S+config\.yaml:\d+:\d+: YAML syntax error/);
  });

  it.concurrent('usage errors exit 2 with a message, not a stack trace', { timeout: 120_000 }, async () => {
    const home = tempHome();
    expectOneLineError(await run(home, ['frobnicate']), 2, /unknown command 'frobnicate'/);
    expectOneLineError(await run(home, ['providers', 'add', 'x']), 2, /required option '--base-url <url>' not specified/);
    expectOneLineError(await run(home, ['clients', 'create', 'Not Valid']), 2, /invalid for argument 'name'/);
    expect(fs.existsSync(path.join(home, 'config.yaml'))).toBe(false);
  });

  it.concurrent('the real binary: exit codes, stdout and stderr apart, a key piped on stdin, --help and --version', { timeout: 120_000 }, async () => {
    const home = tempHome();
    const cli = (args: string[], input?: string) => spawnCli(['--home', home, ...args], { input });
    const help = await cli(['--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: localrouter \[options\] \[command\]\n[\s\S]*\n {2}providers\s/);
    const version = await cli(['--version']);
    expect(version).toEqual({ code: 0, stdout: `${JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version}\n`, stderr: '' });

    const usage = await cli(['providers', 'add', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.stdout).toBe('');
    expect(usage.stderr).toMatch(/^error: required option '--base-url <url>' not specified/);

    expect(await cli(['providers', 'add', 'up', '--base-url', 'http://127.0.0.1:9/v1', '--api-key-stdin'], 'sk-piped\n'))
      .toMatchObject({ code: 0, stdout: 'added provider "up" (openai-compatible, http://127.0.0.1:9/v1); API key: secret store\n' });
    expect(openSecretStore(home, { backend: 'file' }).get('provider:up')).toBe('sk-piped');
    const created = await cli(['clients', 'create', 'dev', '--json']);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: 'dev', key: expect.stringMatching(/^lr-/) });

    fs.writeFileSync(path.join(home, 'bad.yaml'), 'server:\n  port: "x"\n');
    const invalid = await cli(['config', 'validate', '--file', path.join(home, 'bad.yaml')]);
    expect(invalid).toMatchObject({ code: 1, stdout: '' });
    expect(invalid.stderr).toMatch(/bad\.yaml: server\.port: expected number/);
    const failed = await cli(['clients', 'rotate', 'nobody']);
    expect(failed).toEqual({ code: 1, stdout: '', stderr: 'error: no client named "nobody"\n' });
  });

  it.concurrent('serve prints the address and exits 0 on SIGTERM; --port beats LOCALROUTER_PORT beats config', { timeout: 120_000 }, async () => {
    const home = tempHome();
    const child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0'], {
      env: { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_PORT: 'not-a-port', LOCALROUTER_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout);
      });
      child.on('exit', () => reject(new Error(`serve exited early: ${stderr}`)));
    });
    expect(line).toMatch(/^localrouter listening on http:\/\/127\.0\.0\.1:(\d+)\n$/);
    const port = Number(/:(\d+)\n$/.exec(line)![1]);
    expect(port).not.toBe(3625);
    const health = await new Promise<number>((resolve, reject) => {
      http.get(`http://127.0.0.1:${port}/v1/models`, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
    });
    expect(health).toBeGreaterThan(0); // something answers HTTP on the printed port
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toBe(line); // exactly one line

    const envBad = await run(home, ['serve'], { env: { LOCALROUTER_PORT: '99999' } });
    expectOneLineError(envBad, 1, /^error: LOCALROUTER_PORT must be a port number/);
  });
});

describe('localrouter serve in this process', () => {
  /** Starts `serve --port 0` through main; resolves with main's promise once the listening line is out. */
  async function serveInProcess(home: string, t: TestIo): Promise<{ port: number; exited: Promise<number> }> {
    const exited = main(['node', 'localrouter', '--home', home, 'serve', '--port', '0'], t.io);
    const listening = vi.waitFor(() => expect(t.stdout()).toMatch(/^localrouter listening on http:\/\/127\.0\.0\.1:\d+\n$/), { timeout: 30_000, interval: 20 });
    const early = await Promise.race([listening.then(() => null), exited]);
    if (early !== null) throw new Error(`serve ended with exit code ${early} before listening: ${t.stderr()}`);
    return { port: Number(/:(\d+)\n$/.exec(t.stdout())![1]), exited };
  }

  // The gateway's own log reads the test process's environment.
  beforeEach(() => { vi.stubEnv('LOCALROUTER_LOG_LEVEL', 'warn'); });
  afterEach(() => { vi.unstubAllEnvs(); });

  it('a second stop signal while the gateway drains ends main at once with 1; the shutdown still completes', { timeout: 60_000 }, async () => {
    // The first signal's exit 0 is what the real binary's SIGTERM test sees.
    const home = tempHome();
    const t = testIo();
    const served = await serveInProcess(home, t);
    expect((await fetch(`http://127.0.0.1:${served.port}/health`)).status).toBe(200);
    t.sendStop();
    t.sendStop();
    expect(await served.exited).toBe(1);
    // Nothing but the start banner: the second signal is not an error to report.
    expect(t.stderr()).toMatch(/^LocalRouter \S+ \(.*\) is running\n/);
    expect(t.stderr()).not.toMatch(/error/i);
    // A real process would have exited by now; here the close the first signal began runs to its end.
    await vi.waitFor(() => expect(fs.existsSync(path.join(home, 'gateway.pid'))).toBe(false), { timeout: 30_000, interval: 20 });
    // A new connection: fetch would reuse its keep-alive one, which the closed gateway answers with 503.
    const fresh = await new Promise<string>((resolve) => {
      http.get({ host: '127.0.0.1', port: served.port, path: '/health', agent: false }, (res) => { res.resume(); resolve(`answered ${res.statusCode}`); })
        .on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(fresh).toBe('ECONNREFUSED');
  });
});
