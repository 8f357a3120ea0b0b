import type { LogRow, RollupMark, RollupWire } from '../workers/protocol.js';
import type { MonitoringDb } from './monitoring-db.js';
import { LOG_COLUMNS, LOG_COLUMN_AT, SEQ_SPAN_SQL, upstreamKey } from './request-log-query.js';
import { RollupStore, rollupFromWire } from './rollup-store.js';

const LOG_INSERT_SQL = `INSERT INTO requests (${LOG_COLUMNS.join(', ')}) VALUES (${LOG_COLUMNS.map(() => '?').join(', ')})`;
const DELETE_BATCH = 5000;
/** Where a LogRow holds `upstream_id` and `upstream_key` (the key is filled in here, see `upstreamKey`). */
const UPSTREAM_ID_AT = LOG_COLUMN_AT.upstream_id;
const UPSTREAM_KEY_AT = LOG_COLUMN_AT.upstream_key;

/** Everything the monitoring store writes, on whichever thread owns the writing connection. */
export interface SqlWriter {
  /** Inserts the rows in one transaction. */
  writeLog(rows: LogRow[]): void;
  /** Adds each rollup into its stored bucket, and records `mark` as committed, in one transaction. */
  mergeRollups(rows: RollupWire[], mark?: RollupMark): void;
  /**
   * Deletes log rows older than `logBefore` (at most `maxLogRows`, in batches) and rollups of each
   * resolution older than its cutoff; returns the rows deleted and whether log rows are left to delete.
   */
  deleteExpired(logBefore: number, series: [res: number, before: number][], maxLogRows: number): { deleted: number; more: boolean };
  /** Bytes of the store's pages in use (free pages not counted): two header reads, no scan. */
  usedBytes(): number;
  /**
   * Deletes the oldest log rows, in batches of at most 5000 (each its own transaction), until the
   * store uses at most `targetBytes` or `maxRows` are gone; returns the rows deleted and whether the
   * store is still over the target.
   */
  trimToSize(targetBytes: number, maxRows: number): { deleted: number; more: boolean };
}

export function createSqlWriter(db: MonitoringDb): SqlWriter {
  const insert = db.prepare(LOG_INSERT_SQL);
  const deleteBatch = db.prepare('DELETE FROM requests WHERE seq IN (SELECT seq FROM requests WHERE ts < ? ORDER BY ts LIMIT ?)');
  const deleteOldest = db.prepare('DELETE FROM requests WHERE seq < ?');
  const seqSpan = db.prepare(SEQ_SPAN_SQL);
  const pageCount = db.prepare('PRAGMA page_count').pluck();
  const freePages = db.prepare('PRAGMA freelist_count').pluck();
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const rollups = new RollupStore(db);
  const lastSeq = db.prepare('SELECT MAX(seq) FROM requests').pluck();
  // A row's seq is the table's largest plus one (SQLite's rowid rule; this connection alone writes,
  // inside the transaction), so its upstream id's key can carry its bucket.
  const writeLog = db.transaction((rows: LogRow[]) => {
    let seq = (lastSeq.get() as number | null) ?? 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      const upstreamId = row[UPSTREAM_ID_AT];
      seq++;
      row[UPSTREAM_KEY_AT] = typeof upstreamId === 'string' ? upstreamKey(seq, upstreamId) : null;
      insert.run(row);
    }
  });
  const usedBytes = (): number => ((pageCount.get() as number) - (freePages.get() as number)) * pageSize;
  return {
    writeLog,
    mergeRollups: (rows, mark) => rollups.mergeMarked(rows.map(rollupFromWire), mark),
    deleteExpired(logBefore, series, maxLogRows) {
      let deleted = 0;
      let n = DELETE_BATCH;
      while (n === DELETE_BATCH && deleted < maxLogRows) {
        n = deleteBatch.run(logBefore, DELETE_BATCH).changes;
        deleted += n;
      }
      deleted += rollups.deleteBefore(series);
      return { deleted, more: n === DELETE_BATCH };
    },
    usedBytes,
    trimToSize(targetBytes, maxRows) {
      let deleted = 0;
      for (;;) {
        const used = usedBytes();
        if (used <= targetBytes) return { deleted, more: false };
        const span = seqSpan.get() as { lo: number | null; hi: number | null };
        // An empty log: what is left (rollups, the schema) is not the log's to trim.
        if (span.lo === null || span.hi === null) return { deleted, more: false };
        if (deleted >= maxRows) return { deleted, more: true };
        // Rows to delete, from the average row size over the whole store (an overestimate of a log
        // row's share, so a pass deletes a little less than needed and measures again).
        const perRow = used / (span.hi - span.lo + 1);
        const n = Math.max(1, Math.min(DELETE_BATCH, maxRows - deleted, Math.ceil((used - targetBytes) / perRow)));
        deleted += deleteOldest.run(span.lo + n).changes;
      }
    },
  };
}
