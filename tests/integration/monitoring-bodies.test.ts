import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import { runCli } from '../helpers/cli-run.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

/** One chat request through `gw` (200 expected); its generation id. */
async function askMock(gw: Gateway, key: string, content: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content }] }),
  });
  expect(res.status).toBe(200);
  await res.text();
  return res.headers.get('x-localrouter-generation-id')!;
}

/** A gateway home with the mock as its one provider, one client (its key returned) and `monitoring`. */
function homeWithMock(mock: MockOpenAI, monitoring: Record<string, unknown>): { dir: string; key: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bodies-'));
  openSecretStore(dir).set('provider:mock', 'sk-upstream-test');
  const k = generateClientKey();
  fs.writeFileSync(path.join(dir, 'config.yaml'), stringify({
    server: { execution: 'inline' },
    providers: [{ name: 'mock', type: 'openai-compatible', base_url: mock.url }],
    clients: [{ id: 'c_testclient01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
    monitoring,
  }));
  return { dir, key: k.key };
}

describe('request log bodies (monitoring.log_bodies)', () => {
  let mock: MockOpenAI;
  let gw: Gateway;
  let dir: string;
  let key: string;

  beforeAll(async () => {
    process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
    process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
    mock = await startMockOpenAI();
    ({ dir, key } = homeWithMock(mock, { flush_interval_ms: 100, log_bodies: true, log_body_max_bytes: 300 }));
    gw = await startGateway({ home: dir, host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await gw?.close();
    await mock?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps request and response bodies, capped, and the strategy dimension is filled', async () => {
    const long = 'x'.repeat(1000);
    for (const stream of [false, true]) {
      const res = await fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo', stream, messages: [{ role: 'user', content: long }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
    }
    const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    const logs = (await (await fetch(`http://127.0.0.1:${gw.port}/api/logs?bodies=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: any[] };
    expect(logs.data).toHaveLength(2);
    for (const row of logs.data) {
      expect(row.request_body.startsWith('{"model":"mock/echo"')).toBe(true);
      expect(Buffer.byteLength(row.request_body)).toBeLessThanOrEqual(300);
      expect(row.response_body.length).toBeGreaterThan(0);
      expect(Buffer.byteLength(row.response_body)).toBeLessThanOrEqual(300);
    }
    expect(logs.data.find((r) => r.streamed).response_body).toMatch(/^data: /);
    const summary = (await (await fetch(`http://127.0.0.1:${gw.port}/api/stats/summary?range=10m`, { headers: { authorization: `Bearer ${token}` } })).json()) as any;
    expect(summary.by_strategy).toEqual([expect.objectContaining({ key: 'default', requests: 2 })]);
    // Nothing waited long enough to lose its bodies; the count is exported for when it does.
    const metrics = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
    expect(metrics).toMatch(/^localrouter_request_log_bodies_dropped_total 0$/m);
  });

  it('searches the whole log on the server with q: prompts and answers in logged bodies, ids and errors; q is bounded', async () => {
    const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    const ask = (content: string): Promise<string> => askMock(gw, key, content);
    const wanted = await ask('the 100% Zebra_Crossing plan');
    // Newer rows after it: a page of the newest rows would not hold it, the search still finds it.
    for (let i = 0; i < 5; i++) await ask(`filler ${i} 100 percent zebraXcrossing`);
    const search = async (q: string, extra = ''): Promise<Response> => fetch(`http://127.0.0.1:${gw.port}/api/logs?q=${encodeURIComponent(q)}${extra}`, { headers: { authorization: `Bearer ${token}` } });
    const ids = async (q: string, extra = ''): Promise<string[]> => {
      const res = await search(q, extra);
      expect(res.status, await res.clone().text()).toBe(200);
      return ((await res.json()) as { data: { id: string }[] }).data.map((r) => r.id);
    };
    expect(await ids('zebra_crossing', '&limit=2')).toEqual([wanted]); // the answer echoes it too: one row, case-insensitive, _ literal
    expect(await ids('100% zebra')).toEqual([wanted]);
    expect(await ids(wanted.slice(0, 20))).toEqual([wanted]);
    expect((await ids('filler')).length).toBe(5);
    expect(await ids('filler', '&status=error')).toEqual([]);
    expect(await ids('no such text anywhere')).toEqual([]);
    // The CLI's --grep reads the store the same way.
    await gw.metrics.monitoring!.sync();
    const cli = await runCli(['logs', '--json', '--grep', 'zebra_crossing', '--home', dir]);
    expect(cli.code, cli.stderr).toBe(0);
    expect((JSON.parse(cli.stdout) as { id: string }[]).map((r) => r.id)).toEqual([wanted]);
    expect((await runCli(['logs', '--grep', '', '--home', dir])).code).toBe(2);
    const long = await search('x'.repeat(201));
    expect(long.status).toBe(400);
    expect(((await long.json()) as { error: { param: string } }).error.param).toBe('q');
  });
});

describe('request log bodies switched on a running gateway', () => {
  let mock: MockOpenAI;
  let gw: Gateway;
  let dir: string;
  let key: string;
  const warnings: { settings?: string[]; msg: string }[] = [];
  const reloads = (): number => reloaded;
  let reloaded = 0;

  beforeAll(async () => {
    process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
    mock = await startMockOpenAI();
    ({ dir, key } = homeWithMock(mock, { flush_interval_ms: 100 }));
    const logger = pino({ level: 'info', base: undefined }, {
      write: (line: string) => {
        const entry = JSON.parse(line) as { level: number; msg: string; settings?: string[] };
        if (entry.msg === 'config reloaded') reloaded++;
        if (entry.level === 40) warnings.push(entry);
      },
    });
    gw = await startGateway({ home: dir, host: '127.0.0.1', port: 0, logger });
  });
  afterAll(async () => {
    await gw?.close();
    await mock?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const ask = (content: string): Promise<string> => askMock(gw, key, content);
  const row = async (id: string): Promise<{ request_body: string | null; response_body: string | null }> => {
    const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    for (let i = 0; i < 50; i++) {
      const logs = (await (await fetch(`http://127.0.0.1:${gw.port}/api/logs?bodies=1`, { headers: { authorization: `Bearer ${token}` } })).json()) as { data: { id: string; request_body: string | null; response_body: string | null }[] };
      const found = logs.data.find((r) => r.id === id);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no log row for ${id}`);
  };
  const edit = async (change: (monitoring: Record<string, unknown>) => void): Promise<void> => {
    const file = path.join(dir, 'config.yaml');
    const doc = parse(fs.readFileSync(file, 'utf8')) as { monitoring: Record<string, unknown> };
    change(doc.monitoring);
    const before = reloads();
    fs.writeFileSync(file, stringify(doc));
    for (let i = 0; i < 100 && reloads() === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(reloads(), 'the gateway reloaded the file').toBe(before + 1);
  };

  it('log_bodies and log_body_max_bytes apply at once; settings read at start are named in a warning while they differ from the running ones', async () => {
    expect(await row(await ask('before'))).toMatchObject({ request_body: null, response_body: null });

    await edit((m) => { m.log_bodies = true; m.log_body_max_bytes = 256; });
    expect(warnings).toEqual([]);
    const on = await row(await ask(`on ${'y'.repeat(1000)}`));
    expect(on.request_body!.startsWith('{"model":"mock/echo"')).toBe(true);
    expect(Buffer.byteLength(on.request_body!)).toBeLessThanOrEqual(256);
    expect(on.response_body!.length).toBeGreaterThan(0);

    await edit((m) => { m.log_bodies = false; m.log_max_mb = 64; m.log_retention_days = 3; });
    expect(await row(await ask('off again'))).toMatchObject({ request_body: null, response_body: null });
    expect(warnings).toEqual([expect.objectContaining({ settings: ['monitoring.log_retention_days', 'monitoring.log_max_mb'] })]);
    expect(warnings[0]!.msg).toContain('take effect at the next start');

    // Back to the values the gateway started with: nothing is pending, nothing to warn about.
    await edit((m) => { delete m.log_max_mb; delete m.log_retention_days; m.log_body_max_bytes = 512; });
    expect(warnings).toHaveLength(1);
  });
});
