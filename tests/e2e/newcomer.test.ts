import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const BIN = path.resolve(new URL('../../bin/localrouter', import.meta.url).pathname);
const env = { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_LOG_LEVEL: 'warn' };

function cli(home: string, args: string[], input?: string): string {
  const r = spawnSync(process.execPath, [BIN, '--home', home, ...args], { env, input, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`localrouter ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

function startServe(home: string, extraEnv: Record<string, string> = {}): { child: ChildProcess; port: Promise<number>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0'], { env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const port = new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    void exit.then(() => reject(new Error(`serve exited: ${err}`)));
  });
  return { child, port, exit, stderr: () => err };
}

describe('a newcomer following the README', () => {
  let mock: MockOpenAI;
  const homes: string[] = [];
  afterAll(async () => {
    await mock?.close();
    for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  });

  it('starts the gateway, adds a provider and a client with the CLI while it runs, and uses it with the OpenAI SDK', { timeout: 120_000 }, async () => {
    mock = await startMockOpenAI();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-newcomer-'));
    homes.push(home);
    const server = startServe(home);
    try {
      const port = await server.port;
      expect(fs.existsSync(path.join(home, 'config.yaml'))).toBe(true);
      const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { status: string };
      expect(health.status).toBe('ok');

      cli(home, ['providers', 'add', 'mock', '--type', 'openai-compatible', '--base-url', mock.url, '--api-key-stdin'], 'sk-upstream-test\n');
      const { key } = JSON.parse(cli(home, ['clients', 'create', 'my-app', '--json'])) as { key: string };
      expect(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8')).not.toContain('sk-upstream-test');

      const client = new OpenAI({ apiKey: key, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      // The CLI's edits reach the running server through the config watcher, within a second.
      await expect.poll(async () => {
        try {
          return (await client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content;
        } catch {
          return null;
        }
      }, { timeout: 3000, interval: 100 }).toBe('echo: hi');
    } finally {
      server.child.kill('SIGTERM');
      expect(await server.exit).toBe(0);
    }
  });

  it('refuses to start on the slow JavaScript fallback of uWebSockets.js', { timeout: 60_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-newcomer-'));
    homes.push(home);
    const server = startServe(home, { UWS_USE_FALLBACK: '1' });
    await expect(server.port).rejects.toThrow();
    expect(await server.exit).not.toBe(0);
    expect(server.stderr()).toMatch(/native binary|Node 20/);
  });
});
