/**
 * `npm run soak -- --minutes N [--concurrency 200] [--stream-share 0.5] [--json FILE] [--repo DIR]`:
 * a bounded soak of a real gateway (temp LOCALROUTER_HOME, set up with the CLI) in front of the
 * chaos mock's fast `ok` model, half streamed and half not. Every 30 s it prints the gateway's RSS;
 * at the end: memory growth in MB/min (least-squares line through the RSS samples after the warm-up),
 * errors, p50/p99 latency in the first and the last window, and the count check: the gateway's own
 * request counters (GET /api/stats/summary with the admin token, and /metrics) and the mock's must
 * each have grown by exactly the number of requests the client sent.
 * Exit code 1 on any error, count mismatch or gateway restart (and, with --max-growth-mb-min X, on
 * faster memory growth); 2 when the rig could not start.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Pool } from 'undici';
import { checkOpenAIStream } from './judge.js';
import { chatBody } from './faults.js';
import { promSum } from './chaos.js';
import { rssMb, startGateway, startMock, type Gateway, type Mock } from './processes.js';
import { MOCK_CONTENT } from './shared.js';

export interface SoakOptions {
  seconds: number;
  concurrency: number;
  /** Share of streamed requests, 0..1. */
  streamShare?: number;
  repo?: string;
  /** Seconds excluded from the memory fit and the start window (default: a quarter of the run, at most 60 s). */
  warmupS?: number;
  /** Seconds between RSS lines (default 30). */
  reportEveryS?: number;
  log?: (line: string) => void;
}

export interface Percentiles {
  count: number;
  p50: number;
  p99: number;
}

export interface SoakReport {
  seconds: number;
  concurrency: number;
  sent: number;
  ok: number;
  errors: number;
  /** Requests still without an answer when the client gave up on them (30 s each). */
  lost: number;
  errorSamples: string[];
  rss: { t: number; mb: number }[];
  rssStartMb: number;
  rssEndMb: number;
  rssMaxMb: number;
  growthMbPerMin: number;
  latencyStart: Percentiles;
  latencyEnd: Percentiles;
  counts: { client: number; gatewaySummary: number | null; gatewayMetrics: number | null; upstream: number | null };
  countsMatch: boolean;
  gatewayRestarted: boolean;
  gatewayHealth: Record<string, unknown> | null;
  pass: boolean;
  problems: string[];
}

const REQUEST_DEADLINE_MS = 30_000;
const MAX_SOAK_S = 24 * 3600;

function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { count: 0, p50: NaN, p99: NaN };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  return { count: s.length, p50: at(0.5), p99: at(0.99) };
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

async function fetchText(pool: Pool, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string } | null> {
  try {
    const r = await pool.request({ method: 'GET', path, headers, headersTimeout: 5000, bodyTimeout: 5000 });
    return { status: r.statusCode, text: await r.body.text() };
  } catch {
    return null;
  }
}

interface Counters {
  summary: number | null;
  metrics: number | null;
  upstream: number | null;
}

async function readCounters(gwPool: Pool, mockPool: Pool, gw: Gateway): Promise<Counters & { health: Record<string, unknown> | null }> {
  const summary = await fetchText(gwPool, '/api/stats/summary?range=1d', { authorization: `Bearer ${gw.adminToken}` });
  let requests: number | null = null;
  let health: Record<string, unknown> | null = null;
  if (summary?.status === 200) {
    const body = JSON.parse(summary.text) as { since_start?: { requests?: number }; health?: Record<string, unknown> };
    requests = body.since_start?.requests ?? null;
    health = body.health ?? null;
  }
  const metrics = await fetchText(gwPool, '/metrics');
  const upstream = await fetchText(mockPool, '/__chaos/stats');
  return {
    summary: requests,
    metrics: metrics?.status === 200 ? promSum(metrics.text, 'localrouter_requests_total') : null,
    upstream: upstream?.status === 200 ? Number((JSON.parse(upstream.text) as Record<string, number>).ok ?? 0) : null,
    health,
  };
}

/** Runs the soak; throws only when the rig cannot start. */
export async function runSoak(opts: SoakOptions): Promise<SoakReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const seconds = Math.min(Math.max(1, opts.seconds), MAX_SOAK_S);
  const warmupS = opts.warmupS ?? Math.min(60, seconds / 4);
  const everyS = opts.reportEveryS ?? 30;
  const share = opts.streamShare ?? 0.5;
  let mock: Mock | null = null;
  let gw: Gateway | null = null;
  let gwPool: Pool | null = null;
  let mockPool: Pool | null = null;
  try {
    mock = await startMock();
    gw = await startGateway({ repo: opts.repo, mockPort: mock.port, faultProviders: [] });
    const pid = gw.pid;
    log(`soak: gateway pid ${pid} on ${gw.port}, ${seconds} s at concurrency ${opts.concurrency}, ${Math.round(share * 100)}% streamed`);
    gwPool = new Pool(gw.origin, { connections: opts.concurrency + 4, pipelining: 1, keepAliveTimeout: 30_000 });
    mockPool = new Pool(`http://127.0.0.1:${mock.port}`, { connections: 2 });
    const auth = { authorization: `Bearer ${gw.clientKey}`, 'content-type': 'application/json' };

    // One request of each kind must work before anything is measured.
    const warm = Date.now() + 30_000;
    for (;;) {
      const r = await gwPool.request({ method: 'POST', path: '/v1/chat/completions', headers: auth, body: chatBody('canary/ok', false) }).catch(() => null);
      const ok = r !== null && r.statusCode === 200;
      if (r) await r.body.text();
      if (ok) break;
      if (Date.now() > warm) throw new Error('the gateway does not answer a plain request within 30 s');
      await new Promise((res) => setTimeout(res, 500));
    }
    const before = await readCounters(gwPool, mockPool, gw);

    const t0 = performance.now();
    const endAt = t0 + seconds * 1000;
    const lat: { t: number; ms: number }[] = [];
    const rss: { t: number; mb: number }[] = [];
    const errorSamples: string[] = [];
    let sent = 0;
    let ok = 0;
    let errors = 0;
    let lost = 0;
    let seq = 0;
    const sample = (): void => {
      try {
        rss.push({ t: (performance.now() - t0) / 1000, mb: rssMb(pid) });
      } catch {
        // the gateway is gone; found below
      }
    };
    sample();
    const sampler = setInterval(sample, 1000);
    let lastReportAt = 0;
    const reporter = setInterval(() => {
      const t = (performance.now() - t0) / 1000;
      const doneNow = ok + errors + lost;
      log(`soak: t=${Math.round(t)}s rss=${rss.at(-1)?.mb.toFixed(1) ?? '?'} MB requests=${doneNow} (${Math.round(doneNow / t)}/s) errors=${errors + lost}`);
      lastReportAt = t;
    }, everyS * 1000);

    const fail = (why: string): void => {
      errors++;
      if (errorSamples.length < 10) errorSamples.push(why);
    };
    const worker = async (): Promise<void> => {
      while (performance.now() < endAt) {
        const stream = (seq++ % 1000) / 1000 < share;
        const start = performance.now();
        sent++;
        try {
          const r = await gwPool!.request({
            method: 'POST', path: '/v1/chat/completions', headers: auth, body: chatBody('canary/ok', stream),
            headersTimeout: REQUEST_DEADLINE_MS, bodyTimeout: REQUEST_DEADLINE_MS, signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
          });
          const text = await r.body.text();
          const ms = performance.now() - start;
          if (r.statusCode !== 200) {
            fail(`${r.statusCode} ${text.slice(0, 120)}`);
            continue;
          }
          if (stream) {
            const s = checkOpenAIStream(text);
            if (s.ending !== 'done' || !s.ok || s.content !== MOCK_CONTENT) {
              fail(`bad stream: ${s.problems.join('; ').slice(0, 160)}`);
              continue;
            }
          } else {
            const body = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
            if (body.choices?.[0]?.message?.content !== MOCK_CONTENT) {
              fail(`bad body: ${text.slice(0, 120)}`);
              continue;
            }
          }
          ok++;
          lat.push({ t: (start - t0) / 1000, ms });
        } catch (err) {
          const e = err as Error & { code?: string };
          if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT') {
            lost++;
            if (errorSamples.length < 10) errorSamples.push(`no answer within ${REQUEST_DEADLINE_MS} ms`);
          } else {
            fail(`${e.code ?? e.name}: ${e.message}`.slice(0, 160));
          }
        }
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
    clearInterval(reporter);
    clearInterval(sampler);
    sample();
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed - lastReportAt > 1) log(`soak: t=${Math.round(elapsed)}s rss=${rss.at(-1)?.mb.toFixed(1) ?? '?'} MB requests=${ok + errors + lost} (${Math.round((ok + errors + lost) / elapsed)}/s) errors=${errors + lost}`);

    // Let the gateway finish its accounting of the last answers (ring drain, request log batch).
    await new Promise((r) => setTimeout(r, 1500));
    const after = await readCounters(gwPool, mockPool, gw);
    const delta = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);
    const counts = { client: sent, gatewaySummary: delta(after.summary, before.summary), gatewayMetrics: delta(after.metrics, before.metrics), upstream: delta(after.upstream, before.upstream) };
    const countsMatch = counts.gatewaySummary === sent && counts.gatewayMetrics === sent && counts.upstream === sent;

    const fit = rss.filter((p) => p.t >= warmupS).map((p) => ({ x: p.t, y: p.mb }));
    const growth = slope(fit) * 60;
    const windowS = Math.max(1, Math.min(30, (seconds - warmupS) / 3));
    const latencyStart = percentiles(lat.filter((l) => l.t >= warmupS && l.t < warmupS + windowS).map((l) => l.ms));
    const latencyEnd = percentiles(lat.filter((l) => l.t >= seconds - windowS).map((l) => l.ms));
    const gatewayRestarted = !gw.alive() || gw.pid !== pid;
    const problems: string[] = [];
    if (errors > 0) problems.push(`${errors} failed request(s): ${errorSamples.slice(0, 3).join(' | ')}`);
    if (lost > 0) problems.push(`${lost} request(s) without an answer within ${REQUEST_DEADLINE_MS} ms`);
    if (!countsMatch) problems.push(`count mismatch: client sent ${sent}, gateway summary +${counts.gatewaySummary}, /metrics +${counts.gatewayMetrics}, upstream +${counts.upstream}`);
    if (gatewayRestarted) problems.push(`the gateway died or restarted (${gw.exitInfo()})`);
    if (sent === 0) problems.push('no request was sent');
    const mbs = rss.map((r) => r.mb);
    return {
      seconds, concurrency: opts.concurrency, sent, ok, errors, lost, errorSamples, rss,
      rssStartMb: mbs[0] ?? NaN, rssEndMb: mbs.at(-1) ?? NaN, rssMaxMb: Math.max(...mbs),
      growthMbPerMin: growth, latencyStart, latencyEnd, counts, countsMatch, gatewayRestarted, gatewayHealth: after.health,
      pass: problems.length === 0, problems,
    };
  } finally {
    await gwPool?.close().catch(() => undefined);
    await mockPool?.close().catch(() => undefined);
    await gw?.stop();
    await mock?.stop();
    gw?.dispose();
  }
}

export function formatSoak(r: SoakReport): string {
  const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : '-');
  const lines = [
    `soak: ${r.seconds} s at concurrency ${r.concurrency}: ${r.sent} requests, ${r.ok} ok, ${r.errors} errors, ${r.lost} lost`,
    `RSS: ${f(r.rssStartMb)} MB at start, ${f(r.rssEndMb)} MB at end, ${f(r.rssMaxMb)} MB max; growth after warm-up ${f(r.growthMbPerMin)} MB/min`,
    `latency start: p50 ${f(r.latencyStart.p50)} ms, p99 ${f(r.latencyStart.p99)} ms (${r.latencyStart.count} requests)`,
    `latency end:   p50 ${f(r.latencyEnd.p50)} ms, p99 ${f(r.latencyEnd.p99)} ms (${r.latencyEnd.count} requests)`,
    `counts: client sent ${r.counts.client}; gateway /api/stats/summary +${r.counts.gatewaySummary ?? '?'}, /metrics localrouter_requests_total +${r.counts.gatewayMetrics ?? '?'}, upstream +${r.counts.upstream ?? '?'}: ${r.countsMatch ? 'each counted exactly once' : 'MISMATCH'}`,
    `gateway health: ${JSON.stringify(r.gatewayHealth)}`,
    r.pass ? 'soak: PASS' : `soak: FAIL\n${r.problems.map((p) => `  - ${p}`).join('\n')}`,
  ];
  return lines.join('\n');
}

function parseArgs(argv: string[]): SoakOptions & { json?: string; maxGrowth?: number } {
  const out: SoakOptions & { json?: string; maxGrowth?: number } = { seconds: 60, concurrency: 200 };
  const num = (v: string | undefined, name: string): number => {
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new Error(`${name} needs a positive number`);
    return x;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--minutes') out.seconds = num(argv[++i], a) * 60;
    else if (a === '--seconds') out.seconds = num(argv[++i], a);
    else if (a === '--concurrency') out.concurrency = Math.round(num(argv[++i], a));
    else if (a === '--stream-share') out.streamShare = Math.min(1, Number(argv[++i]));
    else if (a === '--warmup') out.warmupS = Number(argv[++i]);
    else if (a === '--json') out.json = argv[++i];
    else if (a === '--repo') out.repo = argv[++i];
    else if (a === '--max-growth-mb-min') out.maxGrowth = num(argv[++i], a);
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run soak -- --minutes N [--concurrency 200] [--stream-share 0.5] [--warmup S] [--json FILE] [--repo DIR] [--max-growth-mb-min X]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let report: SoakReport;
  try {
    report = await runSoak(args);
  } catch (err) {
    process.stderr.write(`soak: the rig could not run: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  }
  if (args.maxGrowth !== undefined && report.growthMbPerMin > args.maxGrowth) {
    report.pass = false;
    report.problems.push(`memory grows ${report.growthMbPerMin.toFixed(2)} MB/min (over ${args.maxGrowth})`);
  }
  process.stdout.write(`${formatSoak(report)}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
  process.exit(report.pass ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
