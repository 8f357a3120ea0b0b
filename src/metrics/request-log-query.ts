import type { MonitoringDb } from './monitoring-db.js';
import type { LogRow, RequestLogFilter, RequestLogRow, RouteChoice, RowAttempt, SkillStepRecord } from '../workers/protocol.js';

const MAX_QUERY_ROWS = 1000;
/** The longest text a log search takes: a needle, not a document. */
export const MAX_LOG_TEXT_QUERY = 200;
/** Where a text search looks; the bodies hold text only when `monitoring.log_bodies` was on. */
const TEXT_COLUMNS = ['id', 'client', 'model', 'tool', 'server', 'error_code', 'error_message', 'upstream_id', 'request_body', 'response_body'];
/**
 * A text search reads at most this many of the latest rows: LIKE over logged bodies cannot use an
 * index, and it runs on the store's writing thread (about 4 ms per 1,000 rows with 4 KB bodies).
 */
export const MAX_TEXT_SCAN_ROWS = 50_000;
const COLUMNS = 'seq, id, ts, client, provider, model, op, status, error_code, error_class, latency_ms, ttft_ms, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_usd, streamed, attempts, route, server, tool, bytes_in, bytes_out, error_message, steps';

interface DbRow {
  seq: number; id: string; ts: number; client: string | null; provider: string | null; model: string | null; op: string;
  status: number; error_code: string | null; error_class: string | null; latency_ms: number; ttft_ms: number | null;
  prompt_tokens: number | null; completion_tokens: number | null; cached_tokens: number | null; reasoning_tokens: number | null;
  cost_usd: number | null; streamed: number; attempts: string; route: string | null; request_body?: string | null; response_body?: string | null;
  client_id?: string | null;
  upstream_id?: string | null;
  server: string | null; tool: string | null; bytes_in: number | null; bytes_out: number | null; error_message: string | null;
  steps: string | null;
}

function fromDb(r: DbRow): RequestLogRow {
  let attempts: RowAttempt[] = [];
  try {
    attempts = JSON.parse(r.attempts) as RowAttempt[];
  } catch {
    // a damaged cell reads as no attempts rather than failing the whole query
  }
  let route: RouteChoice | null = null;
  try {
    route = r.route === null ? null : JSON.parse(r.route) as RouteChoice;
  } catch {
    // a damaged cell reads as no route
  }
  let steps: SkillStepRecord[] | null = null;
  try {
    steps = r.steps === null ? null : JSON.parse(r.steps) as SkillStepRecord[];
  } catch {
    // a damaged cell reads as no steps
  }
  return { ...r, streamed: r.streamed === 1, attempts, route, steps };
}

/** The request log's columns in a LogRow's order (the writer's insert parameters). */
export const LOG_COLUMNS = [
  'id', 'id_key', 'ts', 'client', 'provider', 'model', 'op', 'status', 'error_code', 'error_class', 'latency_ms', 'ttft_ms',
  'prompt_tokens', 'completion_tokens', 'cached_tokens', 'reasoning_tokens', 'cost_usd', 'streamed', 'attempts', 'request_body',
  'response_body', 'route', 'client_id', 'server', 'tool', 'bytes_in', 'bytes_out', 'error_message', 'steps', 'upstream_id', 'upstream_key',
] as const;
/** Where a LogRow holds each column. */
export const LOG_COLUMN_AT = Object.fromEntries(LOG_COLUMNS.map((c, i) => [c, i])) as Record<(typeof LOG_COLUMNS)[number], number>;

/**
 * A row handed to the writer and not committed yet, as a lookup returns it: seq 0, like a record
 * still queued on the main thread; the index keys left out, as a stored row's are.
 */
export function logRowView(row: LogRow): RequestLogRow {
  const r: Record<string, unknown> = { seq: 0 };
  for (let i = 0; i < LOG_COLUMNS.length; i++) {
    const column = LOG_COLUMNS[i];
    if (column !== 'id_key' && column !== 'upstream_key') r[column] = row[i];
  }
  return fromDb(r as unknown as DbRow);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B64URL.length; i++) B64URL_VALUE[B64URL.charCodeAt(i)] = i;
const HEX_48 = /^gen-[0-9a-f]{12}/;

/**
 * The indexed key of a generation id: the first 48 bits after `gen-` (12 hex digits, or else 8
 * base64url characters; a 32-bit FNV-1a hash for any other shape). An integer index is much
 * cheaper to insert into than a text one, and when ids start with their creation time (UUIDv7
 * style) the key grows with time, so index inserts land at the end. Keys may collide; lookups also
 * compare the id.
 */
export function idKey(id: string): number {
  if (HEX_48.test(id)) return Number.parseInt(id.slice(4, 16), 16);
  if (id.length >= 12 && id.startsWith('gen-')) {
    let k = 0;
    for (let i = 4; i < 12; i++) {
      const c = id.charCodeAt(i);
      const v = c < 128 ? B64URL_VALUE[c] : -1;
      if (v < 0) return fnv(id);
      k = k * 64 + v;
    }
    return k;
  }
  return fnv(id);
}

/**
 * The two filters with partial indexes of their own (monitoring-db.ts): SQLite uses a partial index
 * only for a query holding its WHERE term as written, so the index and the query share these.
 */
export const ERROR_ROWS_SQL = 'error_class IS NOT NULL';
export const MCP_ROWS_SQL = "op LIKE 'mcp:%'";

/**
 * The log's lowest and highest seq, as `lo` and `hi` (null when empty). Two subqueries: SQLite reads
 * a lone MIN or MAX of the rowid off the b-tree's edge, but both in one SELECT scan the whole table
 * (33 ms for a full store of the default size).
 */
export const SEQ_SPAN_SQL = 'SELECT (SELECT MIN(seq) FROM requests) AS lo, (SELECT MAX(seq) FROM requests) AS hi';

/** Rows per bucket of the upstream-id index key (see {@link upstreamKey}). */
export const UPSTREAM_BUCKET_ROWS = 16_384;
const UPSTREAM_HASH_SPAN = 2 ** 24;
/** The store's schema version from which `upstream_key` holds {@link upstreamKey}'s keys (before: `idKey` of the id). */
const UPSTREAM_BUCKETS_SCHEMA = 7;

/**
 * The indexed key of the id an upstream gave the answer of the row `seq`: the row's bucket
 * (`seq` / {@link UPSTREAM_BUCKET_ROWS}) first, then 24 bits of the id's hash. Upstream ids are
 * random, so a key of their hash alone put every insert (and every delete when the store trims)
 * anywhere in the index: at the store's size cap each 2,048-row batch dirtied ~2,000 index pages,
 * each written twice (journal and file), and the writer spent 26–30 µs a request (8 with this key
 * and the trim's cheap span read). With the bucket first, a batch's keys fall in the last bucket or
 * two, at the index's end. A lookup does not know the bucket and probes them newest first, one index
 * seek (~5 µs) each: about 50 for a full store of the default size. Buckets of 4,096 rows cost
 * inserts the same and lookups 4 × more; buckets of 65,536 rows cost inserts 25% more
 * (bench/micro/metrics/log-insert.ts at the cap).
 * Keys may collide; lookups also compare the id.
 */
export function upstreamKey(seq: number, upstreamId: string): number {
  return Math.floor(seq / UPSTREAM_BUCKET_ROWS) * UPSTREAM_HASH_SPAN + upstreamHash(upstreamId);
}

/** The low part of {@link upstreamKey}: 24 bits of the id's FNV-1a hash. */
function upstreamHash(upstreamId: string): number {
  return fnv(upstreamId) & (UPSTREAM_HASH_SPAN - 1);
}

function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * One request by generation id, with the id of the client that made it (read side, usable on a
 * read-only connection of the current schema). With `clientId`, an id that is no generation id is
 * also looked up as the id an upstream gave its answer: that client's latest request with it.
 */
export function getRequestLog(db: MonitoringDb, id: string, clientId?: string): RequestLogRow | undefined {
  const hasUpstream = hasColumn(db, 'upstream_id');
  const select = `SELECT ${columnsOf(db)}, client_id, ${hasUpstream ? 'upstream_id' : 'NULL AS upstream_id'}, request_body, response_body FROM requests`;
  let r = db.prepare(`${select} WHERE id_key = ? AND id = ?`).get(idKey(id), id) as DbRow | undefined;
  if (r === undefined && clientId !== undefined && hasUpstream) r = findByUpstreamId(db, select, id, clientId);
  return r === undefined ? undefined : fromDb(r);
}

/** `clientId`'s latest row whose upstream answer had the id `id`: bucket by bucket, newest first (see `upstreamKey`). */
function findByUpstreamId(db: MonitoringDb, select: string, id: string, clientId: string): DbRow | undefined {
  const probe = db.prepare(`${select} WHERE upstream_key = ? AND upstream_id = ? AND client_id = ? ORDER BY seq DESC LIMIT 1`);
  if (!shapeOf(db).bucketedUpstream) return probe.get(idKey(id), id, clientId) as DbRow | undefined;
  const span = db.prepare(SEQ_SPAN_SQL).get() as { lo: number | null; hi: number | null };
  if (span.lo === null || span.hi === null) return undefined;
  const hash = upstreamHash(id);
  for (let bucket = Math.floor(span.hi / UPSTREAM_BUCKET_ROWS); bucket >= Math.floor(span.lo / UPSTREAM_BUCKET_ROWS); bucket--) {
    const r = probe.get(bucket * UPSTREAM_HASH_SPAN + hash, id, clientId) as DbRow | undefined;
    if (r !== undefined) return r;
  }
  return undefined;
}

/** Columns added after schema 3, in COLUMNS order. */
const LATER_COLUMNS = ['server', 'tool', 'bytes_in', 'bytes_out', 'error_message', 'steps'];

/**
 * What one store's `requests` table has: its column names and the select list built from them. A
 * store still at an older schema (opened read-only by the CLI before a newer gateway migrated it)
 * lacks the later columns (MCP calls, skill steps, upstream ids), which then read as null.
 */
interface TableShape {
  names: Set<string>;
  columns: string;
  /** `upstream_key` holds `upstreamKey`'s bucketed keys (schema 7 on). */
  bucketedUpstream: boolean;
}

const shapeByDb = new WeakMap<MonitoringDb, TableShape>();

function shapeOf(db: MonitoringDb): TableShape {
  let shape = shapeByDb.get(db);
  if (shape === undefined) {
    const names = new Set((db.prepare('PRAGMA table_info(requests)').all() as { name: string }[]).map((c) => c.name));
    const columns = COLUMNS.split(', ').map((c) => (LATER_COLUMNS.includes(c) && !names.has(c) ? `NULL AS ${c}` : c)).join(', ');
    const bucketedUpstream = (db.pragma('user_version', { simple: true }) as number) >= UPSTREAM_BUCKETS_SCHEMA;
    shapeByDb.set(db, (shape = { names, columns, bucketedUpstream }));
  }
  return shape;
}

function hasColumn(db: MonitoringDb, column: string): boolean {
  return shapeOf(db).names.has(column);
}

function columnsOf(db: MonitoringDb): string {
  return shapeOf(db).columns;
}

/** `text` as a LIKE pattern matching it anywhere, its own `%`, `_` and `\\` taken literally. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** Rows matching `filter` (read side, usable on a read-only connection). */
export function queryRequestLog(db: MonitoringDb, filter: RequestLogFilter = {}): RequestLogRow[] {
  const where: string[] = [];
  const args: (string | number)[] = [];
  if (filter.sinceMs !== undefined) { where.push('ts >= ?'); args.push(filter.sinceMs); }
  if (filter.untilMs !== undefined) { where.push('ts < ?'); args.push(filter.untilMs); }
  if (filter.client !== undefined) { where.push('client = ?'); args.push(filter.client); }
  if (filter.provider !== undefined) { where.push('provider = ?'); args.push(filter.provider); }
  if (filter.model !== undefined) { where.push('model = ?'); args.push(filter.model); }
  if (filter.server !== undefined || filter.tool !== undefined) {
    // A store older than schema 4 has no MCP columns, and so no MCP calls to match.
    if (!hasColumn(db, 'server')) return [];
    if (filter.server !== undefined) { where.push('server = ?'); args.push(filter.server); }
    if (filter.tool !== undefined) { where.push('tool = ?'); args.push(filter.tool); }
  }
  if (filter.kind === 'mcp') where.push(MCP_ROWS_SQL);
  else if (filter.kind === 'llm') where.push("op NOT LIKE 'mcp:%'");
  if (filter.status === 'ok') where.push('error_class IS NULL');
  else if (filter.status === 'error') where.push(ERROR_ROWS_SQL);
  else if (filter.status !== undefined) { where.push('status = ?'); args.push(filter.status); }
  if (filter.text !== undefined && filter.text !== '') {
    const columns = TEXT_COLUMNS.filter((c) => hasColumn(db, c));
    where.push(`(${columns.map((c) => `${c} LIKE ? ESCAPE '\\'`).join(' OR ')})`);
    const pattern = containsPattern(filter.text.slice(0, MAX_LOG_TEXT_QUERY));
    for (let i = 0; i < columns.length; i++) args.push(pattern);
    where.push('seq > (SELECT COALESCE(MAX(seq), 0) FROM requests) - ?');
    args.push(MAX_TEXT_SCAN_ROWS);
  }
  if (filter.beforeSeq !== undefined) { where.push('seq < ?'); args.push(filter.beforeSeq); }
  if (filter.afterSeq !== undefined) { where.push('seq > ?'); args.push(filter.afterSeq); }
  const limit = Math.max(1, Math.min(MAX_QUERY_ROWS, Math.floor(filter.limit ?? 100)));
  const order = filter.afterSeq !== undefined ? 'ASC' : 'DESC';
  const columns = columnsOf(db);
  const cols = filter.bodies ? `${columns}, request_body, response_body` : columns;
  const sql = `SELECT ${cols} FROM requests${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT ${limit}`;
  return (db.prepare(sql).all(...args) as DbRow[]).map(fromDb);
}
