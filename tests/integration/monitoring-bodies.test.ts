import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import { runCli } from '../helpers/cli-run.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

describe('request log bodies (monitoring.log_bodies)', () => {
  let mock: MockOpenAI;
  let gw: Gateway;
  let dir: string;
  let key: string;

  beforeAll(async () => {
    process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
    process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
    mock = await startMockOpenAI();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-bodies-'));
    openSecretStore(dir).set('provider:mock', 'sk-upstream-test');
    const k = generateClientKey();
    key = k.key;
    fs.writeFileSync(path.join(dir, 'config.yaml'), stringify({
      server: { execution: 'inline' },
      providers: [{ name: 'mock', type: 'openai-compatible', base_url: mock.url }],
      clients: [{ id: 'c_testclient01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
      monitoring: { flush_interval_ms: 100, log_bodies: true, log_body_max_bytes: 300 },
    }));
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
  });

  it('searches the whole log on the server with q: prompts and answers in logged bodies, ids and errors; q is bounded', async () => {
    const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    const ask = async (content: string): Promise<string> => {
      const res = await fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content }] }),
      });
      expect(res.status).toBe(200);
      await res.text();
      return res.headers.get('x-localrouter-generation-id')!;
    };
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
