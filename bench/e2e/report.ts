import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchConfig, TargetName } from './config.js';
import type { Check, Row, RowTarget } from './scenario-common.js';

const SHORT: Record<TargetName, string> = {
  direct: 'direct',
  null: 'null',
  'gateway-auto': 'gw-auto',
  'gateway-workers': 'gw-workers',
  'gateway-inline': 'gw-inline',
};
const GATEWAYS: TargetName[] = ['gateway-auto', 'gateway-workers', 'gateway-inline'];

function fmt(v: number | undefined, kind: Row['kind']): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  if (kind === 'rate') return Math.round(v).toLocaleString('en-US');
  if (kind === 'info') return Number.isInteger(v) ? String(v) : v.toFixed(1);
  if (kind === 'cost' || kind === 'memory') return v.toFixed(1);
  if (kind === 'value') return Math.abs(v) < 100 ? v.toFixed(3) : v.toFixed(1);
  return Math.abs(v) < 10 ? v.toFixed(3) : v.toFixed(1);
}

function diff(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return '—';
  const d = a - b;
  return `${d >= 0 ? '+' : ''}${Math.abs(d) < 10 ? d.toFixed(3) : d.toFixed(1)}`;
}

function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return '—';
  return (a / b).toFixed(2);
}

/** The row's target: set by its scenario, or written in its metric as `target ≤ 1.5` / `target ≥ 0.95`. */
function targetOf(r: Row): RowTarget | undefined {
  if (r.target) return r.target;
  const m = /target (≤|≥) ([\d.]+)/.exec(r.metric);
  return m ? { op: m[1] as RowTarget['op'], value: Number(m[2]) } : undefined;
}

/** `1.234 met` / `1.234 MISSED` for one gateway against the row's target; `—` without a value. */
function verdict(r: Row, t: TargetName): string {
  const v = r.values[t];
  const target = targetOf(r);
  if (v === undefined || !Number.isFinite(v) || !target) return '—';
  const ok = target.op === '≤' ? v <= target.value : v >= target.value;
  return `${fmt(v, r.kind)} ${ok ? 'met' : 'MISSED'}`;
}

/** Rows printed as they are, without ratio columns. */
const plain = (r: Row): boolean => r.kind === 'info' || r.kind === 'value';

interface Column {
  title: string;
  cell: (row: Row) => string;
}

function columns(targets: TargetName[]): Column[] {
  const has = (t: TargetName): boolean => targets.includes(t);
  const cols: Column[] = targets.map((t) => ({ title: SHORT[t], cell: (r: Row) => fmt(r.values[t], r.kind) }));
  const others = targets.filter((t) => t !== 'direct');
  if (has('direct')) {
    for (const t of others) {
      cols.push({ title: `${SHORT[t]} − direct`, cell: (r) => (r.kind === 'latency' ? diff(r.values[t], r.values.direct) : '') });
    }
  }
  for (const g of GATEWAYS.filter(has)) {
    if (has('direct')) cols.push({ title: `${SHORT[g]} / direct`, cell: (r) => (plain(r) ? '' : ratio(r.values[g], r.values.direct)) });
    if (has('null')) cols.push({ title: `${SHORT[g]} / null`, cell: (r) => (plain(r) ? '' : ratio(r.values[g], r.values.null)) });
  }
  if (has('null') && has('direct')) cols.push({ title: 'null / direct', cell: (r) => (plain(r) ? '' : ratio(r.values.null, r.values.direct)) });
  return cols;
}

/** The Markdown report: machine facts, one table of every figure, then the checks. */
export function renderMarkdown(opts: {
  machine: Record<string, string | number>;
  cfg: BenchConfig;
  rows: Row[];
  checks: Check[];
  errors: string[];
  wallS: number;
  resultFile: string | null;
}): string {
  const { machine, cfg, rows, checks } = opts;
  const lines: string[] = [];
  lines.push('## LocalRouter e2e benchmark', '');
  lines.push(`- date: ${machine.date}`);
  lines.push(`- CPU: ${machine.cpu} × ${machine.cores} cores, ${machine.memoryGB} GB`);
  lines.push(`- Node ${machine.node}, ${machine.platform}`);
  const load = Number(machine.loadAvg1m);
  lines.push(`- load average (1 min) at start: ${load}${load > Number(machine.cores) * 0.25 ? ' — WARNING: other processes are using these cores; expect noisy figures' : ''}`);
  lines.push(
    `- run: ${cfg.quick ? 'QUICK (smoke, not for comparison)' : 'full'}, ${cfg.rounds} rounds (median of round values), ` +
      `${cfg.durationS} s per load run, ${cfg.stepS} s per P4 step, ${cfg.warmupS} s warmup, ${Math.round(opts.wallS)} s total`,
  );
  lines.push(
    '- targets: direct = load → mock; null = node:http + undici pass-through; gw-auto / gw-workers / gw-inline = ' +
      '`localrouter serve` with `server.execution` auto (the default) / workers / inline. Latencies in ms, CPU in µs, RSS in MB.',
  );
  lines.push('');
  if (rows.length > 0) {
    const cols = columns(cfg.targets);
    lines.push(`| fig | metric | ${cols.map((c) => c.title).join(' | ')} |`);
    lines.push(`|---|---|${cols.map(() => '---:').join('|')}|`);
    for (const r of rows) lines.push(`| ${r.figure} | ${r.metric} | ${cols.map((c) => c.cell(r)).join(' | ')} |`);
    lines.push('');
  }
  const targeted = rows.filter((r) => targetOf(r) !== undefined);
  const gws = GATEWAYS.filter((g) => cfg.targets.includes(g));
  if (targeted.length > 0 && gws.length > 0) {
    lines.push('### Targets', '');
    lines.push(`| fig | metric | target | ${gws.map((g) => SHORT[g]).join(' | ')} |`);
    lines.push(`|---|---|---|${gws.map(() => '---').join('|')}|`);
    for (const r of targeted) lines.push(`| ${r.figure} | ${r.metric} | ${targetOf(r)!.op} ${targetOf(r)!.value} | ${gws.map((g) => verdict(r, g)).join(' | ')} |`);
    lines.push('');
  }
  const failed = checks.filter((c) => !c.ok);
  lines.push(`### Checks: ${checks.length - failed.length}/${checks.length} passed`);
  for (const c of failed) lines.push(`- FAIL ${c.figure} ${c.target}: ${c.detail}`);
  for (const e of opts.errors) lines.push(`- ERROR ${e}`);
  if (opts.resultFile) lines.push('', `JSON: ${opts.resultFile}`);
  return lines.join('\n');
}

/** Writes the run as `bench/results/e2e-<timestamp>.json` and returns the path. */
export function writeJson(cfg: BenchConfig, data: unknown): string {
  mkdirSync(cfg.resultsDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
  const file = path.join(cfg.resultsDir, `e2e-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}
