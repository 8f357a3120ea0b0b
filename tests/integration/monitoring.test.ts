import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { LOG_HISTOGRAM_PRECISION, Monitoring, monitoringDbPath, openMonitoringDb } from '../../src/metrics/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import { runCli } from '../helpers/cli-run.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
/** The mock answers every request with usage 11 prompt / 7 completion / 3 cached / 2 reasoning tokens. */
const USAGE = { prompt: 11, completion: 7, cached: 3, reasoning: 2 };

interface Home { dir: string; key: string; otherKey: string }

/** A data dir with provider `mock`, clients `test` and `other`, a price for mock/echo, and fast flushes. */
function makeHome(upstreamUrl: string, monitoring: Record<string, unknown> = {}): Home {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mon-'));
  openSecretStore(dir).set('provider:mock', 'sk-upstream-test');
  const a = generateClientKey();
  const b = generateClientKey();
  const client = (id: string, name: string, k: typeof a) => ({ id, name, key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() });
  fs.writeFileSync(path.join(dir, 'config.yaml'), stringify({
    server: { execution: 'inline', shutdown_grace_ms: 2000 },
    providers: [{ name: 'mock', type: 'openai-compatible', base_url: upstreamUrl }],
    clients: [client('c_testclient01', 'test', a), client('c_otherclient1', 'other', b)],
    price_overrides: { 'mock/echo': { input_per_mtok: 1, output_per_mtok: 2 } },
    monitoring: { flush_interval_ms: 100, log_retention_days: 2, ...monitoring },
  }), { mode: 0o600 });
  return { dir, key: a.key, otherKey: b.key };
}

/** Sum of the samples of `name` whose labels include every pair of `where`. */
function promSum(text: string, name: string, where: Record<string, string> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/([a-z_]+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(where).every(([k, v]) => labels[k] === v)) total += Number(m[3]);
  }
  return total;
}

function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('monitoring end to end', () => {
  let mock: MockOpenAI;
  let home: Home;
  let gw: Gateway;
  let token: string;
  let sent = 0;
  let costSum = 0;
  const ids: string[] = [];
  const base = () => `http://127.0.0.1:${gw.port}`;
  const admin = (p: string, auth: string | null = token) => fetch(`${base()}${p}`, { headers: auth === null ? {} : { authorization: `Bearer ${auth}` } });
  const adminJson = async (p: string): Promise<any> => {
    const res = await admin(p);
    expect(res.status, await res.clone().text()).toBe(200);
    return res.json();
  };

  async function chat(body: object): Promise<Response> {
    const res = await fetch(`${base()}/v1/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${home.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hello' }], ...body }),
    });
    sent++;
    ids.push(res.headers.get('x-localrouter-generation-id')!);
    return res;
  }

  beforeAll(async () => {
    mock = await startMockOpenAI();
    home = makeHome(mock.url);
    gw = await startGateway({ home: home.dir, host: '127.0.0.1', port: 0 });
    token = fs.readFileSync(path.join(home.dir, 'admin-token'), 'utf8').trim();
  });
  afterAll(async () => {
    await gw?.close();
    await mock?.close();
    fs.rmSync(home.dir, { recursive: true, force: true });
  });

  it('N requests of known sizes add up alike in /metrics, the time series and the request log', async () => {
    const N = 24;
    const STREAMED = 8;
    for (let i = 0; i < N; i++) {
      const streamed = i >= N - STREAMED;
      const res = await chat(streamed ? { stream: true, stream_options: { include_usage: true } } : {});
      expect(res.status).toBe(200);
      if (streamed) {
        const text = await res.text();
        const usage = text.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6))).find((c) => c.usage)?.usage;
        costSum += usage.cost;
      } else {
        costSum += ((await res.json()) as { usage: { cost: number } }).usage.cost;
      }
    }
    expect(costSum).toBeGreaterThan(0);
    await sleep(300); // a few flush intervals

    const metrics = await (await fetch(`${base()}/metrics`)).text();
    expect(promSum(metrics, 'localrouter_requests_total', { status: '200', client: 'test', model: 'mock/echo' })).toBe(N);
    expect(promSum(metrics, 'localrouter_tokens_total', { kind: 'prompt' })).toBe(N * USAGE.prompt);
    expect(promSum(metrics, 'localrouter_tokens_total', { kind: 'completion' })).toBe(N * USAGE.completion);
    expect(promSum(metrics, 'localrouter_tokens_total', { kind: 'cached' })).toBe(N * USAGE.cached);
    expect(promSum(metrics, 'localrouter_tokens_total', { kind: 'reasoning' })).toBe(N * USAGE.reasoning);
    expect(promSum(metrics, 'localrouter_cost_usd_total')).toBeCloseTo(costSum, 12);
    expect(promSum(metrics, 'localrouter_request_duration_seconds_count', { provider: 'mock' })).toBe(N);
    expect(promSum(metrics, 'localrouter_request_duration_seconds_bucket', { provider: 'mock', le: '+Inf' })).toBe(N);
    expect(promSum(metrics, 'localrouter_ttft_seconds_count')).toBe(STREAMED);
    expect(promSum(metrics, 'localrouter_breaker_state', { provider: 'mock', state: 'closed' })).toBe(1);
    expect(promSum(metrics, 'localrouter_metrics_ring_overflows_total')).toBe(0);

    for (const [dimension, id] of [['all', ''], ['client', 'test'], ['provider', 'mock'], ['model', 'mock/echo']]) {
      const ts = await adminJson(`/api/stats/timeseries?metric=all&dimension=${dimension}&id=${encodeURIComponent(id)}&range=10m&step=10s`);
      expect(ts.resolution).toBe('second');
      const total = (k: string) => ts.points.reduce((n: number, p: any) => n + p.value[k], 0);
      expect(total('requests')).toBe(N);
      expect(total('prompt_tokens')).toBe(N * USAGE.prompt);
      expect(total('completion_tokens')).toBe(N * USAGE.completion);
      expect(total('cost_usd')).toBeCloseTo(costSum, 12);
      const perMinute = await adminJson(`/api/stats/timeseries?metric=requests&dimension=${dimension}&id=${encodeURIComponent(id)}&range=1h&step=1m`);
      expect(perMinute.resolution).toBe('minute');
      expect(perMinute.points.reduce((n: number, p: any) => n + p.value, 0)).toBe(N);
    }

    const logs = await adminJson('/api/logs?limit=1000');
    expect(logs.data).toHaveLength(N);
    expect(logs.data.reduce((n: number, r: any) => n + r.prompt_tokens, 0)).toBe(N * USAGE.prompt);
    expect(logs.data.reduce((n: number, r: any) => n + r.completion_tokens, 0)).toBe(N * USAGE.completion);
    expect(logs.data.reduce((n: number, r: any) => n + r.cost_usd, 0)).toBeCloseTo(costSum, 12);
    expect(logs.data.filter((r: any) => r.streamed)).toHaveLength(STREAMED);
    expect(new Set(logs.data.map((r: any) => r.id))).toEqual(new Set(ids));

    // Percentiles: the series (1.6% bins) and the HDR totals (0.1%) against the exact ones from the log.
    const latencies = logs.data.map((r: any) => r.latency_ms as number);
    const summary = await adminJson('/api/stats/summary?range=10m');
    expect(summary.totals.requests).toBe(N);
    expect(summary.by_model[0]).toMatchObject({ key: 'mock/echo', requests: N });
    for (const p of [50, 90, 99] as const) {
      const exact = exactPercentile(latencies, p);
      expect(Math.abs(summary.totals.latency_ms[`p${p}`] - exact)).toBeLessThanOrEqual(exact * LOG_HISTOGRAM_PRECISION + 0.002);
      expect(Math.abs(summary.since_start.latency_ms[`p${p}`] - exact)).toBeLessThanOrEqual(exact * 0.001 + 0.002);
    }
    const ttfts = logs.data.filter((r: any) => r.streamed).map((r: any) => r.ttft_ms as number);
    const exactTtft = exactPercentile(ttfts, 50);
    expect(Math.abs(summary.totals.ttft_ms.p50 - exactTtft)).toBeLessThanOrEqual(exactTtft * LOG_HISTOGRAM_PRECISION + 0.002);
  });

  it('GET /v1/generation returns the record with its attempts after a fallback, to its own client only', async () => {
    const res = await chat({ model: 'mock/error-500', models: ['mock/echo'] });
    expect(res.status).toBe(200);
    costSum += ((await res.json()) as { usage: { cost: number } }).usage.cost;
    const id = res.headers.get('x-localrouter-generation-id')!;
    // Asked at once: the record may still be waiting for its batch write, and must be found anyway.
    const gen = await fetch(`${base()}/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${home.key}` } });
    expect(gen.status).toBe(200);
    const { data } = (await gen.json()) as { data: any };
    expect(data).toMatchObject({
      id, object: 'generation', client: 'test', model: 'mock/echo', provider: 'mock', status: 200, finish_status: 'ok', error: null, streamed: false,
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18, cached_tokens: 3, reasoning_tokens: 2 },
    });
    expect(data.cost_usd).toBeGreaterThan(0);
    expect(data.latency_ms).toBeGreaterThan(0);
    expect(data.attempts).toHaveLength(2);
    expect(data.attempts[0]).toMatchObject({ provider: 'mock', model: 'error-500', status: 500, error_code: 'LR_ERR_UPSTREAM_STATUS' });
    expect(data.attempts[1]).toMatchObject({ provider: 'mock', model: 'echo', status: 200, error_code: null });
    expect(data.attempts[0].duration_ms + data.attempts[1].duration_ms).toBeLessThanOrEqual(data.latency_ms);

    const asOther = await fetch(`${base()}/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${home.otherKey}` } });
    expect(asOther.status).toBe(404);
    expect(((await asOther.json()) as any).error.code).toBe('LR_ERR_NOT_FOUND');
    expect((await fetch(`${base()}/v1/generation?id=${id}`)).status).toBe(401);
    expect((await fetch(`${base()}/v1/generation?id=gen-nope`, { headers: { authorization: `Bearer ${home.key}` } })).status).toBe(404);
    const noId = await fetch(`${base()}/v1/generation`, { headers: { authorization: `Bearer ${home.key}` } });
    expect(noId.status).toBe(400);
    expect(((await noId.json()) as any).error.param).toBe('id');
  });

  it('the admin API takes only the admin token: 401 without it or with a wrong one, 403 for client keys', async () => {
    expect(fs.statSync(path.join(home.dir, 'admin-token')).mode & 0o777).toBe(0o600);
    expect(token).toMatch(/^lra-[A-Za-z0-9_-]{43}$/);
    for (const p of ['/api/stats/summary', '/api/stats/timeseries', '/api/logs', '/api/stats/live']) {
      const none = await admin(p, null);
      expect(none.status).toBe(401);
      expect(((await none.json()) as any).error.type).toBe('authentication_error');
      expect((await admin(p, 'lra-wrong-token-wrong-token')).status).toBe(401);
      for (const key of [home.key, home.otherKey]) {
        const res = await admin(p, key);
        expect(res.status).toBe(403);
        expect(((await res.json()) as any).error.code).toBe('LR_ERR_FORBIDDEN');
      }
    }
    const bad = await admin('/api/stats/timeseries?metric=nope');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error.param).toBe('metric');
    expect((await admin('/api/stats/timeseries?dimension=model')).status).toBe(400);
    expect((await admin('/api/stats/summary?range=1y')).status).toBe(200);
    expect((await admin('/api/stats/summary?range=2y')).status).toBe(400); // longer than any kept history
    expect((await admin('/api/logs?status=abc')).status).toBe(400);
  });

  it('the live feed pushes per-second aggregates', async () => {
    const ctrl = new AbortController();
    const res = await fetch(`${base()}/api/stats/live`, { headers: { authorization: `Bearer ${token}` }, signal: ctrl.signal });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffered = '';
    let seen = 0;
    const deadline = Date.now() + 5000;
    let sentDuring = 0;
    // One read in flight at a time: a read that loses the race is kept for the next turn, not dropped.
    let pending: ReturnType<typeof reader.read> | null = null;
    while (Date.now() < deadline && seen === 0) {
      await (await chat({})).text();
      sentDuring++;
      pending ??= reader.read();
      const result = await Promise.race([pending, sleep(300).then(() => null)]);
      if (result === null) continue;
      pending = null;
      if (result.value) buffered += decoder.decode(result.value, { stream: true });
      for (const frame of buffered.split('\n\n').filter((f) => f.startsWith('data: '))) {
        const data = JSON.parse(frame.slice(6));
        expect(data).toHaveProperty('t');
        expect(data).toHaveProperty('inflight');
        seen += data.requests;
        if (data.requests > 0) expect(data.by_client.test.requests).toBe(data.requests);
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n\n') + 2);
    }
    ctrl.abort();
    expect(seen).toBeGreaterThan(0);
    expect(sentDuring).toBeGreaterThan(0);
    const gens = await Promise.all(ids.slice(-sentDuring).map((id) => fetch(`${base()}/v1/generation?id=${id}`, { headers: { authorization: `Bearer ${home.key}` } }).then((r) => r.json() as Promise<any>)));
    for (const g of gens) costSum += g.data.cost_usd;
  });

  it('a restart keeps the history; the CLI reads the store with and without a running gateway', async () => {
    await gw.close();
    gw = await startGateway({ home: home.dir, host: '127.0.0.1', port: 0 });
    const summary = await adminJson('/api/stats/summary?range=1h');
    expect(summary.totals.requests).toBe(sent);
    expect(summary.totals.prompt_tokens).toBe(sent * USAGE.prompt);
    expect(summary.totals.cost_usd).toBeCloseTo(costSum, 9);
    const perMinute = await adminJson('/api/stats/timeseries?metric=requests&range=1h&step=1m');
    expect(perMinute.points.reduce((n: number, p: any) => n + p.value, 0)).toBe(sent);
    const logs = await adminJson('/api/logs?limit=1000');
    expect(logs.data).toHaveLength(sent);
    const gen = await fetch(`${base()}/v1/generation?id=${ids[0]}`, { headers: { authorization: `Bearer ${home.key}` } });
    expect(gen.status).toBe(200);

    // The real binary once, reading the store beside the gateway that writes it; the rest in this process.
    const live = JSON.parse((await run(process.execPath, [path.join(ROOT, 'bin/localrouter'), 'stats', '--json', '--by', 'model', '--home', home.dir], { cwd: ROOT })).stdout);
    const cli = async (...args: string[]): Promise<string> => {
      const r = await runCli([...args, '--home', home.dir]);
      expect(r.code, r.stderr).toBe(0);
      return r.stdout;
    };
    expect(live.rows).toEqual([expect.objectContaining({ key: 'mock/echo', requests: sent, prompt_tokens: sent * USAGE.prompt })]);
    await gw.close();
    const table = await cli('stats', '--range', '24h');
    expect(table).toMatch(/^KEY\s+REQUESTS/);
    expect(table.split('\n')[1]).toMatch(new RegExp(`^all\\s+${sent}\\s+0\\s`));
    const rows = JSON.parse(await cli('logs', '--json', '--limit', '5', '--client', 'test'));
    expect(rows).toHaveLength(5);
    expect(rows.at(-1).id).toBe(ids.at(-1));
    const text = await cli('logs', '--limit', '3');
    expect(text.split('\n')[0]).toMatch(/^TIME\s+ID\s+CLIENT\s+MODEL/);
    expect(text).toContain(ids.at(-1));
    gw = await startGateway({ home: home.dir, host: '127.0.0.1', port: 0 });
  });

  it('retention deletes what is due (clock injected)', async () => {
    await gw.close();
    const db = () => openMonitoringDb(monitoringDbPath(home.dir), { readonly: true });
    const count = (sql: string): number => {
      const d = db();
      try { return (d.prepare(sql).get() as { n: number }).n; } finally { d.close(); }
    };
    expect(count('SELECT COUNT(*) AS n FROM requests')).toBe(sent);
    const at = async (offsetMs: number): Promise<void> => {
      const m = Monitoring.open({ home: home.dir, logRetentionDays: 2, flushIntervalMs: 60_000, logBodyMaxBytes: 0, now: () => Date.now() + offsetMs });
      await m.enforceRetention();
      await m.close();
    };
    await at(DAY + 3_600_000); // past the minute buckets' day, not the log's 2 days
    expect(count('SELECT COUNT(*) AS n FROM requests')).toBe(sent);
    expect(count('SELECT COUNT(*) AS n FROM series WHERE res = 60000')).toBe(0);
    expect(count('SELECT SUM(requests) AS n FROM series WHERE res = 3600000 AND dim = \'all\'')).toBe(sent);
    await at(3 * DAY);
    expect(count('SELECT COUNT(*) AS n FROM requests')).toBe(0);
    expect(count('SELECT SUM(requests) AS n FROM series WHERE res = 86400000 AND dim = \'all\'')).toBe(sent);
    await at(31 * DAY);
    expect(count('SELECT COUNT(*) AS n FROM series WHERE res = 3600000')).toBe(0);
    await at(366 * DAY);
    expect(count('SELECT COUNT(*) AS n FROM series')).toBe(0);
    gw = await startGateway({ home: home.dir, host: '127.0.0.1', port: 0 });
  });
});

describe('monitoring switched off', () => {
  it('records nothing, opens no store, and says so on the stats API', async () => {
    const mock = await startMockOpenAI();
    const home = makeHome(mock.url, { enabled: false });
    const gw = await startGateway({ home: home.dir, host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
        method: 'POST', headers: { authorization: `Bearer ${home.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] }),
      });
      expect(res.status).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${gw.port}/metrics`)).text();
      expect(metrics).not.toContain('localrouter_requests_total');
      expect(metrics).toContain('localrouter_inflight_requests 0');
      const token = fs.readFileSync(path.join(home.dir, 'admin-token'), 'utf8').trim();
      const summary = await fetch(`http://127.0.0.1:${gw.port}/api/stats/summary`, { headers: { authorization: `Bearer ${token}` } });
      expect(summary.status).toBe(404);
      expect(((await summary.json()) as any).error.message).toMatch(/monitoring\.enabled/);
      expect(fs.existsSync(monitoringDbPath(home.dir))).toBe(false);
    } finally {
      await gw.close();
      await mock.close();
      fs.rmSync(home.dir, { recursive: true, force: true });
    }
  });
});
