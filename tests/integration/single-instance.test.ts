import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-run.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/localrouter');
const ENV = { ...process.env, LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_HOME: '', LOCALROUTER_PORT: '', LOCALROUTER_LOG_LEVEL: 'warn' };
const children: ChildProcess[] = [];
afterEach(() => { for (const c of children.splice(0)) c.kill('SIGKILL'); });

interface Run { code: number | null; stdout: string; stderr: string }

function run(home: string, args: string[]): Promise<Run> {
  const child = spawn(process.execPath, [BIN, '--home', home, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

/** Starts `serve` and resolves with its port once it prints the listening line. */
function serve(home: string, args: string[] = ['--port', '0']): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [BIN, '--home', home, 'serve', ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}

function get(port: number, p: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: p }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', reject);
  });
}

describe('one gateway per data directory and port', () => {
  it('a second serve on the same home exits non-zero naming the running pid and address', { timeout: 60_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-one-'));
    const first = await serve(home);
    const second = await run(home, ['serve', '--port', '0']);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`already running (pid ${first.child.pid}) on http://127.0.0.1:${first.port}`);
    expect(second.stdout).toBe('');
    expect(await get(first.port, '/health')).toBe(200);
  });

  it('a second serve on another home but the same port is refused (no shared port)', { timeout: 60_000 }, async () => {
    const first = await serve(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-one-')));
    const second = await run(fs.mkdtempSync(path.join(os.tmpdir(), 'lr-two-')), ['serve', '--port', String(first.port)]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
  });

  it('a pid file left by a killed gateway does not block the next start', { timeout: 60_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-one-'));
    const first = await serve(home);
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    expect(fs.existsSync(path.join(home, 'gateway.pid'))).toBe(true);
    const again = await serve(home);
    expect(await get(again.port, '/health')).toBe(200);
  });

  it('providers list finds the running gateway on the port it was started with', { timeout: 60_000 }, async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-one-'));
    expect((await runCli(['--home', home, 'providers', 'add', 'local', '--type', 'openai-compatible', '--base-url', 'http://127.0.0.1:9/v1'])).code).toBe(0);
    const { port } = await serve(home);
    expect(port).not.toBe(3625);
    // In this process, with no LOCALROUTER_PORT: only the running gateway's pid file can lead to it.
    const list = await runCli(['--home', home, 'providers', 'list', '--json']);
    expect(list.code).toBe(0);
    expect(list.stdout).not.toContain('gateway not running');
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ name: 'local' });
  });
});
