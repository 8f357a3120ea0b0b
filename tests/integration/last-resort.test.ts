import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClientKey } from '../../src/secrets/index.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/localrouter');

describe('the process-level last resort (serve)', () => {
  let mock: MockOpenAI;
  let child: ChildProcess;
  let port = 0;
  let stderr = '';
  const key = generateClientKey();

  beforeAll(async () => {
    mock = await startMockOpenAI();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-last-'));
    fs.writeFileSync(path.join(home, 'config.yaml'), stringify({
      providers: [{ name: 'mock', type: 'openai-compatible', base_url: mock.url, api_key_env: 'MOCK_KEY' }],
      clients: [{ id: 'c_lastresort1', name: 't', key_hash: key.hash, key_prefix: key.prefix, created_at: new Date().toISOString() }],
    }));
    child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0'], {
      env: { ...process.env, LOCALROUTER_TEST_HOOKS: '1', LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_HOME: '', MOCK_KEY: 'sk-upstream-test', LOCALROUTER_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /:(\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
    });
  }, 60_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await mock?.close();
  });

  const chat = (headers: Record<string, string> = {}): Promise<Response> => fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] }),
  });

  it('an uncaught exception and an unhandled rejection on the main thread are logged with their stack, counted, and the process stays up', { timeout: 30_000 }, async () => {
    await chat({ 'x-localrouter-test-crash': 'main' });
    await new Promise((r) => setTimeout(r, 300));
    expect(child.exitCode).toBeNull();
    expect(stderr).toContain('uncaught exception; the gateway keeps running');
    expect(stderr).toContain('unhandled promise rejection; the gateway keeps running');
    expect(stderr).toMatch(/test hook: uncaught exception on the main thread.*\\n\s+at /);
    const health = await (await fetch(`http://127.0.0.1:${port}/health`)).json() as { faults: number };
    expect(health.faults).toBe(2);
    expect((await chat()).status).toBe(200);
  });
});
