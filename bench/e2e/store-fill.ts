import { randomBytes } from 'node:crypto';
import { openMonitoringDb, RequestLogStore, type RequestLogEntry } from '../../src/metrics/index.js';

/** Rows written per batch while filling (the size the gateway's writer takes under load is 2,048). */
const FILL_BATCH = 4096;

/** A generation id as the gateway makes them: its time first (12 hex digits), then 20 random hex digits. */
function generationId(ms: number): string {
  return `gen-${ms.toString(16).padStart(12, '0')}${randomBytes(10).toString('hex')}`;
}

/** One finished bench request as the ingress reports it: the mock's usage, an upstream id, limits' client. */
function benchEntry(now: number): RequestLogEntry {
  return {
    id: generationId(now), op: 'chat', attempts: [{ provider: 'mock', model: 'gpt-4o-mini', status: 200, code: null, durationMs: 0.61 }],
    status: 200, startMs: performance.now(), durationMs: 0.81, ttftMs: 0, streamed: false,
    usage: { input: 12, output: 9, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, costUsd: 0.0000072, errorCode: null,
    client: 'bench', clientId: 'c_bench', provider: 'mock', model: 'mock/gpt-4o-mini', upstreamId: `chatcmpl-${randomBytes(12).toString('base64url')}`,
  };
}

/**
 * Writes bench-shaped request log rows into a new store at `file` until it uses `targetBytes`,
 * through the gateway's own row builder and writer: a store as a gateway leaves it after running at
 * its size cap (`monitoring.log_max_mb`). Returns the rows written.
 */
export function fillStore(file: string, targetBytes: number): number {
  const db = openMonitoringDb(file);
  try {
    const log = new RequestLogStore(db, { retentionDays: 30 });
    const pages = db.prepare('PRAGMA page_count').pluck();
    const free = db.prepare('PRAGMA freelist_count').pluck();
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    let rows = 0;
    while (((pages.get() as number) - (free.get() as number)) * pageSize < targetBytes) {
      const now = Date.now();
      for (let i = 0; i < FILL_BATCH; i++) log.append(benchEntry(now));
      log.flush();
      rows += FILL_BATCH;
    }
    return rows;
  } finally {
    db.close();
  }
}
