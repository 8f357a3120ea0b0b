// The monitoring store's writer thread: one connection, every write of the request log, the rollups,
// retention and the size cap, and the log reads, in message order. Started (and restarted when it
// dies) by WorkerStoreWriter (store-writer.ts). An exception while handling a message is answered
// as that message's error, with its stack; only an uncaught one ends the thread.
import { parentPort, workerData } from 'node:worker_threads';
import type { LogRow, RequestLogRow, RollupMark, RollupWire, StoreEvent, WriterMessage, WriterReply, WriterWorkerData } from '../workers/protocol.js';
import { LOG_COLUMN_AT, logRowView } from './request-log-query.js';
import { isStoreBusy, StoreEngine, toWireError } from './store-engine.js';

/** Held log rows are committed at this many whatever the main thread asked (it asks at 2,048). */
const MAX_HELD_ROWS = 8192;
/**
 * After a commit found the store locked by another connection (past busy_timeout), the rows stay
 * held and are tried again this much later, or with a later commit: a program that holds the file
 * for a while (a backup, a long query in the sqlite3 shell) delays the log instead of costing it
 * rows. The main thread stops handing records over at its own bound meanwhile.
 */
const BUSY_RETRY_MS = 1000;
const ID_AT = LOG_COLUMN_AT.id;
const CLIENT_ID_AT = LOG_COLUMN_AT.client_id;
const UPSTREAM_ID_AT = LOG_COLUMN_AT.upstream_id;

const data = workerData as WriterWorkerData;
const port = parentPort!;
const event = (e: StoreEvent): void => port.postMessage({ seq: 0, event: e } satisfies WriterReply);
const engine = new StoreEngine({ file: data.file, logMaxBytes: data.logMaxBytes, maxTrimRows: Number.POSITIVE_INFINITY, testHooks: data.testHooks, emit: event });

// A store deleted or replaced while the gateway is idle is noticed here, not at the next write.
const fileCheck = setInterval(() => {
  try {
    engine.checkFile();
  } catch (err) {
    event({ type: 'error', error: toWireError(err) });
  }
}, data.fileCheckMs);

/**
 * Log rows handed over with a `commitAt` they have not reached yet, and the messages to answer once
 * they are committed. The main
 * thread hands records over in small parts soon after they finish (records it keeps longer outlive
 * its young-generation collections and are copied into its old generation), and they are committed
 * here together, in transactions as large as the gateway's batches were (a transaction's fixed cost
 * is most of a small one's). Any other message but a lookup commits them first, so every query,
 * rollup, retention pass and close sees them; a lookup also searches them.
 */
let heldRows: LogRow[] = [];
let heldSeqs: number[] = [];

/** Armed while a locked store left rows or rollups waiting (see BUSY_RETRY_MS). */
let busyRetry: NodeJS.Timeout | null = null;
/** The store's being locked was reported, and nothing has been written since: said once per episode. */
let busyReported = false;

/** `giveUp`: a locked store fails the rows instead of keeping them (closing). */
function commitHeld(giveUp = false): void {
  if (heldSeqs.length === 0) return;
  const rows = heldRows;
  const seqs = heldSeqs;
  heldRows = [];
  heldSeqs = [];
  let error: WriterReply['error'];
  try {
    engine.writeLog(rows);
  } catch (err) {
    if (!giveUp && isStoreBusy(err)) {
      holdAgain(rows.slice((err as { committedRows?: number }).committedRows ?? 0), seqs, err);
      return;
    }
    error = toWireError(err);
  }
  if (heldMerges.length === 0) busyReported = false;
  for (const seq of seqs) port.postMessage(error === undefined ? { seq } : { seq, error } satisfies WriterReply);
}

/** Rows a locked store did not take: held again, ahead of any newer ones, and tried again soon. */
function holdAgain(rows: LogRow[], seqs: number[], err: unknown): void {
  heldRows = rows;
  heldSeqs = seqs;
  storeBusy(err, `${rows.length} request log rows are kept and written once it is free`);
}

/** Reports the first failure of a locked-store episode and arms the retry of what it left waiting. */
function storeBusy(err: unknown, kept: string): void {
  if (!busyReported) {
    busyReported = true;
    const what = 'write to the store now (kept for later)';
    event({ type: 'error', what, error: toWireError(new Error(`the store is locked by another connection (${(err as Error).message}); ${kept}`)) });
  }
  busyRetry ??= setTimeout(() => {
    busyRetry = null;
    writeHeld();
  }, BUSY_RETRY_MS);
}

/**
 * Rollup merges a locked store refused, in order, each answered once it goes in: the main thread
 * keeps reading a batch as in flight until then, so the dashboard's history has no gap.
 */
let heldMerges: { seq: number; rows: RollupWire[]; mark: RollupMark | undefined }[] = [];

/** Merges the held rollups in order, up to one a locked store refuses (`giveUp`: fails them instead). */
function mergeHeld(giveUp = false): void {
  while (heldMerges.length > 0) {
    const merge = heldMerges[0]!;
    let error: WriterReply['error'];
    try {
      engine.mergeRollups(merge.rows, merge.mark);
    } catch (err) {
      if (!giveUp && isStoreBusy(err)) {
        storeBusy(err, `${heldMerges.length} rollup batches are kept and merged once it is free`);
        return;
      }
      error = toWireError(err);
    }
    heldMerges.shift();
    port.postMessage(error === undefined ? { seq: merge.seq } : { seq: merge.seq, error } satisfies WriterReply);
  }
  if (heldSeqs.length === 0) busyReported = false;
}

/**
 * The held log rows, then the held rollups (`giveUp`: a locked store fails them instead). While the
 * rows cannot go in, the rollups behind them are not tried: each try waits out busy_timeout.
 */
function writeHeld(giveUp = false): void {
  commitHeld(giveUp);
  if (giveUp || heldSeqs.length === 0) mergeHeld(giveUp);
}

/** The newest held row `match` accepts. */
function findHeld(match: (row: LogRow) => boolean): RequestLogRow | undefined {
  for (let i = heldRows.length - 1; i >= 0; i--) if (match(heldRows[i])) return logRowView(heldRows[i]);
  return undefined;
}

/**
 * A record by generation id or, with `clientId`, by that client's upstream answer id, as
 * `getRequestLog` finds it, held rows included (newer than any stored one): a client that reads each
 * generation record right after its answer does not cut the held parts' transaction short.
 */
function lookup(id: string, clientId: string | undefined): RequestLogRow | undefined {
  const held = findHeld((row) => row[ID_AT] === id);
  if (held !== undefined || clientId === undefined) return held ?? engine.get(id);
  return engine.get(id) ?? findHeld((row) => row[UPSTREAM_ID_AT] === id && row[CLIENT_ID_AT] === clientId) ?? engine.get(id, clientId);
}

port.on('message', (msg: WriterMessage) => {
  if (msg.type === 'log') {
    for (let i = 0; i < msg.rows.length; i++) heldRows.push(msg.rows[i]);
    heldSeqs.push(msg.seq);
    // While the store is locked, the retry timer commits (not each new part: each try waits out busy_timeout).
    if (busyRetry === null && heldRows.length >= Math.min(msg.commitAt ?? 0, MAX_HELD_ROWS)) commitHeld();
    return;
  }
  if (msg.type === 'rollups') {
    // After any held ones, in order; answered when merged (see heldMerges). While the store is
    // locked, the retry timer writes them.
    heldMerges.push({ seq: msg.seq, rows: msg.rows, mark: msg.mark });
    if (busyRetry === null) writeHeld();
    return;
  }
  if (msg.type !== 'get') writeHeld(msg.type === 'close');
  const reply: WriterReply = { seq: msg.seq };
  try {
    switch (msg.type) {
      case 'retention':
        reply.more = engine.deleteExpired(msg.logBefore, msg.series, Number.POSITIVE_INFINITY).more;
        break;
      case 'query':
        reply.rows = engine.query(msg.filter);
        break;
      case 'get':
        reply.row = lookup(msg.id, msg.clientId) ?? null;
        break;
      case 'sync':
        if (heldSeqs.length > 0 || heldMerges.length > 0) {
          throw new Error(`the store is locked by another connection: ${heldRows.length} request log rows and ${heldMerges.length} rollup batches wait to be written`);
        }
        break;
      case 'test-fault':
        if (msg.fault === 'crash' && data.testHooks) {
          // Uncaught, outside any handler: the thread dies as it would on a bug.
          setImmediate(() => { throw new Error('test hook: store writer thread crash'); });
          break;
        }
        engine.testFault();
        break;
      case 'close':
        clearInterval(fileCheck);
        if (busyRetry !== null) clearTimeout(busyRetry);
        engine.close();
        break;
    }
  } catch (err) {
    reply.error = toWireError(err);
  }
  port.postMessage(reply);
});
