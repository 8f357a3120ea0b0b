import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import type { Config } from '../config/index.js';
import type { MonitoringDb, RequestLogFilter, RequestLogRow } from '../metrics/index.js';
import { LocalRouterError } from '../errors/index.js';
import { homeOf, printJson, printTable, readConfig, type CliIo } from './cli-io.js';
import { DURATION_SYNTAX } from './stats-command.js';

const POLL_MS = 500;
/** As the admin API's `q`. */
const MAX_GREP = 200;

interface LogsOptions {
  tail?: boolean;
  client?: string;
  provider?: string;
  model?: string;
  server?: string;
  tool?: string;
  mcp?: boolean;
  status?: RequestLogFilter['status'];
  since?: string;
  grep?: string;
  limit: number;
  json?: boolean;
}

function parseStatus(value: string): RequestLogFilter['status'] {
  if (value === 'ok' || value === 'error') return value;
  if (/^\d{3}$/.test(value)) return Number(value);
  throw new InvalidArgumentError('use ok, error or an HTTP status such as 429.');
}

function parseSince(value: string): string {
  if (!DURATION_SYNTAX.test(value) || Number.parseFloat(value) <= 0) throw new InvalidArgumentError('use a duration like 10m, 1h or 7d.');
  return value;
}

function parseGrep(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('give the text to look for.');
  if (value.length > MAX_GREP) throw new InvalidArgumentError(`at most ${MAX_GREP} characters.`);
  return value;
}

function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 1000) throw new InvalidArgumentError('must be a number from 1 to 1000.');
  return n;
}

const HEADER = ['TIME', 'ID', 'CLIENT', 'MODEL', 'STATUS', 'MS', 'TTFT', 'TOKENS IN/OUT', 'COST USD', 'TRIES'];

/** One table line of a log row. */
export function logLine(r: RequestLogRow): string[] {
  const tokens = r.prompt_tokens === null ? '-' : `${r.prompt_tokens}/${r.completion_tokens ?? 0}`;
  const status = r.error_code ? `${r.status} ${r.error_code.replace(/^LR_ERR_/, '').toLowerCase()}` : String(r.status);
  return [
    new Date(r.ts).toISOString().replace('T', ' ').slice(0, 23), r.id, r.client ?? '-', r.model ?? mcpTarget(r) ?? '-', status,
    r.latency_ms.toFixed(1), r.ttft_ms === null ? '-' : r.ttft_ms.toFixed(1), tokens,
    r.cost_usd === null ? '-' : r.cost_usd.toFixed(6), String(r.attempts.length),
  ];
}

/** An MCP call's `mcp <server>/<tool>` (the tool, prompt or resource URI; the server is unknown for a call refused by a limit). */
function mcpTarget(r: RequestLogRow): string | null {
  if (!r.op.startsWith('mcp:')) return null;
  return `mcp ${r.server ?? '?'}/${r.tool ?? '?'}`;
}

/**
 * `localrouter logs [--tail] [--client C] [--provider P] [--model M] [--mcp] [--server S] [--tool T] [--status ok|error|NNN]
 * [--since 1h] [--grep TEXT] [--limit 50] [--json]`: the newest request log rows, oldest first; `--tail` then
 * follows new rows until interrupted (`--json` prints one JSON object per line while tailing).
 * Reads `<home>/localrouter.db` directly, read-only, with or without a running gateway.
 */
export function registerLogsCommand(program: Command, io: CliIo): void {
  program.command('logs').description('show (and with --tail, follow) the request log')
    .option('--tail', 'keep printing new requests as they are logged (Ctrl-C to stop)')
    .option('--client <name>', 'only this client')
    .option('--provider <name>', 'only this provider')
    .option('--model <provider/model>', 'only this model')
    .option('--mcp', 'only MCP calls (tools/call, resources/read, prompts/get)')
    .option('--server <name>', 'only MCP calls of this upstream MCP server')
    .option('--tool <name>', 'only MCP calls of this tool (its upstream name), prompt or resource URI')
    .option('--status <status>', 'ok, error, or an HTTP status', parseStatus)
    .option('--since <duration>', 'only requests newer than this (10m, 1h, 7d)', parseSince)
    .option('--grep <text>', 'only rows (of the latest 50,000) whose id, client, model, tool, error or logged body (monitoring.log_bodies) contains this text', parseGrep)
    .option('--limit <n>', 'rows to show first (1-1000)', parseLimit, 50)
    .option('--json', 'machine-readable output')
    .action(async (opts: LogsOptions, cmd: Command) => {
      // Loaded on demand: only these commands need SQLite.
      const { monitoringDbPath, openMonitoringDb, parseDuration, queryRequestLog } = await import('../metrics/index.js');
      const home = homeOf(cmd, io);
      const file = monitoringDbPath(home);
      if (!existsSync(file)) requireKnownNames(null, readConfig(home), opts);
      if (opts.tail) {
        while (!existsSync(file)) await sleep(POLL_MS);
      }
      const db = openMonitoringDb(file, { readonly: true });
      try {
        requireKnownNames(db, readConfig(home), opts);
        const filter: RequestLogFilter = {
          client: opts.client, provider: opts.provider, model: opts.model, status: opts.status,
          server: opts.server, tool: opts.tool, kind: opts.mcp ? 'mcp' : undefined, text: opts.grep,
          sinceMs: opts.since === undefined ? undefined : Date.now() - parseDuration(opts.since, 'since'), limit: opts.limit,
        };
        const first = queryRequestLog(db, filter).reverse();
        if (opts.json && !opts.tail) printJson(io, first);
        else if (opts.json) for (const r of first) io.stdout.write(`${JSON.stringify(r)}\n`);
        else if (!opts.tail || first.length > 0) printTable(io, HEADER, first.map(logLine), 'no requests logged');
        if (opts.tail) await follow(io, db, queryRequestLog, filter, first.at(-1)?.seq ?? lastSeq(db), opts.json === true);
      } finally {
        db.close();
      }
    });
}

/** The config lists whose names the filters take, and the log column each one matches. */
const NAMED_FILTERS = [
  { option: 'client', column: 'client', what: 'client', names: (c: Config) => c.clients.map((x) => x.name) },
  { option: 'provider', column: 'provider', what: 'provider', names: (c: Config) => c.providers.map((x) => x.name) },
  { option: 'server', column: 'server', what: 'MCP server', names: (c: Config) => c.mcp_servers.map((x) => x.name) },
] as const;

/**
 * A filter naming nothing that exists is a typo, not an empty result: a name is known when the config
 * has it or the log holds rows of it (a client removed since still has its history).
 */
function requireKnownNames(db: MonitoringDb | null, config: Config, opts: LogsOptions): void {
  for (const f of NAMED_FILTERS) {
    const value = opts[f.option];
    if (value === undefined || f.names(config).includes(value)) continue;
    const logged = db !== null && db.prepare(`SELECT 1 FROM requests WHERE ${f.column} = ? LIMIT 1`).get(value) !== undefined;
    if (!logged) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no such ${f.what}: "${value}" (not in the config, no requests logged)`);
  }
}

function lastSeq(db: MonitoringDb): number {
  return (db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM requests').get() as { seq: number }).seq;
}

/** Polls for rows after `seq` until SIGINT/SIGTERM (WAL lets this reader run beside the gateway). */
async function follow(io: CliIo, db: MonitoringDb, query: (db: MonitoringDb, f: RequestLogFilter) => RequestLogRow[], filter: RequestLogFilter, seq: number, json: boolean): Promise<void> {
  let stop = false;
  // Once only: a second signal while the last poll finishes ends the process the default way.
  const off = io.onStopSignal(() => {
    stop = true;
    off();
  });
  try {
    let after = seq;
    while (!stop) {
      const rows = query(db, { ...filter, sinceMs: undefined, limit: 1000, afterSeq: after });
      for (const r of rows) {
        io.stdout.write(json ? `${JSON.stringify(r)}\n` : `${logLine(r).join('  ')}\n`);
        after = r.seq;
      }
      if (rows.length < 1000) await sleep(POLL_MS);
    }
  } finally {
    off();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
