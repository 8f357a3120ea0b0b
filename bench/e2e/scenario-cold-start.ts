import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build } from 'esbuild';
import { Agent, request } from 'undici';
import { executionOf, type GatewayTarget, type TargetName } from './config.js';
import { closedPort } from './extended-gateway.js';
import { type PreparedHome, prepareHome, serveHome } from './gateway.js';
import { type Child, processRssBytes } from './processes.js';
import { type Check, type Ctx, type PerTarget, type Row, type ScenarioOutput, medianRow } from './scenario-common.js';
import { chatBody } from './stack.js';

const FIG = 'P13';
const MB = 1024 * 1024;

interface ColdStart {
  /** Process spawned → it printed that it listens. */
  readyMs: number;
  /** Process spawned → the first 200 to a proxied chat request. */
  first200Ms: number;
  /** Connection attempts refused, and answers other than 200, before that. */
  refused: number;
  notOk: number;
  rssMB: number | null;
  problem: string | null;
}

const DUMMY_KEY = `lr-${'b'.repeat(43)}`;

/**
 * Sends the plain chat request to `origin` until one comes back 200, retrying at once (1 ms apart)
 * while nothing listens yet. A fresh agent per start, so no connection survives from the last one.
 */
async function pollFirst200(origin: string, key: string, deadline: number, out: ColdStart, gaveUp: { now: boolean }): Promise<boolean> {
  const agent = new Agent({ connections: 1, pipelining: 1 });
  try {
    while (Date.now() < deadline && !gaveUp.now) {
      try {
        const res = await request(`${origin}/v1/chat/completions`, {
          method: 'POST', dispatcher: agent, body: chatBody(false),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        });
        const text = await res.body.text();
        if (res.statusCode === 200 && text.includes('"choices"')) return true;
        out.notOk++;
        out.problem ??= `status ${res.statusCode}: ${text.slice(0, 200)}`;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ECONNREFUSED') out.refused++;
        else out.problem ??= `${code ?? ''} ${(err as Error).message}`;
      }
      await sleep(1);
    }
    return false;
  } finally {
    await agent.close();
  }
}

async function coldStart(ctx: Ctx, name: TargetName, home: PreparedHome | undefined): Promise<ColdStart> {
  const port = await closedPort();
  const origin = `http://127.0.0.1:${port}`;
  const out: ColdStart = { readyMs: Number.NaN, first200Ms: Number.NaN, refused: 0, notOk: 0, rssMB: null, problem: null };
  const t0 = process.hrtime.bigint();
  const since = (): number => Number(process.hrtime.bigint() - t0) / 1e6;
  let child = null as Child | null;
  const gaveUp = { now: false };
  const spawned = (name === 'null'
    ? ctx.children.spawnReady({
      name: 'null-proxy (cold)',
      args: ['--import', 'tsx', path.join(ctx.cfg.repoRoot, 'bench', 'e2e', 'null-proxy.ts')],
      env: { NULL_PROXY_UPSTREAM: ctx.stack.mockOrigin, NULL_PROXY_PORT: String(port) },
      cwd: ctx.cfg.repoRoot,
      ready: /^null-proxy listening on (\d+)/,
    })
    : serveHome(ctx.children, ctx.cfg.repoRoot, home!, `${name} (cold)`, port)
  ).then((s) => {
    out.readyMs = since();
    child = s.child;
    return s.child;
  }, (err: unknown) => {
    gaveUp.now = true;
    throw err;
  });
  try {
    const [ok] = await Promise.all([pollFirst200(origin, home?.key ?? DUMMY_KEY, Date.now() + 30_000, out, gaveUp), spawned]);
    if (ok) out.first200Ms = since();
    else out.problem ??= 'no 200 within 30 s';
    const c = await spawned;
    out.rssMB = processRssBytes(c.pid) / MB;
  } catch (err) {
    out.problem ??= (err as Error).message;
  } finally {
    if (child) await ctx.children.kill(child);
  }
  return out;
}

/** Targets of the default-config start (compiled build, fresh home, nothing configured). */
const START_TARGET_MS = 400;
const IDLE_TARGET_MB = 80;

interface DefaultStart {
  /** `node …` spawned → first answer to `GET /health` (the null proxy: first answer of any status). */
  healthMs: number;
  /** RSS `idleRssS` seconds after that answer, no other request made. */
  idleRssMB: number | null;
  threads: number | null;
  /** What bin/localrouter ran, from its start-up log line (`dist` or `src`). */
  runs: string | null;
  problem: string | null;
}

function newestMtime(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return max;
}

/** Whether bin/localrouter runs dist/ (built after the newest file in src/), as it decides itself. */
function compiledIsCurrent(repoRoot: string): boolean {
  try {
    return newestMtime(path.join(repoRoot, 'src')) <= statSync(path.join(repoRoot, 'dist', '.built')).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * The null proxy bundled to one plain .mjs (undici inside), so its start and RSS compare with the
 * compiled gateway rather than with a tsx-run script.
 */
async function compiledNullProxy(repoRoot: string, dir: string): Promise<string> {
  const outfile = path.join(dir, 'null-proxy.mjs');
  await build({
    entryPoints: [path.join(repoRoot, 'bench', 'e2e', 'null-proxy.ts')], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
    // undici's CommonJS parts call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
    logLevel: 'error',
  });
  return outfile;
}

function threadsOf(pid: number): number | null {
  const m = /^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : null;
}

async function pollHealth(origin: string, anyStatus: boolean, deadline: number, gaveUp: { now: boolean }): Promise<string | null> {
  const agent = new Agent({ connections: 1, pipelining: 1 });
  let problem = 'no answer within 30 s';
  try {
    while (Date.now() < deadline && !gaveUp.now) {
      try {
        const res = await request(`${origin}/health`, { dispatcher: agent });
        await res.body.dump();
        if (res.statusCode === 200 || anyStatus) return null;
        problem = `status ${res.statusCode}`;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ECONNREFUSED') problem = (err as Error).message;
      }
      await sleep(1);
    }
    return problem;
  } finally {
    await agent.close();
  }
}

/** One start of `name` with a fresh home and the default config (workers, inline: only `server.execution` set). */
async function defaultStart(ctx: Ctx, name: TargetName, nullProxy: string): Promise<DefaultStart> {
  const port = await closedPort();
  const origin = `http://127.0.0.1:${port}`;
  const home = mkdtempSync(path.join(os.tmpdir(), 'lr-bench-default-'));
  if (name === 'gateway-inline' || name === 'gateway-workers') writeFileSync(path.join(home, 'config.yaml'), `server:\n  execution: ${executionOf(name)}\n`);
  const out: DefaultStart = { healthMs: Number.NaN, idleRssMB: null, threads: null, runs: null, problem: null };
  const gaveUp = { now: false };
  let child = null as Child | null;
  const t0 = process.hrtime.bigint();
  const spawned = ctx.children.spawnReady(name === 'null'
    ? { name: 'null-proxy (compiled)', args: [nullProxy], env: { NULL_PROXY_UPSTREAM: ctx.stack.mockOrigin, NULL_PROXY_PORT: String(port) }, cwd: ctx.cfg.repoRoot, ready: /^null-proxy listening on (\d+)/ }
    : {
      name: `${name} (default config)`,
      args: [path.join(ctx.cfg.repoRoot, 'bin', 'localrouter'), 'serve', '--port', String(port), '--home', home],
      env: { LOCALROUTER_HOME: home }, cwd: ctx.cfg.repoRoot, ready: /localrouter listening on http:\/\/127\.0\.0\.1:(\d+)/, timeoutMs: 30_000,
    }).then((s) => {
    child = s.child;
    return s.child;
  }, (err: unknown) => {
    gaveUp.now = true;
    throw err;
  });
  try {
    const [problem] = await Promise.all([pollHealth(origin, name === 'null', Date.now() + 30_000, gaveUp), spawned]);
    if (problem === null) out.healthMs = Number(process.hrtime.bigint() - t0) / 1e6;
    else out.problem = problem;
    const c = await spawned;
    await sleep(ctx.cfg.idleRssS * 1000);
    out.idleRssMB = processRssBytes(c.pid) / MB;
    out.threads = threadsOf(c.pid);
    out.runs = /"runs":"(\w+)"/.exec(c.tail())?.[1] ?? null;
  } catch (err) {
    out.problem ??= (err as Error).message;
  } finally {
    if (child) await ctx.children.kill(child);
    rmSync(home, { recursive: true, force: true });
  }
  return out;
}

/**
 * Launch and idle memory as a user meets them: `node bin/localrouter serve` on the compiled build,
 * a fresh home, no providers, default config (the inline column sets only `server.execution`),
 * against the bundled null proxy. `p13Starts` starts per target, interleaved.
 */
async function defaultConfigStarts(ctx: Ctx): Promise<ScenarioOutput> {
  const names = ctx.cfg.targets.filter((n) => n !== 'direct');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lr-bench-null-'));
  try {
    mkdirSync(dir, { recursive: true });
    const nullProxy = await compiledNullProxy(ctx.cfg.repoRoot, dir);
    const compiled = compiledIsCurrent(ctx.cfg.repoRoot);
    if (!compiled) ctx.log('    P13: dist/ is older than src/ (or missing): bin/localrouter runs the sources through tsx; run `npm run build` first');
    const data: PerTarget<DefaultStart> = {};
    for (let r = 0; r < ctx.cfg.p13Starts; r++) {
      for (const n of names) {
        const s = await defaultStart(ctx, n, nullProxy);
        (data[n] ??= []).push(s);
        ctx.log(`    P13 default config ${n}: /health after ${s.healthMs.toFixed(0)} ms, RSS ${s.idleRssMB?.toFixed(1)} MB ` +
          `${ctx.cfg.idleRssS} s later, ${s.threads} threads${s.runs ? `, runs ${s.runs}` : ''}${s.problem ? ` (${s.problem.slice(0, 120)})` : ''}`);
      }
    }
    const checks: Check[] = (Object.entries(data) as [TargetName, DefaultStart[]][]).map(([target, list]) => {
      const bad = list.filter((s) => !Number.isFinite(s.healthMs));
      const src = target !== 'null' && list.some((s) => s.runs !== 'dist');
      return {
        figure: `${FIG} default config`, target, ok: bad.length === 0 && !src,
        detail: bad.length > 0 ? `${bad.length}/${list.length} starts never answered /health: ${bad[0].problem}`
          : src ? 'bin/localrouter ran src/ through tsx, not the compiled build: run `npm run build` first' : `${list.length} starts, each answered /health`,
      };
    });
    const health = medianRow(FIG, `default config, no providers: launch → /health 200, compiled (ms; target ≤ ${START_TARGET_MS})`, 'latency', data, (s) => s.healthMs);
    health.target = { op: '≤', value: START_TARGET_MS };
    const rss = medianRow(FIG, `default config: RSS ${ctx.cfg.idleRssS} s after /health, no other request (MB; target ≤ ${IDLE_TARGET_MB})`, 'memory', data, (s) => s.idleRssMB);
    rss.target = { op: '≤', value: IDLE_TARGET_MB };
    const rows: Row[] = [health, rss, medianRow(FIG, 'default config: threads at that point', 'info', data, (s) => s.threads)];
    return { rows, checks, raw: { compiled, starts: data } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * P13 cold start: process spawned → first successful proxied request, for each gateway mode (on a
 * home set up beforehand, so only `serve` is timed) and for the null proxy as the baseline. The
 * client polls on a port chosen in advance, so it sees the first moment the target can answer.
 */
export async function p13(ctx: Ctx): Promise<ScenarioOutput> {
  const names = ctx.cfg.targets.filter((n) => n !== 'direct');
  const homes = new Map<TargetName, PreparedHome>();
  try {
    await Promise.all(names.filter((n) => n !== 'null').map(async (n) => {
      homes.set(n, await prepareHome({
        repoRoot: ctx.cfg.repoRoot, mockOrigin: ctx.stack.mockOrigin, execution: executionOf(n as GatewayTarget), limits: ctx.cfg.gatewayLimits,
      }));
    }));
    const data: PerTarget<ColdStart> = {};
    for (let r = 0; r < ctx.cfg.p13Starts; r++) {
      for (const n of names) {
        const s = await coldStart(ctx, n, homes.get(n));
        (data[n] ??= []).push(s);
        ctx.log(`    P13 ${n}: listening after ${s.readyMs.toFixed(0)} ms, first 200 after ${s.first200Ms.toFixed(0)} ms` +
          `${s.problem ? ` (${s.problem.slice(0, 120)})` : ''}`);
      }
    }
    const checks: Check[] = (Object.entries(data) as [TargetName, ColdStart[]][]).map(([target, list]) => {
      const bad = list.filter((s) => !Number.isFinite(s.first200Ms));
      return {
        figure: FIG, target, ok: bad.length === 0,
        detail: bad.length === 0 ? `${list.length} starts, each answered 200` : `${bad.length}/${list.length} starts never answered 200: ${bad[0].problem}`,
      };
    });
    const plain = await defaultConfigStarts(ctx);
    return {
      rows: [
        ...plain.rows,
        medianRow(FIG, 'process start → listening (ms)', 'latency', data, (s) => s.readyMs),
        medianRow(FIG, 'process start → first 200 (ms)', 'latency', data, (s) => s.first200Ms),
        medianRow(FIG, 'RSS right after the first 200 (MB)', 'memory', data, (s) => s.rssMB),
        medianRow(FIG, 'non-200 answers before the first 200', 'info', data, (s) => s.notOk),
      ],
      checks: [...plain.checks, ...checks],
      raw: { defaultConfig: plain.raw, benchSetup: data },
    };
  } finally {
    for (const h of homes.values()) h.dispose();
  }
}
