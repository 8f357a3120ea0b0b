import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { countRows } from '../helpers/monitoring-fixture.js';
import { stringify } from 'yaml';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { monitoringDbPath, openMonitoringDb } from '../../src/metrics/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const BIN = path.resolve(import.meta.dirname, '../../bin/localrouter');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Home { dir: string; key: string; write(clients: object[]): void; client(id: string, name: string): { entry: object; key: string } }

/** A data dir with provider `mock` and client `test` (c_testclient01), fast flushes, `monitoring` merged in. */
function makeHome(upstreamUrl: string, monitoring: Record<string, unknown> = {}): Home {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-storefault-'));
  openSecretStore(dir).set('provider:mock', 'sk-upstream-test');
  const client = (id: string, name: string) => {
    const k = generateClientKey();
    return { entry: { id, name, key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }, key: k.key };
  };
  const write = (clients: object[]): void => {
    const text = stringify({
      server: { execution: 'inline', shutdown_grace_ms: 1000 },
      providers: [{ name: 'mock', type: 'openai-compatible', base_url: upstreamUrl }],
      clients,
      monitoring: { flush_interval_ms: 50, ...monitoring },
    });
    // Renamed into place, as editors do: the config watcher never sees half a file.
    fs.writeFileSync(path.join(dir, 'config.yaml.tmp'), text, { mode: 0o600 });
    fs.renameSync(path.join(dir, 'config.yaml.tmp'), path.join(dir, 'config.yaml'));
  };
  const first = client('c_testclient01', 'test');
  write([first.entry]);
  return { dir, key: first.key, write, client };
}

/** Sum of the samples of `name` in a Prometheus text exposition. */
function promValue(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{.*\})? (\S+)$/.exec(line);
    if (m && m[1] === name) total += Number(m[2]);
  }
  return total;
}

async function until(cond: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

function collectingLogger(lines: Record<string, any>[]): pino.Logger {
  return pino({ level: 'info', base: undefined }, { write: (s: string) => { lines.push(JSON.parse(s)); } });
}

describe('monitoring store faults, end to end', () => {
  let mock: MockOpenAI | undefined;
  let gw: Gateway | undefined;
  let child: ChildProcess | undefined;
  const homes: string[] = [];

  afterEach(async () => {
    delete process.env.LOCALROUTER_TEST_HOOKS;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    child = undefined;
    await gw?.close();
    gw = undefined;
    await mock?.close();
    mock = undefined;
    for (const d of homes.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  async function setup(monitoring: Record<string, unknown> = {}, lines?: Record<string, any>[]): Promise<Home> {
    mock = await startMockOpenAI();
    const home = makeHome(mock.url, monitoring);
    homes.push(home.dir);
    gw = await startGateway({ home: home.dir, host: '127.0.0.1', port: 0, logger: lines ? collectingLogger(lines) : undefined });
    return home;
  }

  const base = (): string => `http://127.0.0.1:${gw!.port}`;
  const chat = (key: string, content = 'hello', url = base()): Promise<Response> => fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content }] }),
  });
  const generation = (key: string, id: string, url = base()): Promise<Response> => fetch(`${url}/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${key}` } });
  const metrics = async (url = base()): Promise<string> => (await fetch(`${url}/metrics`)).text();
  const adminLogs = async (dir: string, url = base()): Promise<any[]> => {
    const token = fs.readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
    const res = await fetch(`${url}/api/logs?limit=1000`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    return ((await res.json()) as { data: any[] }).data;
  };

  it('a truncated, then replaced and unwritable -shm file next to the store does not take the gateway process down (SIGBUS)', async () => {
    mock = await startMockOpenAI();
    const home = makeHome(mock.url);
    homes.push(home.dir);
    child = spawn(process.execPath, [BIN, '--home', home.dir, 'serve', '--port', '0'], {
      env: { ...process.env, LOCALROUTER_LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let died: string | null = null;
    child.on('exit', (code, signal) => { died = `exited with ${signal ?? `code ${code}`}`; });
    let out = '';
    child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
    child.stderr!.resume(); // a full pipe would block the child
    await until(() => /listening on (http:\/\/\S+)/.test(out) || died !== null, 30_000);
    expect(died).toBeNull();
    const url = /listening on (http:\/\/\S+)/.exec(out)![1]!;

    for (let i = 0; i < 20; i++) expect((await chat(home.key, 'before', url)).status).toBe(200);
    await sleep(300); // a few flushes
    const shm = `${monitoringDbPath(home.dir)}-shm`;
    // Requests keep flowing while the shared-memory file is cut to nothing, then swapped for an
    // empty read-only one: a WAL store maps it, and the next access past its end is a SIGBUS.
    let answered = 0;
    const flow = (async () => {
      for (let i = 0; i < 40 && died === null; i++) {
        try {
          if ((await chat(home.key, 'during', url)).status === 200) answered++;
        } catch {
          // the process is gone; asserted below
        }
      }
    })();
    if (fs.existsSync(shm)) fs.truncateSync(shm, 0);
    await sleep(200);
    fs.rmSync(shm, { force: true });
    fs.writeFileSync(shm, '', { mode: 0o400 });
    await flow;
    await sleep(500);
    expect(died, 'the gateway process died').toBeNull();
    expect(answered).toBe(40);

    const res = await chat(home.key, 'after', url);
    expect(res.status).toBe(200);
    const id = res.headers.get('x-localrouter-generation-id')!;
    await until(async () => (await generation(home.key, id, url)).status === 200);
    expect((await adminLogs(home.dir, url)).length).toBe(61);
    expect(promValue(await metrics(url), 'localrouter_request_log_dropped_total')).toBe(0);
  });

  it('a store file deleted while running is noticed and logged, its rows count as dropped, and a fresh store takes the next ones', async () => {
    const lines: Record<string, any>[] = [];
    const home = await setup({}, lines);
    const file = monitoringDbPath(home.dir);
    for (let i = 0; i < 12; i++) expect((await chat(home.key)).status).toBe(200);
    await gw!.metrics.monitoring!.sync();
    expect(countRows(file)).toBe(12);

    fs.rmSync(file);
    const after: string[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await chat(home.key);
      expect(res.status).toBe(200);
      after.push(res.headers.get('x-localrouter-generation-id')!);
    }
    await until(async () => promValue(await metrics(), 'localrouter_store_file_lost_total') === 1);
    await gw!.metrics.monitoring!.sync();
    expect(fs.existsSync(file)).toBe(true);
    expect(countRows(file)).toBe(8);
    const text = await metrics();
    expect(promValue(text, 'localrouter_request_log_written_total')).toBe(20);
    expect(promValue(text, 'localrouter_request_log_dropped_total')).toBe(12);
    expect(promValue(text, 'localrouter_store_errors_total')).toBeGreaterThanOrEqual(1);
    const logged = lines.find((l) => l.msg === 'monitoring: cannot keep the store file');
    expect(logged?.level).toBe(50);
    expect(logged?.err.message).toMatch(/was deleted while open: the 12 request log rows/);
    expect(logged?.err.stack).toContain('Error: ');
    // Reads follow the fresh store.
    expect((await adminLogs(home.dir)).map((r) => r.id).sort()).toEqual([...after].sort());
    expect((await generation(home.key, after[0]!)).status).toBe(200);
  });

  it('monitoring.log_max_mb caps the store: the oldest rows go in batches, the newest stay', async () => {
    const home = await setup({ log_max_mb: 1, log_bodies: true, log_body_max_bytes: 65_536 });
    const file = monitoringDbPath(home.dir);
    const ids: string[] = [];
    // About 80 kB a row with both bodies: some 6 MB of log without the cap.
    const content = 'x'.repeat(40_000);
    for (let i = 0; i < 80; i++) {
      const res = await chat(home.key, content);
      expect(res.status).toBe(200);
      ids.push(res.headers.get('x-localrouter-generation-id')!);
    }
    await gw!.metrics.monitoring!.sync();
    const cap = 1024 * 1024;
    const db = openMonitoringDb(file, { readonly: true });
    try {
      const used = ((db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number)) * 4096;
      expect(used).toBeLessThanOrEqual(cap);
    } finally {
      db.close();
    }
    // The file keeps its high-water mark (freed pages are reused, not returned to the disk), and a
    // trim pass lands between batches, so the file may pass the cap by a few batches' pages: 6 MB
    // uncapped, at most half as much again with the cap.
    expect(fs.statSync(file).size).toBeLessThan(cap * 1.5);
    const kept = countRows(file);
    expect(kept).toBeGreaterThan(3);
    expect(kept).toBeLessThan(20);
    const text = await metrics();
    expect(promValue(text, 'localrouter_request_log_trimmed_total')).toBe(80 - kept);
    expect(promValue(text, 'localrouter_request_log_written_total')).toBe(80);
    expect(promValue(text, 'localrouter_request_log_dropped_total')).toBe(0);
    expect((await generation(home.key, ids.at(-1)!)).status).toBe(200);
    expect((await generation(home.key, ids[0]!)).status).toBe(404);
  });

  it('an exception in the store writer thread, and its death, are logged with their stack and counted; the gateway keeps answering and recording', async () => {
    process.env.LOCALROUTER_TEST_HOOKS = '1';
    const lines: Record<string, any>[] = [];
    const home = await setup({}, lines);
    const m = gw!.metrics.monitoring!;
    for (let i = 0; i < 5; i++) expect((await chat(home.key)).status).toBe(200);

    await m.testStoreFault('throw');
    const thrown = lines.find((l) => l.msg === 'monitoring: cannot run the store writer');
    expect(thrown?.err.message).toBe('test hook: exception in the store writer');
    expect(thrown?.err.stack).toMatch(/\n\s+at .*store-engine\.ts/);

    await m.testStoreFault('crash');
    const during: Promise<Response>[] = [];
    for (let i = 0; i < 5; i++) during.push(chat(home.key));
    for (const res of await Promise.all(during)) expect(res.status).toBe(200);
    await until(async () => promValue(await metrics(), 'localrouter_store_writer_restarts_total') === 1);
    const died = lines.find((l) => /monitoring: cannot keep the store writer thread running/.test(l.msg));
    expect(died?.err.stack).toContain('test hook: store writer thread crash');

    const after: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await chat(home.key);
      expect(res.status).toBe(200);
      after.push(res.headers.get('x-localrouter-generation-id')!);
    }
    for (const id of after) expect((await generation(home.key, id)).status).toBe(200);
    await m.sync();
    const text = await metrics();
    expect(promValue(text, 'localrouter_store_errors_total')).toBeGreaterThanOrEqual(2);
    // Rows the dead thread held are counted as dropped; every other one is in the store.
    const written = promValue(text, 'localrouter_request_log_written_total');
    expect(written + promValue(text, 'localrouter_request_log_dropped_total')).toBe(15);
    expect((await adminLogs(home.dir)).length).toBe(written);
    expect(written).toBeGreaterThanOrEqual(10);
  });

  it('generation records belong to the client id: a client deleted and created again under the same name does not see the old records', async () => {
    const home = await setup();
    const old = await chat(home.key);
    expect(old.status).toBe(200);
    const oldId = old.headers.get('x-localrouter-generation-id')!;
    expect((await generation(home.key, oldId)).status).toBe(200);

    const again = home.client('c_recreated01', 'test');
    home.write([again.entry]);
    await until(async () => (await generation(again.key, 'gen-nope')).status === 404);

    const res = await generation(again.key, oldId);
    expect(res.status).toBe(404);
    expect(((await res.json()) as any).error.code).toBe('LR_ERR_NOT_FOUND');
    const mine = await chat(again.key);
    expect(mine.status).toBe(200);
    const gen = await generation(again.key, mine.headers.get('x-localrouter-generation-id')!);
    expect(gen.status).toBe(200);
    // The name is still what the record shows.
    expect(((await gen.json()) as any).data.client).toBe('test');
  });
});
