import { InvalidArgumentError, type Command } from 'commander';
import type { BucketView, Dimension } from '../metrics/index.js';
import { homeOf, printJson, printTable, type CliIo } from './cli-io.js';

const BY = ['client', 'provider', 'model', 'strategy'] as const;

/** Same syntax as the metrics module's parseDuration; checked here so a typo is a usage error (exit 2). */
export const DURATION_SYNTAX = /^\s*\d+(?:\.\d+)?\s*(?:ms|s|m|h|d|w|y)?\s*$/i;

function parseRange(value: string): string {
  if (!DURATION_SYNTAX.test(value) || Number.parseFloat(value) <= 0) throw new InvalidArgumentError('use a duration like 10m, 1h, 24h, 7d, 30d or 1y.');
  return value;
}

function parseBy(value: string): (typeof BY)[number] {
  if (!(BY as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${BY.join(', ')}.`);
  return value as (typeof BY)[number];
}

/** `12345` → `12,345`; costs with enough decimals to show cents of a cent. */
const int = (n: number): string => n.toLocaleString('en-US');
const usd = (n: number): string => (n === 0 ? '0' : n < 0.01 ? n.toFixed(6) : n.toFixed(4));
const msText = (n: number): string => (n === 0 ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(0));

/**
 * The cost cell: the priced requests' cost, plus how many answers had no known price (their cost is
 * unknown, so it is not added as 0); `-` when every answer was unpriced.
 */
export function costText(v: Pick<BucketView, 'requests' | 'errors' | 'cost_usd' | 'unpriced_requests'>): string {
  const n = v.unpriced_requests;
  if (n === 0) return usd(v.cost_usd);
  if (v.cost_usd === 0 && n >= v.requests - v.errors) return '-';
  return `${usd(v.cost_usd)} + ${int(n)} unpriced`;
}

/** Rows of the stats table: one per key, busiest first. */
export function statsRows(totals: Map<string, BucketView>): string[][] {
  return [...totals]
    .sort((a, b) => b[1].requests - a[1].requests || a[0].localeCompare(b[0]))
    .map(([key, v]) => [
      key === '' ? 'all' : key, int(v.requests), int(v.errors),
      v.requests === 0 ? '-' : `${((v.errors / v.requests) * 100).toFixed(1)}%`,
      int(v.prompt_tokens), int(v.completion_tokens), costText(v),
      msText(v.latency_ms.p50), msText(v.latency_ms.p99), msText(v.ttft_ms.p50),
    ]);
}

/**
 * `localrouter stats [--range 1h] [--by client|provider|model|strategy] [--json]`: totals and
 * latency percentiles from the store's minute/hour/day rollups. Reads `<home>/localrouter.db`
 * directly (read-only), so it works whether or not the gateway runs; the newest second or so that
 * a running gateway has not flushed yet is not in it.
 */
export function registerStatsCommand(program: Command, io: CliIo): void {
  program.command('stats').description('requests, errors, tokens, cost and latency over a time range')
    .option('--range <duration>', 'how far back: 10m, 1h, 24h, 7d, 30d, 1y', parseRange, '1h')
    .option('--by <dimension>', `one row per ${BY.join(' | ')} (default: the total)`, parseBy)
    .option('--json', 'machine-readable output')
    .action(async (opts: { range: string; by?: Dimension; json?: boolean }, cmd: Command) => {
      // Loaded on demand: only these commands need SQLite.
      const { monitoringDbPath, openMonitoringDb, parseDuration, storedTotals, viewBucket } = await import('../metrics/index.js');
      const rangeMs = parseDuration(opts.range);
      const db = openMonitoringDb(monitoringDbPath(homeOf(cmd, io)), { readonly: true });
      try {
        const dimension: Dimension = opts.by ?? 'all';
        const totals = new Map([...storedTotals(db, dimension, rangeMs)].map(([k, b]) => [k, viewBucket(b)] as [string, BucketView]));
        if (opts.json) {
          printJson(io, { range_ms: rangeMs, by: opts.by ?? null, rows: [...totals].map(([key, v]) => ({ key: dimension === 'all' ? null : key, ...v })) });
          return;
        }
        printTable(io, ['KEY', 'REQUESTS', 'ERRORS', 'ERR%', 'PROMPT TOK', 'COMPL TOK', 'COST USD', 'P50 MS', 'P99 MS', 'TTFT P50'],
          statsRows(totals), `no requests in the last ${opts.range.trim()}`);
        const unpriced = [...totals.values()].reduce((n, v) => n + v.unpriced_requests, 0);
        if (unpriced > 0) {
          io.stderr.write(`cost: "-" and "unpriced" count answers from models with no known price (their cost is unknown, not 0); `
            + 'give one a price with: localrouter prices set <provider/model> --input <usd> --output <usd>\n');
        }
      } finally {
        db.close();
      }
    });
}
