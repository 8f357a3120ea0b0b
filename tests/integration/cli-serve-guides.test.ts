import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli-run.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const ROOT = path.resolve(path.dirname(BIN), '..');
const homes: string[] = [];

function tempHome(): string {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-serve-'));
  homes.push(home);
  return home;
}

interface Served {
  child: ChildProcess;
  port: Promise<number>;
  exit: Promise<number | null>;
  stdout(): string;
  stderr(): string;
}

/** Follows a process that prints `localrouter listening on http://127.0.0.1:<port>` on stdout. */
function follow(child: ChildProcess): Served {
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /localrouter listening on http:\/\/127\.0\.0\.1:(\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exit.then(() => reject(new Error(`exited before listening: ${err}`)));
  });
  return { child, port, exit, stdout: () => out, stderr: () => err };
}

const baseEnv: NodeJS.ProcessEnv = { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_LOG_LEVEL: 'warn' };
// Under `npm test` this is set, and serve would then follow its parent: these runs are started directly.
delete baseEnv.npm_lifecycle_event;

function serve(home: string, args: string[] = []): Served {
  const env = baseEnv;
  return follow(spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function cli(home: string, args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, '--home', home, ...args], { env: baseEnv, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  child.stdin.end(input);
  return new Promise((r) => child.on('close', (code) => r({ code, stdout, stderr })));
}

/** Whether a process with this pid still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of the `node bin/localrouter serve` that npm started: the one the data dir's pid file names. */
async function gatewayPid(home: string): Promise<number> {
  const file = path.join(home, 'gateway.pid');
  let text = '';
  await expect.poll(() => (text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : ''), { timeout: 30_000 }).not.toBe('');
  const pid = (JSON.parse(text) as { pid: number }).pid;
  expect(pid).toBeGreaterThan(0);
  return pid;
}

describe('serve tells where everything is', () => {
  let mock: MockOpenAI;
  beforeAll(async () => { mock = await startMockOpenAI(); });
  afterAll(async () => {
    await mock.close();
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  });

  it('prints a banner on stderr (addresses, files, counts, the next commands) and only the listening line on stdout', { timeout: 60_000 }, async () => {
    const home = tempHome();
    const s = serve(home);
    try {
      const port = await s.port;
      await expect.poll(() => s.stderr(), { timeout: 10_000 }).toMatch(/create a client:/);
      const banner = s.stderr();
      expect(banner).toContain(`OpenAI API     http://127.0.0.1:${port}/v1\n`);
      expect(banner).toContain(`MCP            http://127.0.0.1:${port}/mcp\n`);
      expect(banner).toContain(`dashboard      http://127.0.0.1:${port}/\n`);
      expect(banner).toContain(`config         ${path.join(home, 'config.yaml')}\n`);
      expect(banner).toContain(`data           ${home}\n`);
      expect(banner).toContain(`admin token    ${path.join(home, 'admin-token')} `);
      expect(banner).toContain('secrets        encrypted file in');
      expect(banner).toContain('configured     0 providers, 0 clients, 0 MCP servers\n');
      expect(banner).toMatch(/^LocalRouter \d+\.\d+\.\d+ \((compiled build|TypeScript sources)\) is running$/m);
      expect(banner).toMatch(/add a provider: .*localrouter providers add openai --type openai --api-key-stdin/);
      expect(fs.existsSync(path.join(home, 'admin-token'))).toBe(true);
      expect(s.stdout()).toBe(`localrouter listening on http://127.0.0.1:${port}\n`);
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
    }
  });

  it('--access-log prints one line per request on stdout, without bodies; the banner stops asking once things exist', { timeout: 90_000 }, async () => {
    const home = tempHome();
    expect((await cli(home, ['providers', 'add', 'mock', '--base-url', mock.url, '--api-key-stdin'], 'sk-upstream-test\n')).code).toBe(0);
    const created = await cli(home, ['clients', 'create', 'tiny']);
    const key = created.stdout.trim();
    expect(key).toMatch(/^lr-[A-Za-z0-9_-]{43}$/);
    const s = serve(home, ['--access-log']);
    try {
      const port = await s.port;
      await expect.poll(() => s.stderr(), { timeout: 10_000 }).toMatch(/access log +on/);
      expect(s.stderr()).toContain('configured     1 provider, 1 client, 0 MCP servers\n');
      expect(s.stderr()).not.toMatch(/next, in another terminal/);
      const client = new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      const secret = 'a prompt that must not be logged';
      const answer = await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: secret }] }).withResponse();
      const id = answer.response.headers.get('x-localrouter-generation-id')!;
      await expect(client.chat.completions.create({ model: 'mock/error-500', messages: [{ role: 'user', content: 'x' }] })).rejects.toThrow();
      await expect.poll(() => s.stdout().split('\n').length, { timeout: 10_000 }).toBe(4);
      const [listening, ok, failed] = s.stdout().split('\n');
      expect(listening).toBe(`localrouter listening on http://127.0.0.1:${port}`);
      expect(ok).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\S+Z 200 chat tiny mock/echo [\\d.]+ms ttft=\\S+ tok=\\d+/\\d+ cost=\\S+ ${id}$`));
      expect(failed).toMatch(/^\S+ 502 chat tiny mock\/error-500 [\d.]+ms ttft=- tok=- cost=- gen-[0-9a-f]+ LR_ERR_\w+$/);
      expect(s.stdout()).not.toContain(secret);
      expect(s.stdout()).not.toContain('echo: ');

      // A filter naming nothing that exists is an error, not an empty listing.
      await expect.poll(async () => (await cli(home, ['logs', '--client', 'tiny', '--json'])).stdout, { timeout: 10_000 }).toContain(id);
      expect(await cli(home, ['logs', '--client', 'nobody'])).toEqual({ code: 1, stdout: '', stderr: 'error: no such client: "nobody" (not in the config, no requests logged)\n' });
      expect(await cli(home, ['logs', '--provider', 'nope'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: no such provider: "nope"/) });
      expect(await cli(home, ['logs', '--server', 'nope'])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^error: no such MCP server: "nope"/) });
      expect((await cli(home, ['logs', '--provider', 'mock'])).code).toBe(0);
    } finally {
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
    }
  });
});

describe('npm start under a signal leaves no gateway behind', () => {
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    it(`${signal} to npm start stops node bin/localrouter serve`, { timeout: 90_000 }, async () => {
      const home = tempHome();
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: ROOT, env: { ...baseEnv, LOCALROUTER_HOME: home, LOCALROUTER_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      const s = follow(npm);
      await s.port;
      const pid = await gatewayPid(home);
      expect(pid).not.toBe(npm.pid);
      npm.kill(signal);
      await s.exit;
      // SIGTERM/SIGINT reach the gateway (npm forwards them, and the script execs node); after
      // SIGKILL, npm cannot forward anything: the gateway notices its parent is gone.
      await expect.poll(() => alive(pid), { timeout: 20_000, interval: 200, message: `gateway ${pid} still runs:\n${s.stderr()}` }).toBe(false);
      expect(fs.existsSync(path.join(home, 'gateway.pid'))).toBe(false);
    });
  }
});
