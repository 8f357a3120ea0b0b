// The monitoring store's writer thread: one connection, every write of the request log, the rollups
// and retention, in message order. Started by WorkerStoreWriter (store-writer.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { openMonitoringDb } from './monitoring-db.js';
import { createSqlWriter } from './sql-writer.js';
import type { WriterMessage, WriterReply } from './store-writer.js';

const port = parentPort!;
const db = openMonitoringDb((workerData as { file: string }).file);
const sql = createSqlWriter(db);

port.on('message', (msg: WriterMessage) => {
  const reply: WriterReply = { seq: msg.seq };
  try {
    switch (msg.type) {
      case 'log':
        sql.writeLog(msg.rows);
        break;
      case 'rollups':
        sql.mergeRollups(msg.rows);
        break;
      case 'retention':
        reply.more = sql.deleteExpired(msg.logBefore, msg.series, Number.POSITIVE_INFINITY).more;
        break;
      case 'sync':
        break;
      case 'close':
        db.close();
        break;
    }
  } catch (err) {
    reply.error = err instanceof Error ? err.message : String(err);
  }
  port.postMessage(reply);
});
