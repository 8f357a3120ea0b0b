import type { MonitoringDb } from './monitoring-db.js';
import { readRollups } from './rollup-store.js';
import { emptyBucket, mergeBucket, type SeriesBucket } from './series-bucket.js';
import { RESOLUTIONS, type Dimension } from './time-series.js';

/**
 * Totals per key of `dimension` over the last `rangeMs`, read from the persisted rollups only (the
 * CLI's view: works on a read-only connection, with or without a running gateway; misses what the
 * gateway has not flushed yet, at most one flush interval).
 */
export function storedTotals(db: MonitoringDb, dimension: Dimension, rangeMs: number, now = Date.now()): Map<string, SeriesBucket> {
  const res = RESOLUTIONS.slice(1).find((r) => r.keepMs >= rangeMs) ?? RESOLUTIONS[RESOLUTIONS.length - 1];
  const from = now - rangeMs;
  const out = new Map<string, SeriesBucket>();
  for (const row of readRollups(db, res.stepMs, dimension, undefined, from - (from % res.stepMs), now)) {
    let b = out.get(row.key);
    if (b === undefined) out.set(row.key, (b = emptyBucket()));
    mergeBucket(b, row.bucket);
  }
  return out;
}
