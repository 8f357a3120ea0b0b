import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { countRows, monitoringHomes } from '../../helpers/monitoring-fixture.js';
import {
  Interner, Monitoring, RECORD_KIND, RequestLogStore, RollupStore, createRecord, emptyBucket, getRequestLog, monitoringDbPath, openMonitoringDb, queryRequestLog, storedTotals,
  type MonitoringOptions, type RequestLogEntry, type StoreWriter,
} from '../../../src/metrics/index.js';
import { ERROR_ROWS_SQL, MCP_ROWS_SQL, SEQ_SPAN_SQL, UPSTREAM_BUCKET_ROWS, idKey } from '../../../src/metrics/request-log-query.js';

const homes = monitoringHomes('lr-store-');
const home = homes.home;

interface Reported { what: string; err: Error }

function start(dir: string, opts: Partial<MonitoringOptions> & { reported?: Reported[] } = {}): Monitoring {
  const { reported, ...rest } = opts;
  const m = Monitoring.open({
    home: dir, logRetentionDays: 1, flushIntervalMs: 60_000, logBodyMaxBytes: 0, fileCheckIntervalMs: 50,
    onError: (what, err) => reported?.push({ what, err }), ...rest,
  });
  return homes.track(m);
}

let n = 0;
function entry(over: Partial<RequestLogEntry> = {}): RequestLogEntry {
  n++;
  return {
    id: `gen-${n.toString(16).padStart(32, '0')}`, op: 'chat', attempts: [{ provider: 'mock', model: 'echo', status: 200, code: null, durationMs: 1.5 }],
    status: 200, startMs: performance.now(), durationMs: 5, ttftMs: 0, streamed: false, usage: { input: 11, output: 7, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, costUsd: 0.00001, errorCode: null,
    client: 'alice', clientId: 'c_alice000001', provider: 'mock', model: 'mock/echo', ...over,
  };
}

/** Bytes of pages in use in the store file, read on a connection of its own. */
function usedBytes(file: string): number {
  const db = openMonitoringDb(file, { readonly: true });
  try {
    const pages = db.pragma('page_count', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    return (pages - free) * (db.pragma('page_size', { simple: true }) as number);
  } finally {
    db.close();
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(['inline', 'worker'] as const)('monitoring store faults (%s writer)', (writer) => {
  // About 240 B a row: some 1.5 MB of log without the cap, in batches of 500; then one batch of some
  // 480 KB, nearly twice the cap, which lands in parts with room made before each.
  it.each([
    ['keeps the store under logMaxBytes by deleting the oldest log rows in batches', 6000, 500],
    ['lands a batch larger than the cap in parts, making room before each: the file stays near the cap', 2000, 2000],
  ] as const)('%s', async (_what, rows, batch) => {
    const dir = home();
    const cap = 256 * 1024;
    const m = start(dir, { writer, logMaxBytes: cap });
    const ids: string[] = [];
    for (let i = 0; i < rows; i++) {
      const e = entry();
      ids.push(e.id);
      m.log.append(e);
      if (i % batch === batch - 1) m.tick();
    }
    await m.sync();
    const file = monitoringDbPath(dir);
    expect(usedBytes(file)).toBeLessThanOrEqual(cap);
    // Room is made before each batch, and freed pages are reused: the file itself stays near the cap.
    expect(fs.statSync(file).size).toBeLessThan(cap * 1.25);
    const kept = countRows(file);
    expect(kept).toBeGreaterThan(100);
    expect(kept).toBeLessThan(rows);
    expect(m.storeHealth().logTrimmed).toBe(rows - kept);
    expect(m.log.dropped).toBe(0);
    expect((await m.lookupLog(ids.at(-1)!))?.id).toBe(ids.at(-1));
    expect(await m.lookupLog(ids[0]!)).toBeUndefined();
  });

  it('notices a store file deleted underneath, counts the rows written into it as dropped, and writes on into a fresh file', async () => {
    const dir = home();
    const reported: Reported[] = [];
    const m = start(dir, { writer, reported });
    const file = monitoringDbPath(dir);
    for (let i = 0; i < 30; i++) m.log.append(entry());
    await m.sync();
    expect(countRows(file)).toBe(30);

    fs.rmSync(file);
    // Idle: the periodic check finds out and opens a fresh store at once.
    await until(() => { m.tick(); return m.storeHealth().fileLost === 1 && fs.existsSync(file); });
    expect(m.log.dropped).toBe(30);
    expect(reported.map((r) => r.what)).toContain('keep the store file');
    expect(reported.find((r) => r.what === 'keep the store file')!.err.message).toMatch(/was deleted while open: the 30 request log rows/);

    const after = entry();
    m.log.append(after);
    for (let i = 0; i < 9; i++) m.log.append(entry());
    await m.sync();
    expect(countRows(file)).toBe(10);
    expect(m.log.written).toBe(40);
    expect(m.log.dropped).toBe(30);
    // Reads follow the fresh file.
    expect((await m.queryLog({ limit: 100 })).length).toBe(10);
    expect((await m.lookupLog(after.id))?.client_id).toBe('c_alice000001');
    expect(m.storeHealth().errors).toBeGreaterThanOrEqual(1);
  });

  it('notices a store file replaced by another one, and uses the one now at the path', async () => {
    const dir = home();
    const m = start(dir, { writer });
    const file = monitoringDbPath(dir);
    for (let i = 0; i < 5; i++) m.log.append(entry());
    await m.sync();
    // Another store (say, a backup being restored) renamed over the open one.
    const other = path.join(dir, 'other.db');
    const db = openMonitoringDb(other);
    db.close();
    fs.renameSync(other, file);
    for (let i = 0; i < 3; i++) m.log.append(entry());
    await m.sync();
    await until(() => m.storeHealth().fileLost === 1);
    expect(countRows(file)).toBe(3);
    expect(m.log.dropped).toBe(5);
  });
});

describe('store journal', () => {
  it('reports a switch to WAL by another program (a -wal file beside the store) and switches back', async () => {
    const dir = home();
    const reported: Reported[] = [];
    const m = start(dir, { reported });
    const file = monitoringDbPath(dir);
    m.log.append(entry());
    await m.sync();
    // What another program's WAL-mode connection leaves beside the store; SQLite takes it up.
    fs.writeFileSync(`${file}-wal`, Buffer.alloc(4096, 7));
    m.log.append(entry());
    await m.sync();
    await until(() => reported.some((r) => /switched to journal mode wal/.test(r.err.message)));
    expect(reported.find((r) => /journal mode wal/.test(r.err.message))!.err.message).toMatch(/switched back to a rollback journal/);
    expect(fs.existsSync(`${file}-shm`)).toBe(false);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
    // The file is out of WAL mode again (a rollback journal mode is per connection: a reader says 'delete').
    const db = openMonitoringDb(file, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).not.toBe('wal');
    } finally {
      db.close();
    }
    m.log.append(entry());
    await m.sync();
    expect(countRows(file)).toBe(3);
  });
});

describe('store writer thread faults', () => {
  it('reports an exception in the writer with its stack, counts it, and keeps writing', async () => {
    const dir = home();
    const reported: Reported[] = [];
    const m = start(dir, { reported, testHooks: true });
    expect(m.writerMode).toBe('worker');
    await m.testStoreFault('throw');
    expect(m.storeHealth().errors).toBe(1);
    expect(reported).toHaveLength(1);
    expect(reported[0]!.err.message).toBe('test hook: exception in the store writer');
    expect(reported[0]!.err.stack).toMatch(/store-engine\.ts/);
    const e = entry();
    m.log.append(e);
    await m.sync();
    expect((await m.lookupLog(e.id))?.seq).toBeGreaterThan(0);
  });

  it('starts the writer thread again when it dies; batches in between are counted, later ones written', async () => {
    const dir = home();
    const reported: Reported[] = [];
    const m = start(dir, { reported, testHooks: true });
    await m.testStoreFault('crash');
    await until(() => m.storeHealth().writerRestarts === 1);
    expect(reported.some((r) => /writer thread running/.test(r.what) && /test hook: store writer thread crash/.test(r.err.stack ?? ''))).toBe(true);
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const e = entry();
      ids.push(e.id);
      m.log.append(e);
    }
    await m.sync();
    const rows = await m.queryLog({ limit: 100 });
    expect(rows.map((r) => r.id).sort()).toEqual(ids.sort());
    expect(m.log.written + m.log.dropped).toBe(20);
    expect(m.log.written).toBe(20);
  });

  it('keeps restarting a writer thread that keeps dying, with the process up', async () => {
    const dir = home();
    const m = start(dir, { testHooks: true });
    for (let i = 0; i < 3; i++) {
      await m.testStoreFault('crash');
      await until(() => m.storeHealth().writerRestarts === i + 1);
    }
    const e = entry();
    m.log.append(e);
    await m.sync();
    expect((await m.lookupLog(e.id))?.seq).toBeGreaterThan(0);
  });

  it('refuses the fault hook unless test hooks are on', async () => {
    const m = start(home());
    await expect(m.testStoreFault('throw')).rejects.toThrow(/test hooks are disabled/);
    expect(m.storeHealth().errors).toBe(0);
  });
});

describe('store file format', () => {
  it('converts a store left in WAL mode by an older version (schema v2) to a rollback journal, keeping its rows and adding the client id', () => {
    const dir = home();
    const src = path.join(dir, 'old.db');
    const old = new Database(src);
    old.pragma('journal_mode = WAL');
    old.pragma('wal_autocheckpoint = 0');
    old.exec(`CREATE TABLE requests (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, id_key INTEGER NOT NULL, ts INTEGER NOT NULL, client TEXT,
      provider TEXT, model TEXT, op TEXT NOT NULL, status INTEGER NOT NULL, error_code TEXT, error_class TEXT, latency_ms REAL NOT NULL,
      ttft_ms REAL, prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER, reasoning_tokens INTEGER, cost_usd REAL,
      streamed INTEGER NOT NULL, attempts TEXT NOT NULL, request_body TEXT, response_body TEXT, route TEXT)`);
    old.pragma('user_version = 2');
    old.prepare(`INSERT INTO requests (id, id_key, ts, client, op, status, latency_ms, streamed, attempts) VALUES ('gen-old', 1, 1, 'alice', 'chat', 200, 1, 0, '[]')`).run();
    // Copied while open, as a crash leaves it: the row is only in the -wal.
    const file = monitoringDbPath(dir);
    fs.copyFileSync(src, file);
    fs.copyFileSync(`${src}-wal`, `${file}-wal`);
    old.close();

    const db = openMonitoringDb(file);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('truncate');
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      expect(fs.existsSync(`${file}-wal`)).toBe(false);
      expect(fs.existsSync(`${file}-shm`)).toBe(false);
      expect(db.prepare('SELECT client, client_id, server, tool FROM requests WHERE id = ?').get('gen-old')).toEqual({ client: 'alice', client_id: null, server: null, tool: null });
    } finally {
      db.close();
    }
  });

  it('migrates a schema v3 store to v5 (MCP calls\' server, tool, sizes and error text; upstream answer ids), keeping its rows', () => {
    const dir = home();
    const file = monitoringDbPath(dir);
    const old = new Database(file);
    old.exec(`CREATE TABLE requests (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, id_key INTEGER NOT NULL, ts INTEGER NOT NULL, client TEXT,
      provider TEXT, model TEXT, op TEXT NOT NULL, status INTEGER NOT NULL, error_code TEXT, error_class TEXT, latency_ms REAL NOT NULL,
      ttft_ms REAL, prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER, reasoning_tokens INTEGER, cost_usd REAL,
      streamed INTEGER NOT NULL, attempts TEXT NOT NULL, request_body TEXT, response_body TEXT, route TEXT, client_id TEXT)`);
    old.pragma('user_version = 3');
    old.prepare(`INSERT INTO requests (id, id_key, ts, client, op, status, latency_ms, streamed, attempts, client_id) VALUES ('gen-v3', 1, 1, 'bob', 'chat', 200, 1, 0, '[]', 'c_bob')`).run();
    old.close();

    const db = openMonitoringDb(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      const log = new RequestLogStore(db, { retentionDays: 1, timeOrigin: 0 });
      log.append({
        id: 'mcp-1', op: 'mcp:tools/call', attempts: [], status: 200, startMs: 2, durationMs: 3, ttftMs: 0, streamed: false, usage: null, costUsd: null,
        errorCode: null, client: 'bob', provider: null, model: null, server: 'every', tool: 'echo', bytesIn: 10, bytesOut: 20, errorMessage: null,
      });
      log.flush();
      const rows = queryRequestLog(db, {});
      expect(rows.map((r) => [r.id, r.op, r.server, r.tool, r.bytes_in, r.bytes_out])).toEqual([
        ['mcp-1', 'mcp:tools/call', 'every', 'echo', 10, 20], ['gen-v3', 'chat', null, null, null, null],
      ]);
      expect(queryRequestLog(db, { kind: 'mcp' }).map((r) => r.id)).toEqual(['mcp-1']);
      expect(queryRequestLog(db, { kind: 'llm', client: 'bob' }).map((r) => r.id)).toEqual(['gen-v3']);
      expect(queryRequestLog(db, { server: 'every', tool: 'echo' }).map((r) => r.id)).toEqual(['mcp-1']);
      // Version 5: a record is found by the id its upstream gave the answer, for its own client only.
      log.append({
        id: 'gen-v5', op: 'chat', attempts: [], status: 200, startMs: 4, durationMs: 3, ttftMs: 0, streamed: false, usage: null, costUsd: null,
        errorCode: null, client: 'bob', clientId: 'c_bob', provider: 'p', model: 'p/m', upstreamId: 'chatcmpl-up5',
      });
      log.flush();
      expect(getRequestLog(db, 'chatcmpl-up5', 'c_bob')).toMatchObject({ id: 'gen-v5', upstream_id: 'chatcmpl-up5' });
      expect(getRequestLog(db, 'chatcmpl-up5', 'c_alice')).toBeUndefined();
      expect(getRequestLog(db, 'chatcmpl-up5')).toBeUndefined();
      expect(getRequestLog(db, 'gen-v5')).toMatchObject({ id: 'gen-v5', upstream_id: 'chatcmpl-up5' });
    } finally {
      db.close();
    }
  });

  it('reads a schema v3 store that no gateway has migrated yet (the CLI opens it read-only): MCP filters match nothing', () => {
    const dir = home();
    const file = monitoringDbPath(dir);
    const old = new Database(file);
    old.exec(`CREATE TABLE requests (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, id_key INTEGER NOT NULL, ts INTEGER NOT NULL, client TEXT,
      provider TEXT, model TEXT, op TEXT NOT NULL, status INTEGER NOT NULL, error_code TEXT, error_class TEXT, latency_ms REAL NOT NULL,
      ttft_ms REAL, prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER, reasoning_tokens INTEGER, cost_usd REAL,
      streamed INTEGER NOT NULL, attempts TEXT NOT NULL, request_body TEXT, response_body TEXT, route TEXT, client_id TEXT)`);
    old.pragma('user_version = 3');
    old.prepare(`INSERT INTO requests (id, id_key, ts, client, op, status, latency_ms, streamed, attempts, client_id) VALUES ('gen-v3', 1, 1, 'bob', 'chat', 200, 1, 0, '[]', 'c_bob')`).run();
    old.close();

    const db = openMonitoringDb(file, { readonly: true });
    try {
      expect(queryRequestLog(db, {}).map((r) => [r.id, r.server, r.tool])).toEqual([['gen-v3', null, null]]);
      expect(queryRequestLog(db, { server: 'every' })).toEqual([]);
      expect(queryRequestLog(db, { tool: 'echo', kind: 'mcp' })).toEqual([]);
      expect(queryRequestLog(db, { kind: 'mcp' })).toEqual([]);
      expect(db.pragma('user_version', { simple: true })).toBe(3);
    } finally {
      db.close();
    }
  });

  it('migrates a schema v4 store to v5 (skill run steps), keeping its rows; a read-only reader of a v4 file sees no steps', () => {
    const dir = home();
    const file = monitoringDbPath(dir);
    const old = new Database(file);
    old.exec(`CREATE TABLE requests (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, id_key INTEGER NOT NULL, ts INTEGER NOT NULL, client TEXT,
      provider TEXT, model TEXT, op TEXT NOT NULL, status INTEGER NOT NULL, error_code TEXT, error_class TEXT, latency_ms REAL NOT NULL,
      ttft_ms REAL, prompt_tokens INTEGER, completion_tokens INTEGER, cached_tokens INTEGER, reasoning_tokens INTEGER, cost_usd REAL,
      streamed INTEGER NOT NULL, attempts TEXT NOT NULL, request_body TEXT, response_body TEXT, route TEXT, client_id TEXT,
      server TEXT, tool TEXT, bytes_in INTEGER, bytes_out INTEGER, error_message TEXT)`);
    old.pragma('user_version = 4');
    old.prepare(`INSERT INTO requests (id, id_key, ts, client, op, status, latency_ms, streamed, attempts, server, tool) VALUES ('mcp-v4', 1, 1, 'bob', 'mcp:tools/call', 200, 1, 0, '[]', 'every', 'echo')`).run();
    old.close();
    const reader = openMonitoringDb(file, { readonly: true });
    try {
      expect(queryRequestLog(reader, {}).map((r) => [r.id, r.steps])).toEqual([['mcp-v4', null]]);
    } finally {
      reader.close();
    }

    const db = openMonitoringDb(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      const log = new RequestLogStore(db, { retentionDays: 1, timeOrigin: 0 });
      const steps = [{ id: 'list', kind: 'tool' as const, status: 'ok' as const, duration_ms: 2, target: 'files__list_directory', items: 1, error: null, input_tokens: 0, output_tokens: 0, cost_usd: 0 }];
      log.append({
        id: 'mcp-2', op: 'mcp:tools/call', attempts: [], status: 200, startMs: 2, durationMs: 3, ttftMs: 0, streamed: false, usage: null, costUsd: 0,
        errorCode: null, client: 'bob', provider: null, model: null, server: 'skills', tool: 'digest', bytesIn: 10, bytesOut: 20, errorMessage: null, steps,
      });
      log.flush();
      expect(queryRequestLog(db, {}).map((r) => [r.id, r.server, r.steps])).toEqual([['mcp-2', 'skills', steps], ['mcp-v4', 'every', null]]);
    } finally {
      db.close();
    }
  });

  it('migrates a schema v5 store to v6 (unpriced requests counted apart in the rollups), keeping its buckets; a read-only reader of a v5 file reads them as all priced', () => {
    const dir = home();
    const file = monitoringDbPath(dir);
    const old = new Database(file);
    old.exec(`CREATE TABLE series (res INTEGER NOT NULL, dim TEXT NOT NULL, key TEXT NOT NULL, t INTEGER NOT NULL, requests INTEGER NOT NULL,
      errors INTEGER NOT NULL, errors_by_class TEXT NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER NOT NULL,
      cached_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, cost_nano INTEGER NOT NULL, latency BLOB, ttft BLOB,
      PRIMARY KEY (res, dim, key, t)) WITHOUT ROWID`);
    old.pragma('user_version = 5');
    const now = Date.now();
    const minute = now - (now % 60_000);
    old.prepare(`INSERT INTO series VALUES (60000, 'all', '', ?, 3, 0, '{}', 30, 12, 0, 0, 2500, NULL, NULL)`).run(minute);
    old.close();
    const reader = openMonitoringDb(file, { readonly: true });
    try {
      const v5 = storedTotals(reader, 'all', 3_600_000, now).get('')!;
      expect([v5.requests, v5.costNano, v5.unpricedRequests, v5.unpricedPromptTokens]).toEqual([3, 2500, 0, 0]);
    } finally {
      reader.close();
    }

    const db = openMonitoringDb(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      const b = { ...emptyBucket(), requests: 2, promptTokens: 20, completionTokens: 8, unpricedRequests: 2, unpricedPromptTokens: 20, unpricedCompletionTokens: 8 };
      new RollupStore(db).mergeMarked([{ res: 60_000, dim: 'all', key: '', t: minute, bucket: b }]);
      const got = storedTotals(db, 'all', 3_600_000, now).get('')!;
      expect([got.requests, got.promptTokens, got.costNano, got.unpricedRequests, got.unpricedPromptTokens, got.unpricedCompletionTokens])
        .toEqual([5, 50, 2500, 2, 20, 8]);
    } finally {
      db.close();
    }
    // Opening it again is a no-op: the migration runs once.
    const again = openMonitoringDb(file);
    try {
      expect(again.pragma('user_version', { simple: true })).toBe(7);
      expect(storedTotals(again, 'all', 3_600_000, now).get('')!.unpricedRequests).toBe(2);
    } finally {
      again.close();
    }
  });

  /** Rows whose upstream id key does not start with their seq's bucket (see `upstreamKey`). */
  function keysOutOfBucket(db: Database.Database): number {
    const rows = db.prepare('SELECT seq, upstream_key FROM requests WHERE upstream_key IS NOT NULL').all() as { seq: number; upstream_key: number }[];
    return rows.filter((r) => Math.floor(r.upstream_key / 2 ** 24) !== Math.floor(r.seq / UPSTREAM_BUCKET_ROWS)).length;
  }

  it('finds a record by its upstream id in any bucket of a store of two and a half buckets, the latest first and for its own client only; every key starts with its row\'s bucket', () => {
    const db = openMonitoringDb(monitoringDbPath(home()));
    const B = UPSTREAM_BUCKET_ROWS;
    const total = Math.floor(2.5 * B);
    try {
      const log = new RequestLogStore(db, { retentionDays: 1, timeOrigin: 0 });
      const ids: string[] = [];
      for (let i = 0; i < total; i++) {
        const e = entry({ upstreamId: `chatcmpl-${i}` });
        ids.push(e.id);
        log.append(e);
        if (i % 2048 === 2047) log.flush();
      }
      log.flush();
      const later = entry({ upstreamId: 'chatcmpl-3' });
      log.append(later);
      log.append(entry({ upstreamId: 'chatcmpl-3', clientId: 'c_bob' }));
      log.flush();
      expect(keysOutOfBucket(db)).toBe(0);
      for (const i of [0, B - 2, B - 1, B + 5, 2 * B + 5, total - 1]) expect(getRequestLog(db, `chatcmpl-${i}`, 'c_alice000001')?.id).toBe(ids[i]);
      expect(getRequestLog(db, 'chatcmpl-3', 'c_alice000001')?.id).toBe(later.id);
      expect(getRequestLog(db, `chatcmpl-${B + 5}`, 'c_bob')).toBeUndefined();
      expect(getRequestLog(db, `chatcmpl-${total}`, 'c_alice000001')).toBeUndefined();
      // The oldest rows trimmed: the buckets probed start at the oldest row left.
      db.prepare('DELETE FROM requests WHERE seq <= ?').run(B + 100);
      expect(getRequestLog(db, 'chatcmpl-0', 'c_alice000001')).toBeUndefined();
      expect(getRequestLog(db, `chatcmpl-${B + 100}`, 'c_alice000001')?.id).toBe(ids[B + 100]);
    } finally {
      db.close();
    }
  });

  it('reads the log\'s seq span off the table\'s edges, never by a scan (the trim and the upstream-id lookup read it; a scan of a full store takes 30 ms)', () => {
    const db = openMonitoringDb(':memory:');
    try {
      const plan = (db.prepare(`EXPLAIN QUERY PLAN ${SEQ_SPAN_SQL}`).all() as { detail: string }[]).map((r) => r.detail);
      expect(plan.filter((d) => d.includes('requests'))).toEqual(['SEARCH requests', 'SEARCH requests']);
      expect(db.prepare(SEQ_SPAN_SQL).get()).toEqual({ lo: null, hi: null });
    } finally {
      db.close();
    }
  });

  it('filters the log to errors or to MCP calls through their own indexes, newest first, not by reading every row', () => {
    const db = openMonitoringDb(monitoringDbPath(home()));
    try {
      const log = new RequestLogStore(db, { retentionDays: 1, timeOrigin: 0 });
      const picked: string[] = [];
      for (let i = 0; i < 3000; i++) {
        const kind = i % 1000 === 7 ? 'error' : i % 1000 === 9 ? 'mcp' : 'ok';
        const e = kind === 'error' ? entry({ status: 502, errorCode: 'LR_ERR_UPSTREAM_STATUS' })
          : kind === 'mcp' ? entry({ op: 'mcp:tools/call', server: 'files', tool: 'read', provider: null, model: null, attempts: [] }) : entry();
        if (kind !== 'ok') picked.push(`${kind} ${e.id}`);
        log.append(e);
      }
      log.flush();
      const newestFirst = (kind: string): string[] => picked.filter((p) => p.startsWith(kind)).map((p) => p.slice(kind.length + 1)).reverse();
      expect(queryRequestLog(db, { status: 'error' }).map((r) => r.id)).toEqual(newestFirst('error'));
      expect(queryRequestLog(db, { kind: 'mcp' }).map((r) => r.id)).toEqual(newestFirst('mcp'));
      const plan = (where: string): string => (db.prepare(`EXPLAIN QUERY PLAN SELECT seq FROM requests WHERE ${where} ORDER BY seq DESC LIMIT 100`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
      expect(plan(ERROR_ROWS_SQL)).toContain('USING INDEX requests_errors');
      expect(plan(MCP_ROWS_SQL)).toContain('USING INDEX requests_mcp');
    } finally {
      db.close();
    }
  });

  it('migrates a schema v6 store to v7 (upstream id keys carry their row\'s bucket): its rows are found by upstream id before and after, read-only readers use the old keys', () => {
    const file = monitoringDbPath(home());
    const old = openMonitoringDb(file);
    const ids: string[] = [];
    try {
      const log = new RequestLogStore(old, { retentionDays: 1, timeOrigin: 0 });
      for (let i = 0; i < UPSTREAM_BUCKET_ROWS + 1000; i++) {
        const e = entry({ upstreamId: `chatcmpl-v6-${i}` });
        ids.push(e.id);
        log.append(e);
      }
      log.flush();
      // What version 6 wrote: the id's own key (idKey), whatever the row.
      old.function('v6_key', (id) => idKey(id as string));
      old.exec('UPDATE requests SET upstream_key = v6_key(upstream_id)');
      // Hostile cells: an id with CR, LF and NUL in it, and (a damaged store) a blob where an id belongs.
      old.prepare('UPDATE requests SET upstream_id = ?, upstream_key = ? WHERE id = ?').run('chatcmpl-\r\n\u0000x', idKey('chatcmpl-\r\n\u0000x'), ids[1]);
      old.prepare('UPDATE requests SET upstream_id = ?, upstream_key = 7 WHERE id = ?').run(Buffer.from([0, 1, 2]), ids[2]);
      old.pragma('user_version = 6');
    } finally {
      old.close();
    }
    const reader = openMonitoringDb(file, { readonly: true });
    try {
      expect(getRequestLog(reader, `chatcmpl-v6-${ids.length - 1}`, 'c_alice000001')?.id).toBe(ids[ids.length - 1]);
      expect(keysOutOfBucket(reader)).toBeGreaterThan(ids.length / 2);
    } finally {
      reader.close();
    }
    const db = openMonitoringDb(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(7);
      expect(keysOutOfBucket(db)).toBe(0);
      for (const i of [0, UPSTREAM_BUCKET_ROWS, ids.length - 1]) expect(getRequestLog(db, `chatcmpl-v6-${i}`, 'c_alice000001')?.id).toBe(ids[i]);
      expect(getRequestLog(db, 'chatcmpl-\r\n\u0000x', 'c_alice000001')?.id).toBe(ids[1]);
      expect(db.prepare('SELECT upstream_key FROM requests WHERE id = ?').get(ids[2])).toEqual({ upstream_key: null });
      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'").all() as { name: string }[]).map((r) => r.name);
      expect(indexes).toEqual(expect.arrayContaining(['requests_upstream_key', 'requests_errors', 'requests_mcp']));
    } finally {
      db.close();
    }
  });
});

describe('bounded values', () => {
  it('holds records for a stalled writer to the queue bound, counting what it drops', () => {
    const stalled: StoreWriter = {
      mode: 'inline', restarts: 0, started: true, writeLog: () => {}, mergeRollups: () => {}, deleteExpired: () => {}, query: async () => [],
      get: async () => undefined, testFault: async () => {}, sync: async () => {}, close: async () => {},
    };
    const db = openMonitoringDb(':memory:');
    try {
      const log = new RequestLogStore(db, { retentionDays: 1, writer: stalled, maxPending: 100 });
      for (let i = 0; i < 1000; i++) {
        log.append(entry());
        if (i % 10 === 9) log.flush();
      }
      expect(log.inflight).toBe(100);
      expect(log.pending).toBe(100);
      expect(log.dropped).toBe(800);
    } finally {
      db.close();
    }
  });

  it('keeps records without their bodies while too many body bytes wait for the writer, and counts them', () => {
    const parts: { rows: number; done: (err: Error | null) => void; commitAt: number | undefined }[] = [];
    const held: StoreWriter = {
      mode: 'worker', restarts: 0, started: true, writeLog: (rows, done, commitAt) => { parts.push({ rows: rows.length, done, commitAt }); },
      mergeRollups: () => {}, deleteExpired: () => {}, query: async () => [], get: async () => undefined, testFault: async () => {}, sync: async () => {}, close: async () => {},
    };
    const db = openMonitoringDb(':memory:');
    try {
      let ready = 0;
      const log = new RequestLogStore(db, {
        retentionDays: 1, writer: held, bodyMaxBytes: 1000, batchRows: 256, commitRows: 2048, onBatchReady: () => { ready++; },
        maxBodyBacklog: 1000, partBodyChars: 500,
      });
      const body = 'b'.repeat(150);
      const withBodies = (): RequestLogEntry => entry({ requestBody: body, responseBody: body });
      const a = withBodies();
      log.append(a);
      expect(ready).toBe(0);
      // 600 characters of bodies wait: past the part bound, so the part is handed on without waiting for 256 records.
      const b = withBodies();
      log.append(b);
      expect(ready).toBe(1);
      expect(log.flushPart()).toBe(2);
      expect(parts.at(-1)).toMatchObject({ rows: 2, commitAt: 0 }); // committed at once, not held for 2048 rows
      // 600 handed over, not committed: one more record of 300 fits the 1000, the next does not.
      const c = withBodies();
      const d = withBodies();
      const plain = entry();
      log.append(c);
      log.append(d);
      log.append(plain);
      expect(log.bodiesDropped).toBe(1);
      expect(log.get(c.id)).toMatchObject({ request_body: body, response_body: body });
      expect(log.get(d.id)).toMatchObject({ request_body: null, response_body: null, status: 200, prompt_tokens: 11 });
      expect(log.get(plain.id)?.id).toBe(plain.id);
      expect(log.dropped).toBe(0);
      // A small part may still wait in the writer; once the big one is committed, bodies fit again.
      expect(log.flushPart()).toBe(3);
      expect(parts.at(-1)).toMatchObject({ rows: 3, commitAt: 2048 });
      parts[0]!.done(null);
      const e = withBodies();
      log.append(e);
      expect(log.bodiesDropped).toBe(1);
      expect(log.get(e.id)).toMatchObject({ request_body: body });
    } finally {
      db.close();
    }
  });

  it('finds the latest record with an upstream id while the writer thread still holds the parts carrying it, without committing them', async () => {
    const m = start(home(), { writer: 'worker' });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const e = entry({ clientId: 'c_1', upstreamId: 'chatcmpl-same' });
      ids.push(e.id);
      m.log.append(e);
      m.log.flushPart();
    }
    expect(m.log.inflight).toBe(3);
    expect((await m.lookupLog('chatcmpl-same', 'c_1'))?.id).toBe(ids[2]);
    expect(await m.lookupLog('chatcmpl-same', 'c_2')).toBeUndefined();
    const heldView = await m.lookupLog(ids[0]);
    expect(heldView).toMatchObject({ id: ids[0], seq: 0, upstream_id: 'chatcmpl-same', client_id: 'c_1', prompt_tokens: 11 });
    // Found where they wait: nothing was committed for the lookups.
    expect(m.log.written).toBe(0);
    const queued = entry({ clientId: 'c_1', upstreamId: 'chatcmpl-same' });
    m.log.append(queued);
    expect((await m.lookupLog('chatcmpl-same', 'c_1'))?.id).toBe(queued.id);
    // All four committed (sync flushes the queue too): the latest is still the one found, now stored.
    await m.sync();
    expect(m.log.written).toBe(4);
    const stored = await m.lookupLog('chatcmpl-same', 'c_1');
    expect(stored?.id).toBe(queued.id);
    expect(stored!.seq).toBeGreaterThan(0);
    // A held row reads as the stored one does, field for field.
    expect({ ...(await m.lookupLog(ids[0]))!, seq: 0 }).toEqual(heldView);
  });

  it('keeps the rows and rollups a commit could not make while another program holds the store locked, and writes them once it lets go', { timeout: 40_000 }, async () => {
    const dir = home();
    const reported: Reported[] = [];
    const m = start(dir, { writer: 'worker', reported });
    m.log.append(entry());
    await m.sync(); // the writer thread runs and the file exists
    const record = (): void => {
      const r = { ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, durationUs: 10_000, promptTokens: 11, completionTokens: 7 };
      r.startMs = Date.now() - 180_000; // a closed minute: persist folds it into the minute rollups
      r.clientId = m.interner.id('alice');
      m.series.record(r);
    };
    const other = new Database(monitoringDbPath(dir));
    other.exec('BEGIN EXCLUSIVE');
    let locked = true;
    try {
      for (let i = 0; i < 40; i++) m.log.append(entry());
      m.log.flush();
      for (let i = 0; i < 3; i++) record();
      expect(m.series.persist()).toBeGreaterThan(0);
      // The commit waits out busy_timeout (5 s), fails, and keeps the rows; the rollups wait behind them.
      for (let i = 0; i < 80 && !reported.some((r) => /locked by another connection/.test(r.err.message)); i++) await new Promise((r) => setTimeout(r, 100));
      expect(reported).toEqual([{ what: 'write to the store now (kept for later)', err: expect.objectContaining({ message: expect.stringMatching(/locked by another connection.*40 request log rows are kept/) }) }]);
      expect(m.log.inflight).toBe(40);
      expect(m.log.dropped).toBe(0);
      await expect(m.sync()).rejects.toThrow(/locked by another connection: 40 request log rows and 1 rollup batches wait/);
      other.exec('COMMIT');
      locked = false;
      for (let i = 0; i < 100 && m.log.written < 41; i++) await new Promise((r) => setTimeout(r, 100));
      expect(m.log.written).toBe(41);
      expect(m.log.dropped).toBe(0);
      expect(m.log.inflight).toBe(0);
      await m.sync();
      expect(countRows(monitoringDbPath(dir))).toBe(41);
      const reader = openMonitoringDb(monitoringDbPath(dir), { readonly: true });
      try {
        expect(storedTotals(reader, 'all', 3_600_000).get('')!.requests).toBe(3);
      } finally {
        reader.close();
      }
      expect(m.series.totals('all', 3_600_000).get('')!.requests).toBe(3);
      expect(reported).toHaveLength(1);
    } finally {
      if (locked) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('answers hundreds of lookups at once while the writer thread holds, commits and is handed more parts: every record found', async () => {
    const m = start(home(), { writer: 'worker' });
    const ids: string[] = [];
    const lookups: Promise<string | undefined>[] = [];
    for (let part = 0; part < 12; part++) {
      for (let i = 0; i < 25; i++) {
        const e = entry({ clientId: 'c_1', upstreamId: `chatcmpl-p${part}-${i}` });
        ids.push(e.id);
        m.log.append(e);
      }
      m.log.flushPart();
      // Lookups of every record so far, by generation id and by upstream id, interleaved with the parts.
      for (let k = 0; k < ids.length; k += 12) lookups.push(m.lookupLog(ids[k]!).then((r) => r?.id));
    }
    lookups.push(...ids.map((id, k) => m.lookupLog(`chatcmpl-p${Math.floor(k / 25)}-${k % 25}`, 'c_1').then((r) => (r?.id === id ? id : undefined))));
    const found = await Promise.all(lookups);
    expect(found.every((id) => id !== undefined)).toBe(true);
    // 168 interleaved lookups by generation id, then all 300 by upstream id.
    expect(found).toHaveLength(168 + 300);
    await m.sync();
    expect(m.log.written).toBe(300);
  });

  it('cuts names and codes from clients and upstreams before they reach the store, so a 1 MB model name costs no MBs', () => {
    const db = openMonitoringDb(':memory:');
    try {
      const log = new RequestLogStore(db, { retentionDays: 1, timeOrigin: 0 });
      const huge = 'm'.repeat(1024 * 1024);
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const e = entry({
          model: huge, client: huge, clientId: huge, provider: huge, errorCode: huge as never, op: huge, status: 502,
          attempts: [{ provider: huge, model: huge, status: 502, code: huge, durationMs: 1 }],
        });
        ids.push(e.id);
        log.append(e);
      }
      // Before the flush, lookups see the same bounded values.
      const held = log.get(ids[0]!)!;
      expect(held.model!.length).toBeLessThanOrEqual(512);
      log.flush();
      const row = getRequestLog(db, ids[0]!)!;
      for (const v of [row.model, row.client, row.client_id, row.provider]) expect(v!.length).toBeLessThanOrEqual(512);
      for (const v of [row.error_code, row.op]) expect(v!.length).toBeLessThanOrEqual(64);
      expect(row.attempts[0]!.model.length).toBeLessThanOrEqual(512);
      expect(row.attempts[0]!.error_code!.length).toBeLessThanOrEqual(64);
      const bytes = (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
      expect(bytes).toBeLessThan(200 * 1024);
    } finally {
      db.close();
    }
  });

  it('interns label-safe names of bounded length', () => {
    const t = new Interner();
    const id = t.id(`x${'y'.repeat(1024 * 1024)}`);
    expect(t.name(id)!.length).toBeLessThanOrEqual(200);
    const bad = t.id('model\nwith\u0000control');
    expect(t.name(bad)).toBe('model?with?control');
    expect(t.id('model\nwith\u0000control')).toBe(bad);
  });
});
