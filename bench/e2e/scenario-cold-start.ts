import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { TargetName } from './config.js';
import { closedPort } from './extended-gateway.js';
import { type PreparedHome, prepareHome, serveHome } from './gateway.js';
import { type Child, processRssBytes } from './processes.js';
import { type Check, type Ctx, type PerTarget, type ScenarioOutput, medianRow } from './scenario-common.js';
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
        repoRoot: ctx.cfg.repoRoot, mockOrigin: ctx.stack.mockOrigin, execution: n === 'gateway-workers' ? 'workers' : 'inline', limits: ctx.cfg.gatewayLimits,
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
    return {
      rows: [
        medianRow(FIG, 'process start → listening (ms)', 'latency', data, (s) => s.readyMs),
        medianRow(FIG, 'process start → first 200 (ms)', 'latency', data, (s) => s.first200Ms),
        medianRow(FIG, 'RSS right after the first 200 (MB)', 'memory', data, (s) => s.rssMB),
        medianRow(FIG, 'non-200 answers before the first 200', 'info', data, (s) => s.notOk),
      ],
      checks,
      raw: data,
    };
  } finally {
    for (const h of homes.values()) h.dispose();
  }
}
