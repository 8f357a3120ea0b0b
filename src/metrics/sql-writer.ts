import type { MonitoringDb } from './monitoring-db.js';
import { RollupStore, rollupFromWire, type RollupWire } from './rollup-store.js';

/** A request log row as insert parameters, in the column order of {@link LOG_INSERT_SQL}. */
export type LogRow = (string | number | null)[];

const LOG_INSERT_SQL = `INSERT INTO requests (id, id_key, ts, client, provider, model, op, status, error_code, error_class, latency_ms,
  ttft_ms, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, cost_usd, streamed, attempts, request_body, response_body, route)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const DELETE_BATCH = 5000;

/** Everything the monitoring store writes, on whichever thread owns the writing connection. */
export interface SqlWriter {
  /** Inserts the rows in one transaction. */
  writeLog(rows: LogRow[]): void;
  /** Adds each rollup into its stored bucket, in one transaction. */
  mergeRollups(rows: RollupWire[]): void;
  /**
   * Deletes log rows older than `logBefore` (at most `maxLogRows`, in batches) and rollups of each
   * resolution older than its cutoff; returns the rows deleted and whether log rows are left to delete.
   */
  deleteExpired(logBefore: number, series: [res: number, before: number][], maxLogRows: number): { deleted: number; more: boolean };
}

export function createSqlWriter(db: MonitoringDb): SqlWriter {
  const insert = db.prepare(LOG_INSERT_SQL);
  const deleteBatch = db.prepare('DELETE FROM requests WHERE seq IN (SELECT seq FROM requests WHERE ts < ? ORDER BY ts LIMIT ?)');
  const rollups = new RollupStore(db);
  const writeLog = db.transaction((rows: LogRow[]) => {
    for (let i = 0; i < rows.length; i++) insert.run(rows[i]);
  });
  return {
    writeLog,
    mergeRollups: (rows) => rollups.merge(rows.map(rollupFromWire)),
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
  };
}
