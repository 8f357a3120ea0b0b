import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { RollupMark, RollupWire } from '../workers/protocol.js';
import { LogHistogram } from './log-histogram.js';
import type { MonitoringDb } from './monitoring-db.js';
import { errorsByClassFromNames, errorsByClassName, mergeBucket, type SeriesBucket } from './series-bucket.js';

/** One persisted time-series bucket: resolution (bucket width, ms), dimension, key, start. */
export interface RollupRow {
  res: number;
  dim: string;
  key: string;
  t: number;
  bucket: SeriesBucket;
}

interface DbRow {
  key: string; t: number; requests: number; errors: number; errors_by_class: string;
  prompt_tokens: number; completion_tokens: number; cached_tokens: number; reasoning_tokens: number; cost_nano: number;
  unpriced_requests: number; unpriced_prompt_tokens: number; unpriced_completion_tokens: number;
  latency: Buffer | null; ttft: Buffer | null;
}

function toBucket(r: DbRow): SeriesBucket {
  let byName: Record<string, number> = {};
  try {
    byName = JSON.parse(r.errors_by_class) as Record<string, number>;
  } catch {
    // a damaged cell loses the breakdown, not the row
  }
  return {
    requests: r.requests, errors: r.errors, errorsByClass: errorsByClassFromNames(byName),
    promptTokens: r.prompt_tokens, completionTokens: r.completion_tokens, cachedTokens: r.cached_tokens,
    reasoningTokens: r.reasoning_tokens, costNano: r.cost_nano,
    unpricedRequests: r.unpriced_requests, unpricedPromptTokens: r.unpriced_prompt_tokens, unpricedCompletionTokens: r.unpriced_completion_tokens,
    latency: LogHistogram.decode(r.latency), ttft: LogHistogram.decode(r.ttft),
  };
}

export function rollupToWire(r: RollupRow): RollupWire {
  const b = r.bucket;
  return {
    res: r.res, dim: r.dim, key: r.key, t: r.t, requests: b.requests, errors: b.errors, errorsByClass: b.errorsByClass,
    promptTokens: b.promptTokens, completionTokens: b.completionTokens, cachedTokens: b.cachedTokens, reasoningTokens: b.reasoningTokens,
    costNano: b.costNano, unpricedRequests: b.unpricedRequests, unpricedPromptTokens: b.unpricedPromptTokens,
    unpricedCompletionTokens: b.unpricedCompletionTokens, latency: b.latency.encode(), ttft: b.ttft.encode(),
  };
}

export function rollupFromWire(w: RollupWire): RollupRow {
  return {
    res: w.res, dim: w.dim, key: w.key, t: w.t,
    bucket: {
      requests: w.requests, errors: w.errors, errorsByClass: w.errorsByClass, promptTokens: w.promptTokens, completionTokens: w.completionTokens,
      cachedTokens: w.cachedTokens, reasoningTokens: w.reasoningTokens, costNano: w.costNano,
      unpricedRequests: w.unpricedRequests, unpricedPromptTokens: w.unpricedPromptTokens, unpricedCompletionTokens: w.unpricedCompletionTokens,
      latency: LogHistogram.decode(w.latency), ttft: LogHistogram.decode(w.ttft),
    },
  };
}

const UNPRICED_COLUMNS = ['unpriced_requests', 'unpriced_prompt_tokens', 'unpriced_completion_tokens'];
const BASE_COLUMNS = 'key, t, requests, errors, errors_by_class, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_nano, latency, ttft';
const SELECT = `SELECT ${BASE_COLUMNS}, ${UNPRICED_COLUMNS.join(', ')} FROM series`;
/** A store older than schema 6 (read-only, not migrated yet by a gateway) counted no unpriced requests. */
const SELECT_V5 = `SELECT ${BASE_COLUMNS}, ${UNPRICED_COLUMNS.map((c) => `0 AS ${c}`).join(', ')} FROM series`;

const selectByDb = new WeakMap<MonitoringDb, string>();

function selectOf(db: MonitoringDb): string {
  let select = selectByDb.get(db);
  if (select === undefined) {
    const names = new Set((db.prepare('PRAGMA table_info(series)').all() as { name: string }[]).map((c) => c.name));
    selectByDb.set(db, (select = names.has(UNPRICED_COLUMNS[0]) ? SELECT : SELECT_V5));
  }
  return select;
}

/**
 * Buckets of `res` and `dim` with `from <= t <= to`, for one key or all (read side: works on a
 * read-only connection, for the CLI, also of a store at schema 5).
 */
export function readRollups(db: MonitoringDb, res: number, dim: string, key: string | undefined, from: number, to: number): RollupRow[] {
  const select = selectOf(db);
  const rows = key === undefined
    ? db.prepare(`${select} WHERE res = ? AND dim = ? AND t >= ? AND t <= ? ORDER BY t`).all(res, dim, from, to) as DbRow[]
    : db.prepare(`${select} WHERE res = ? AND dim = ? AND key = ? AND t >= ? AND t <= ? ORDER BY t`).all(res, dim, key, from, to) as DbRow[];
  return rows.map((r) => ({ res, dim, key: r.key, t: r.t, bucket: toBucket(r) }));
}

/**
 * Rollup rows read together with the sequence number of the last batch of this writer that is in
 * them (-1: none), in one read transaction, so a reader can tell which batches it has not yet been
 * told are committed are already counted in the rows.
 */
export interface MarkedRollups {
  rows: RollupRow[];
  committedSeq: number;
}

/**
 * Rows of `res` and `dim` (as {@link readRollups}) and the last batch of `writer` committed, read in
 * one transaction. A store without the marks table (before schema 6, read-only) reads -1.
 */
export function readMarkedRollups(db: MonitoringDb, writer: string, res: number, dim: string, key: string | undefined, from: number, to: number): MarkedRollups {
  return db.transaction((): MarkedRollups => {
    const rows = readRollups(db, res, dim, key, from, to);
    let committedSeq = -1;
    try {
      const mark = db.prepare('SELECT seq FROM rollup_marks WHERE writer = ?').get(writer) as { seq: number } | undefined;
      if (mark !== undefined) committedSeq = mark.seq;
    } catch {
      // no marks table: nothing of this writer can be in it
    }
    return { rows, committedSeq };
  })();
}

/** Where the time series reads and writes its persisted rollups. */
export interface RollupBackend {
  read(res: number, dim: string, key: string | undefined, from: number, to: number): MarkedRollups;
  /**
   * Adds the rows into the stored buckets, recording `seq` (increasing per backend) as committed in
   * the same transaction; `done` once committed (or failed).
   */
  merge(rows: RollupRow[], seq: number, done: (err: Error | null) => void): void;
  /** Deletes buckets of each resolution that start before its cutoff. */
  deleteBefore(cutoffs: [res: number, before: number][]): void;
}

/**
 * The write side of the `series` table. Rows are merged, not replaced: the in-memory series hold
 * only what arrived since their last persist, so a restart, a late record or two gateways writing
 * the same bucket all add up instead of overwriting each other.
 */
export class RollupStore implements RollupBackend {
  readonly #db: MonitoringDb;
  /** This store's name in `rollup_marks`, when it is a time series' backend itself. */
  readonly #writer = randomUUID();
  readonly #get: Database.Statement;
  readonly #put: Database.Statement;
  readonly #mark: Database.Statement;
  readonly #delete: Database.Statement;
  readonly #mergeAll: (rows: RollupRow[], mark: RollupMark | undefined) => void;

  constructor(db: MonitoringDb) {
    this.#db = db;
    this.#get = db.prepare(`${SELECT} WHERE res = ? AND dim = ? AND key = ? AND t = ?`);
    this.#put = db.prepare(`INSERT OR REPLACE INTO series (res, dim, key, t, requests, errors, errors_by_class, prompt_tokens,
      completion_tokens, cached_tokens, reasoning_tokens, cost_nano, latency, ttft, unpriced_requests, unpriced_prompt_tokens,
      unpriced_completion_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#delete = db.prepare('DELETE FROM series WHERE res = ? AND t < ?');
    this.#mark = db.prepare('INSERT OR REPLACE INTO rollup_marks (writer, seq) VALUES (?, ?)');
    this.#mergeAll = db.transaction((rows: RollupRow[], mark: RollupMark | undefined) => {
      for (const row of rows) this.#mergeOne(row);
      if (mark !== undefined) this.#mark.run(mark.writer, mark.seq);
    });
  }

  /**
   * Adds each row's bucket into the stored one (creating it), and records `mark` as committed, all in
   * one transaction; a failure throws.
   */
  mergeMarked(rows: RollupRow[], mark?: RollupMark): void {
    if (rows.length > 0 || mark !== undefined) this.#mergeAll(rows, mark);
  }

  /** As a time series' own backend: {@link mergeMarked} under this store's name; `done` gets the outcome. */
  merge(rows: RollupRow[], seq: number, done: (err: Error | null) => void): void {
    try {
      this.mergeMarked(rows, { writer: this.#writer, seq });
    } catch (err) {
      done(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    done(null);
  }

  read(res: number, dim: string, key: string | undefined, from: number, to: number): MarkedRollups {
    return readMarkedRollups(this.#db, this.#writer, res, dim, key, from, to);
  }

  /** Deletes buckets of each resolution that start before its cutoff; returns how many. */
  deleteBefore(cutoffs: [res: number, before: number][]): number {
    let n = 0;
    for (const [res, before] of cutoffs) n += this.#delete.run(res, before).changes;
    return n;
  }

  #mergeOne(row: RollupRow): void {
    const old = this.#get.get(row.res, row.dim, row.key, row.t) as DbRow | undefined;
    const b = row.bucket;
    if (old !== undefined) mergeBucket(b, toBucket(old));
    this.#put.run(row.res, row.dim, row.key, row.t, b.requests, b.errors, JSON.stringify(errorsByClassName(b)),
      b.promptTokens, b.completionTokens, b.cachedTokens, b.reasoningTokens, b.costNano, b.latency.encode(), b.ttft.encode(),
      b.unpricedRequests, b.unpricedPromptTokens, b.unpricedCompletionTokens);
  }
}
