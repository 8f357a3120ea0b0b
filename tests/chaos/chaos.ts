/**
 * `npm run test:chaos [-- --short] [--only REGEX] [--json FILE] [--repo DIR]`: starts the chaos mock
 * upstream and a real gateway (temp LOCALROUTER_HOME, set up with the CLI), sends every fault of
 * faults.ts, checks after each fault that the gateway process is the same one, answers /health and
 * still proxies a plain request, and prints one table: fault | sent | correct | lost | restarts.
 * Exit code 1 when anything was lost, the gateway (or one of its actor threads) restarted, or a check
 * failed; 2 when the rig itself could not start.
 *
 * `--short`: a few requests per fault (well under a minute); default: the long form (minutes).
 * `--repo DIR`: run the gateway of another checkout (its bin/localrouter), e.g. a snapshot of HEAD.
 * `--budget-s S`: faults not started within S seconds are reported as not run (the vitest file
 * uses it so that a slow machine gives a report rather than a killed run).
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { FAULTS, chatBody, faultProviders, type Case, type FaultTarget } from './faults.js';
import { exchange, jsonRequest, rawRequest } from './raw-http.js';
import { judge, type Verdict } from './judge.js';
import { startGateway, startMock, type Gateway, type Mock } from './processes.js';
import { MOCK_CONTENT } from './shared.js';

export interface CaseFailure {
  label: string;
  lost: boolean;
  observed: string;
  problems: string[];
}

export interface FaultResult {
  name: string;
  kind: 'upstream' | 'attack' | 'check';
  sent: number;
  correct: number;
  lost: number;
  /** Gateway process deaths plus actor thread restarts seen during the fault. */
  restarts: number;
  /** What the restarts and the after-fault checks found. */
  notes: string[];
  /** Distinct observed answers and how often each came back. */
  observed: Record<string, number>;
  /** The first failing cases. */
  failures: CaseFailure[];
  /** Every case: what came back. */
  cases: { label: string; correct: boolean; lost: boolean; observed: string }[];
  durationMs: number;
  pass: boolean;
}

export interface ChaosReport {
  form: 'short' | 'long';
  repo: string;
  startedAt: string;
  durationMs: number;
  gatewayStartMs: number;
  results: FaultResult[];
  /** Restarts over the whole run (rows of one phase share theirs, so the column does not add up to this). */
  restartsTotal: number;
  ok: boolean;
}

export interface ChaosOptions {
  short: boolean;
  repo?: string;
  only?: RegExp;
  /** Faults not started within this many ms of the start are reported as not run (failed). */
  budgetMs?: number;
  log?: (line: string) => void;
}

const MAX_FAILURES_KEPT = 6;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function targetOf(gw: Gateway): FaultTarget {
  const hex = gw.providerKey.slice('sk-chaos-'.length);
  return {
    get port() { return gw.port; },
    get clientKey() { return gw.clientKey; },
    get adminToken() { return gw.adminToken; },
    get secrets() { return { values: [gw.providerKey, hex.slice(0, 24), hex.slice(24), gw.clientKey, gw.adminToken] }; },
  };
}

/** Sum of a Prometheus counter family (all label sets). */
export function promSum(text: string, family: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(family) || (line[family.length] !== ' ' && line[family.length] !== '{')) continue;
    const v = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(v)) sum += v;
  }
  return sum;
}

async function getText(gw: Gateway, path: string, headers: [string, string][] = [], deadlineMs = 3000): Promise<{ status: number; body: string } | null> {
  const r = await exchange({ port: gw.port, writes: [rawRequest('GET', path, [['Host', `127.0.0.1:${gw.port}`], ...headers])], deadlineMs, graceMs: 0 });
  const res = r.responses[0];
  return res ? { status: res.status, body: res.body.toString('utf8') } : null;
}

/** Actor thread restarts so far: provider actors (/metrics) plus the MCP actor (/api/mcp/servers). */
async function actorRestarts(gw: Gateway): Promise<number | null> {
  const metrics = await getText(gw, '/metrics');
  if (!metrics || metrics.status !== 200) return null;
  let n = promSum(metrics.body, 'localrouter_actor_restarts_total');
  const mcp = await getText(gw, '/api/mcp/servers', [['Authorization', `Bearer ${gw.adminToken}`]]);
  if (mcp?.status === 200) {
    try {
      n += Number((JSON.parse(mcp.body) as { actor_restarts?: number }).actor_restarts ?? 0);
    } catch {
      // counted from /metrics only
    }
  }
  return n;
}

/** A plain chat request through the canary provider; null when it answered correctly. */
async function canary(gw: Gateway, t: FaultTarget, deadlineMs = 5000): Promise<string | null> {
  const r = await exchange({ port: gw.port, writes: [jsonRequest(gw.port, 'POST', '/v1/chat/completions', chatBody('canary/ok', false), [['Authorization', `Bearer ${gw.clientKey}`]])], deadlineMs });
  const v = judge(r, { dialect: 'openai', success: ['chat'], content: MOCK_CONTENT }, t.secrets);
  return v.correct ? null : `canary request: ${v.observed} ${v.problems.slice(0, 2).join('; ')}`;
}

/**
 * After each fault: the same gateway process must be alive and answer /health and a plain request.
 * A dead gateway is started again (so the remaining faults still run) and counted as a restart.
 */
async function afterFault(gw: Gateway, t: FaultTarget, pidBefore: number, actorsBefore: number | null): Promise<{ restarts: number; notes: string[]; actors: number | null }> {
  const notes: string[] = [];
  let restarts = 0;
  const dead = async (why: string): Promise<void> => {
    notes.push(why);
    restarts++;
    await gw.restart();
  };
  // The last lines that are not routine JSON log lines: a crash's stack, usually.
  const lastWords = (): string => gw.lines.filter((l) => !l.startsWith('{"level":30')).slice(-8).map((l) => l.trim()).join(' | ').slice(0, 900);
  if (!gw.alive()) await dead(`gateway pid ${pidBefore} died (${gw.exitInfo()}); last output: ${lastWords()}`);
  else if (gw.pid !== pidBefore) notes.push(`gateway pid changed ${pidBefore} -> ${gw.pid}`);
  let health = await getText(gw, '/health', [], 3000);
  if (!health || health.status !== 200 || !health.body.includes('"ok"')) {
    notes.push(`/health after the fault: ${health ? `${health.status} ${health.body.slice(0, 80)}` : 'no answer within 3 s'}`);
    await new Promise((r) => setTimeout(r, 300));
    if (!gw.alive()) await dead(`gateway died right after the fault (${gw.exitInfo()}); last output: ${lastWords()}`);
    health = await getText(gw, '/health', [], 3000);
  }
  const c = await canary(gw, t);
  if (c) notes.push(c);
  let actors = await actorRestarts(gw);
  if (actors !== null && actorsBefore !== null && restarts === 0 && actors > actorsBefore) {
    notes.push(`${actors - actorsBefore} actor thread restart(s) (an actor crashed)`);
    restarts += actors - actorsBefore;
  }
  if (restarts > 0) actors = await actorRestarts(gw);
  return { restarts, notes, actors };
}

async function runCase(c: Case, t: FaultTarget): Promise<Verdict> {
  try {
    return await c.run(t);
  } catch (err) {
    return { lost: false, correct: false, observed: 'runner error', problems: [`runner error: ${(err as Error).stack ?? err}`] };
  }
}

/** Runs the suite; never throws for gateway misbehaviour (that is in the report), only when the rig cannot start. */
export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const t0 = Date.now();
  const faults = FAULTS.filter((f) => !opts.only || opts.only.test(f.name));
  let mock: Mock | null = null;
  let gw: Gateway | null = null;
  const results: FaultResult[] = [];
  let gatewayStartMs = 0;
  let restartsTotal = 0;
  try {
    mock = await startMock();
    const gs = Date.now();
    gw = await startGateway({ repo: opts.repo, mockPort: mock.port, faultProviders: faultProviders() });
    gatewayStartMs = Date.now() - gs;
    log(`chaos: mock on ${mock.port}, gateway pid ${gw.pid} on ${gw.port} (home ${gw.home}), started in ${gatewayStartMs} ms`);
    const t = targetOf(gw);
    // The first proxied request may wait for cold actors; give it a bounded warm-up.
    const warmUntil = Date.now() + 30_000;
    let warm = await canary(gw, t, 10_000);
    while (warm !== null && Date.now() < warmUntil) {
      await new Promise((r) => setTimeout(r, 500));
      warm = await canary(gw, t, 10_000);
    }
    if (warm !== null) throw new Error(`the gateway does not answer a plain request: ${warm}`);
    let actors = await actorRestarts(gw);

    // Faults sharing a phase run together (see Fault.phase); the rest one at a time, in order.
    const units: (typeof faults)[] = [];
    const seen = new Set<string>();
    for (const fault of faults) {
      if (fault.phase === undefined) units.push([fault]);
      else if (!seen.has(fault.phase)) {
        seen.add(fault.phase);
        units.push(faults.filter((f) => f.phase === fault.phase));
      }
    }
    for (const unit of units) {
      if (opts.budgetMs !== undefined && Date.now() - t0 > opts.budgetMs) {
        for (const fault of unit) {
          results.push({ name: fault.name, kind: fault.kind, sent: 0, correct: 0, lost: 0, restarts: 0, notes: [`not run: the time budget of ${Math.round(opts.budgetMs / 1000)} s was used up`], observed: {}, failures: [], cases: [], durationMs: 0, pass: false });
          log(`chaos: SKIP ${fault.name} (time budget used up)`);
        }
        continue;
      }
      const pidBefore = gw.pid;
      const rows = await Promise.all(unit.map(async (fault) => {
        const cases = fault.cases(opts.short);
        const fs = Date.now();
        const r: FaultResult = { name: fault.name, kind: fault.kind, sent: 0, correct: 0, lost: 0, restarts: 0, notes: [], observed: {}, failures: [], cases: [], durationMs: 0, pass: false };
        const one = async (c: Case): Promise<void> => {
          const v = await runCase(c, t);
          r.sent++;
          if (v.correct) r.correct++;
          if (v.lost) r.lost++;
          const key = v.observed.length > 90 ? `${v.observed.slice(0, 90)}…` : v.observed;
          r.observed[key] = (r.observed[key] ?? 0) + 1;
          r.cases.push({ label: c.label, correct: v.correct, lost: v.lost, observed: v.observed });
          if (!v.correct && r.failures.length < MAX_FAILURES_KEPT) r.failures.push({ label: c.label, lost: v.lost, observed: v.observed, problems: v.problems.slice(0, 4) });
        };
        await pool(cases.filter((c) => !c.after), fault.concurrency(opts.short), one);
        await pool(cases.filter((c) => c.after), fault.concurrency(opts.short), one);
        r.durationMs = Date.now() - fs;
        return r;
      }));
      const after = await afterFault(gw, t, pidBefore, actors);
      actors = after.actors;
      restartsTotal += after.restarts;
      const shared = unit.length > 1 ? `phase "${unit[0]!.phase}" (${unit.length} faults at once): ` : '';
      for (const r of rows) {
        r.restarts = after.restarts;
        r.notes = after.notes.map((n) => shared + n);
        r.pass = r.lost === 0 && r.restarts === 0 && r.correct === r.sent && r.notes.length === 0;
        results.push(r);
        log(`chaos: ${r.pass ? 'PASS' : 'FAIL'} ${r.name}: ${r.correct}/${r.sent} correct, ${r.lost} lost, ${r.restarts} restarts (${r.durationMs} ms)`);
      }
    }

    // The provider key must not be in the gateway's own output either.
    const lines = gw.lines;
    const leaks = lines.filter((l) => t.secrets.values.slice(0, 3).some((s) => l.includes(s)));
    results.push({
      name: 'gateway log holds no provider key', kind: 'check', sent: lines.length, correct: lines.length - leaks.length, lost: 0, restarts: 0,
      notes: leaks.length > 0 ? [`${leaks.length} log line(s) with the provider key, e.g. ${leaks[0]!.slice(0, 200)}`] : [],
      observed: { [`${lines.length} log lines`]: 1 }, failures: [], cases: [], durationMs: 0, pass: leaks.length === 0,
    });
    if (gw.restarts > 0) log(`chaos: the gateway was restarted ${gw.restarts} time(s) during the run`);
  } finally {
    await gw?.stop();
    await mock?.stop();
    gw?.dispose();
  }
  const ok = results.every((r) => r.pass) && results.length > 0;
  return { form: opts.short ? 'short' : 'long', repo: gw?.repo ?? '', startedAt: new Date(t0).toISOString(), durationMs: Date.now() - t0, gatewayStartMs, results, restartsTotal, ok };
}

function pad(s: string, n: number, right = false): string {
  return right ? s.padStart(n) : s.padEnd(n);
}

/** The report table plus, per fault, what came back and the first failures. */
export function formatReport(report: ChaosReport): string {
  const w = Math.max(5, ...report.results.map((r) => r.name.length));
  const out: string[] = [];
  out.push(`| ${pad('fault', w)} |   sent | correct |  lost | restarts | result |`);
  out.push(`|${'-'.repeat(w + 2)}|-------:|--------:|------:|---------:|--------|`);
  for (const r of report.results) {
    out.push(`| ${pad(r.name, w)} | ${pad(String(r.sent), 6, true)} | ${pad(String(r.correct), 7, true)} | ${pad(String(r.lost), 5, true)} | ${pad(String(r.restarts), 8, true)} | ${r.pass ? 'pass' : 'FAIL'}   |`);
  }
  const totals = report.results.filter((r) => r.kind !== 'check');
  const sum = (k: 'sent' | 'correct' | 'lost'): number => totals.reduce((a, r) => a + r[k], 0);
  out.push(`| ${pad('total', w)} | ${pad(String(sum('sent')), 6, true)} | ${pad(String(sum('correct')), 7, true)} | ${pad(String(sum('lost')), 5, true)} | ${pad(String(report.restartsTotal), 8, true)} | ${report.ok ? 'pass' : 'FAIL'}   |`);
  out.push('');
  out.push(`${report.form} form, ${(report.durationMs / 1000).toFixed(1)} s (gateway start ${(report.gatewayStartMs / 1000).toFixed(1)} s), ${report.results.filter((r) => !r.pass).length} of ${report.results.length} rows failing`);
  out.push('');
  out.push('Observed answers per fault:');
  for (const r of report.results) {
    const seen = Object.entries(r.observed).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ');
    out.push(`- ${r.name}: ${seen}`);
    for (const note of r.notes) out.push(`    ! ${note}`);
    for (const f of r.failures) out.push(`    ✗ ${f.label}${f.lost ? ' [LOST]' : ''}: ${f.observed} — ${f.problems.join('; ').slice(0, 400)}`);
  }
  return out.join('\n');
}

function parseArgs(argv: string[]): { short: boolean; json?: string; repo?: string; only?: RegExp; budgetMs?: number } {
  const out: { short: boolean; json?: string; repo?: string; only?: RegExp; budgetMs?: number } = { short: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--short') out.short = true;
    else if (a === '--long') out.short = false;
    else if (a === '--json') out.json = argv[++i];
    else if (a === '--repo') out.repo = argv[++i];
    else if (a === '--only') out.only = new RegExp(argv[++i]!, 'i');
    else if (a === '--budget-s') out.budgetMs = Number(argv[++i]) * 1000;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run test:chaos [-- --short] [--only REGEX] [--json FILE] [--repo DIR] [--budget-s S]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  let report: ChaosReport;
  try {
    report = await runChaos({ short: args.short, repo: args.repo, only: args.only, budgetMs: args.budgetMs });
  } catch (err) {
    process.stderr.write(`chaos: the rig could not run: ${(err as Error).stack ?? err}\n`);
    process.exit(2);
  }
  process.stdout.write(`${formatReport(report)}\n`);
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2));
  process.exit(report.ok ? 0 : 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
