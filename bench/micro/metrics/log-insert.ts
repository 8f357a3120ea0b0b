/**
 * CPU per request-log row written by the store's writer: rows shaped like a bench request's, in
 * batches of `EARLY_FLUSH_ROWS` (the size the gateway hands on under load), into a fresh store on disk.
 * `npx tsx bench/micro/metrics/log-insert.ts` (LOG_ROWS, LOG_BATCH to change the defaults).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EARLY_FLUSH_ROWS } from '../../../src/metrics/monitoring.js';
import { openMonitoringDb } from '../../../src/metrics/monitoring-db.js';
import { createSqlWriter } from '../../../src/metrics/sql-writer.js';
import { idKey } from '../../../src/metrics/request-log-query.js';
import type { LogRow } from '../../../src/workers/protocol.js';

const ROWS = Number(process.env.LOG_ROWS ?? 60_000);
const BATCH = Number(process.env.LOG_BATCH ?? EARLY_FLUSH_ROWS);

/** A generation id as the gateway makes them: its time first, then 20 random hex digits. */
function id(): string {
  let s = `gen-${Date.now().toString(16).padStart(12, '0')}`;
  for (let i = 0; i < 20; i++) s += Math.floor(Math.random() * 16).toString(16);
  return s;
}

function row(i: number): LogRow {
  const gen = id();
  const up = `chatcmpl-${Math.random().toString(36).slice(2)}`;
  return [gen, idKey(gen), Date.now() + i, 'bench', 'mock', 'mock/gpt-4o-mini', 'chat', 200, null, null, 0.812, null, 12, 9, 0, 0, 0.0000072, 0,
    '[{"provider":"mock","model":"gpt-4o-mini","status":200,"error_code":null,"duration_ms":0.61}]', null, null, null, 'c-bench',
    null, null, null, null, null, null, up, idKey(up)];
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'lr-log-insert-'));
try {
  const db = openMonitoringDb(path.join(dir, 'localrouter.db'), { writer: true });
  const writer = createSqlWriter(db);
  const batches: LogRow[][] = [];
  for (let i = 0; i < ROWS; i += BATCH) batches.push(Array.from({ length: Math.min(BATCH, ROWS - i) }, (_, j) => row(i + j)));
  writer.writeLog(batches.shift()!);
  const t0 = process.cpuUsage();
  const w0 = performance.now();
  let n = 0;
  for (const b of batches) { writer.writeLog(b); n += b.length; }
  const cpu = process.cpuUsage(t0);
  const wall = performance.now() - w0;
  console.log(`${n} rows in batches of ${BATCH}: user ${(cpu.user / n).toFixed(2)} µs/row, system ${(cpu.system / n).toFixed(2)} µs/row, wall ${(wall * 1000 / n).toFixed(2)} µs/row`);
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
