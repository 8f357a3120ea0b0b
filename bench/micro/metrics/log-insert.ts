/**
 * CPU per request-log row written by the store's writer: rows shaped like a bench request's, in
 * batches of `EARLY_FLUSH_ROWS` (the size the gateway hands on under load), into a store on disk.
 * `npx tsx bench/micro/metrics/log-insert.ts` (LOG_ROWS, LOG_BATCH to change the defaults): a fresh store.
 * `LOG_CAP_MB=256 npx tsx bench/micro/metrics/log-insert.ts`: a store filled to that size cap first,
 * then LOG_ROWS more rows written as the gateway writes them there, each batch followed by the trim
 * to 90% of the cap when over it; the trim's CPU per deleted row is printed apart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EARLY_FLUSH_ROWS } from '../../../src/metrics/monitoring.js';
import { openMonitoringDb } from '../../../src/metrics/monitoring-db.js';
import { createSqlWriter, type SqlWriter } from '../../../src/metrics/sql-writer.js';
import { idKey } from '../../../src/metrics/request-log-query.js';
import type { LogRow } from '../../../src/workers/protocol.js';

const ROWS = Number(process.env.LOG_ROWS ?? 60_000);
const BATCH = Number(process.env.LOG_BATCH ?? EARLY_FLUSH_ROWS);
const CAP_MB = Number(process.env.LOG_CAP_MB ?? 0);

/** A generation id as the gateway makes them: its time first, then 20 random hex digits. */
function id(): string {
  let s = `gen-${Date.now().toString(16).padStart(12, '0')}`;
  for (let i = 0; i < 20; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

/** The upstream key (last column) is the writer's to fill in. */
function row(i: number): LogRow {
  const gen = id();
  const up = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  return [gen, idKey(gen), Date.now() + i, 'bench', 'mock', 'mock/gpt-4o-mini', 'chat', 200, null, null, 0.812, null, 12, 9, 0, 0, 0.0000072, 0,
    '[{"provider":"mock","model":"gpt-4o-mini","status":200,"error_code":null,"duration_ms":0.61}]', null, null, null, 'c-bench',
    null, null, null, null, null, null, up, null];
}

function batchesOf(rows: number): LogRow[][] {
  const out: LogRow[][] = [];
  for (let i = 0; i < rows; i += BATCH) out.push(Array.from({ length: Math.min(BATCH, rows - i) }, (_, j) => row(i + j)));
  return out;
}

function perRow(label: string, cpu: NodeJS.CpuUsage, wallMs: number, n: number): void {
  console.log(`${label}: user ${(cpu.user / n).toFixed(2)} µs/row, system ${(cpu.system / n).toFixed(2)} µs/row, wall ${(wallMs * 1000 / n).toFixed(2)} µs/row`);
}

function fresh(writer: SqlWriter): void {
  const batches = batchesOf(ROWS);
  writer.writeLog(batches.shift()!);
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  let n = 0;
  for (const b of batches) { writer.writeLog(b); n += b.length; }
  perRow(`${n} rows in batches of ${BATCH}, fresh store`, process.cpuUsage(t0), performance.now() - w0, n);
}

function atCap(writer: SqlWriter): void {
  const cap = CAP_MB * 1024 * 1024;
  let filled = 0;
  while (writer.usedBytes() < cap) {
    writer.writeLog(batchesOf(BATCH)[0]);
    filled += BATCH;
  }
  console.log(`filled to ${CAP_MB} MB: ${filled} rows`);
  const batches = batchesOf(ROWS);
  let trimCpu = 0;
  let deleted = 0;
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  for (const b of batches) {
    writer.writeLog(b);
    if (writer.usedBytes() > cap) {
      const c0 = process.cpuUsage();
      deleted += writer.trimToSize(cap * 0.9, Number.POSITIVE_INFINITY).deleted;
      const c = process.cpuUsage(c0);
      trimCpu += c.user + c.system;
    }
  }
  perRow(`${ROWS} rows in batches of ${BATCH} at the ${CAP_MB} MB cap, trims included`, process.cpuUsage(t0), performance.now() - w0, ROWS);
  console.log(`trims: ${deleted} rows deleted, ${deleted === 0 ? '-' : (trimCpu / deleted).toFixed(2)} µs of CPU per deleted row`);
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'lr-log-insert-'));
try {
  const db = openMonitoringDb(path.join(dir, 'localrouter.db'), { writer: true });
  const writer = createSqlWriter(db);
  if (CAP_MB > 0) atCap(writer);
  else fresh(writer);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
