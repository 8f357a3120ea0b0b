import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { idKey, MAX_TEXT_SCAN_ROWS } from '../../../src/metrics/request-log-query.js';
import { createSqlWriter } from '../../../src/metrics/sql-writer.js';
import {
  RequestLogStore, getRequestLog, monitoringDbPath, openMonitoringDb, queryRequestLog, type MonitoringDb, type RequestLogEntry,
} from '../../../src/metrics/index.js';

const DAY = 86_400_000;
const dbs: MonitoringDb[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** timeOrigin 0: an entry's startMs is then its epoch ms. */
function store(opts: { retentionDays?: number; bodyMaxBytes?: number; maxPending?: number; now?: () => number } = {}) {
  const db = openMonitoringDb(':memory:');
  dbs.push(db);
  return { db, log: new RequestLogStore(db, { retentionDays: opts.retentionDays ?? 30, timeOrigin: 0, ...opts }) };
}

let n = 0;
function entry(over: Partial<RequestLogEntry> = {}): RequestLogEntry {
  n++;
  return {
    id: `gen-${n}`, op: 'chat', attempts: [{ provider: 'mock', model: 'echo', status: 200, code: null, durationMs: 12.3456 }],
    status: 200, startMs: Date.now(), durationMs: 15.5, ttftMs: 0, streamed: false, usage: { input: 11, output: 7, cacheRead: 3, cacheWrite: 0, reasoning: 2 }, costUsd: 0.000025,
    errorCode: null, client: 'alice', provider: 'mock', model: 'mock/echo', ...over,
  };
}

describe('RequestLogStore', () => {
  it('buffers appends, finds records before and after the flush, and writes them in one batch', () => {
    const { db, log } = store();
    const e = entry({ streamed: true, ttftMs: 4.2 });
    log.append(e);
    log.append(entry());
    expect(log.pending).toBe(2);
    const before = log.get(e.id)!;
    expect(before).toMatchObject({ seq: 0, id: e.id, client: 'alice', model: 'mock/echo', prompt_tokens: 11, completion_tokens: 7, streamed: true, ttft_ms: 4.2 });
    expect(queryRequestLog(db)).toHaveLength(0); // nothing written yet
    expect(log.flush()).toBe(2);
    expect(log.pending).toBe(0);
    const after = log.get(e.id)!;
    expect(after.seq).toBeGreaterThan(0);
    expect({ ...after, seq: 0 }).toEqual({ ...before, request_body: null, response_body: null });
    expect(after.attempts).toEqual([{ provider: 'mock', model: 'echo', status: 200, error_code: null, duration_ms: 12.346 }]);
    expect(log.get('gen-unknown')).toBeUndefined();
  });

  it('finds ids whose index keys collide, and ids of any shape', () => {
    const { log } = store();
    const ids = ['gen-AAAAAAAAone', 'gen-AAAAAAAAtwo', 'gen-AAAAAAAA', 'chatcmpl-123', 'gen-!!bad-shape!!', 'gen-0123456789abcdef0123456789abcdef'];
    for (const id of ids) log.append(entry({ id }));
    log.flush();
    for (const id of ids) expect(log.get(id)?.id).toBe(id);
    expect(idKey('gen-AAAAAAAAone')).toBe(idKey('gen-AAAAAAAAtwo'));
    expect(idKey('gen-AAAAAAAB')).toBe(1);
    // hex ids (UUID style): the first 12 digits, so time-first ids give growing keys
    expect(idKey('gen-00000000000a5f3c9e')).toBe(10);
    expect(idKey(`gen-${(1_800_000_000_000).toString(16).padStart(12, '0')}ffff`)).toBeGreaterThan(idKey(`gen-${(1_700_000_000_000).toString(16).padStart(12, '0')}ffff`));
    expect(log.get('gen-AAAAAAAAthree')).toBeUndefined();
  });

  it('attributes a failed request to the candidate tried last and classifies the error', () => {
    const { log } = store();
    const e = entry({
      status: 502, errorCode: 'LR_ERR_UPSTREAM_UNREACHABLE', provider: null, model: null, usage: null, costUsd: null,
      attempts: [{ provider: 'a', model: 'm1', status: 500, code: 'LR_ERR_UPSTREAM_STATUS', durationMs: 1 }, { provider: 'b', model: 'm2', status: 0, code: 'LR_ERR_UPSTREAM_UNREACHABLE', durationMs: 2 }],
    });
    log.append(e);
    log.flush();
    expect(log.get(e.id)).toMatchObject({ provider: 'b', model: 'b/m2', error_class: 'upstreamUnreachable', error_code: 'LR_ERR_UPSTREAM_UNREACHABLE', prompt_tokens: null, cost_usd: null });
  });

  it('queries by time range, client, provider, model and status, newest first, with paging and following', async () => {
    const { log: store1, db } = store();
    const log = { append: store1.append.bind(store1), query: (f: Parameters<typeof queryRequestLog>[1] = {}) => { store1.flush(); return queryRequestLog(db, f); } };
    const t = Date.now() - 10_000;
    for (let i = 0; i < 20; i++) {
      log.append(entry({ startMs: t + i * 100, client: i % 2 ? 'bob' : 'alice', status: i % 5 === 0 ? 429 : 200, errorCode: null, model: i < 10 ? 'mock/echo' : 'other/x', provider: i < 10 ? 'mock' : 'other' }));
    }
    expect(log.query({ client: 'bob' })).toHaveLength(10);
    expect(log.query({ status: 429 })).toHaveLength(4);
    expect(log.query({ status: 'error' })).toHaveLength(4);
    expect(log.query({ status: 'ok' })).toHaveLength(16);
    expect(log.query({ provider: 'other', client: 'alice' })).toHaveLength(5);
    expect(log.query({ model: 'mock/echo' })).toHaveLength(10);
    expect(log.query({ sinceMs: t + 1500, untilMs: t + 1800 }).map((r) => r.ts)).toEqual([t + 1700, t + 1600, t + 1500]);
    const page1 = log.query({ limit: 8 });
    expect(page1[0].seq).toBeGreaterThan(page1[7].seq);
    const page2 = log.query({ limit: 8, beforeSeq: page1[7].seq });
    expect(page2[0].seq).toBe(page1[7].seq - 1);
    const follow = log.query({ afterSeq: page1[1].seq });
    expect(follow.map((r) => r.seq)).toEqual([page1[0].seq]);
  });

  it('deletes rows past retention in bounded passes (clock injected)', () => {
    const clock = { now: Date.now() };
    const { log, db } = store({ retentionDays: 2, now: () => clock.now });
    const sql = createSqlWriter(db);
    for (let i = 0; i < 10_500; i++) log.append(entry({ startMs: clock.now - 3 * DAY + i }));
    for (let i = 0; i < 5; i++) log.append(entry({ startMs: clock.now - DAY }));
    log.flush();
    expect(log.retentionCutoff()).toBe(clock.now - 2 * DAY);
    expect(sql.deleteExpired(log.retentionCutoff(), [], 5000)).toEqual({ deleted: 5000, more: true });
    expect(sql.deleteExpired(log.retentionCutoff(), [], 5000)).toEqual({ deleted: 5000, more: true });
    expect(sql.deleteExpired(log.retentionCutoff(), [], 5000)).toEqual({ deleted: 500, more: false });
    expect(queryRequestLog(db, { limit: 1000 })).toHaveLength(5);
    clock.now += 2 * DAY;
    expect(sql.deleteExpired(log.retentionCutoff(), [], Infinity)).toEqual({ deleted: 5, more: false });
  });

  it('keeps bodies only when asked, capped in bytes', () => {
    const off = store().log;
    const e1 = entry({ requestBody: 'secret prompt', responseBody: 'secret answer' });
    off.append(e1);
    off.flush();
    expect(off.get(e1.id)).toMatchObject({ request_body: null, response_body: null });

    const { log, db } = store({ bodyMaxBytes: 300 });
    const e2 = entry({ requestBody: 'é'.repeat(400), responseBody: 'short' });
    log.append(e2);
    log.flush();
    const row = getRequestLog(db, e2.id)!;
    expect(Buffer.byteLength(row.request_body!)).toBeLessThanOrEqual(300);
    expect(row.request_body!.startsWith('éééé')).toBe(true);
    expect(row.response_body).toBe('short');
    expect(queryRequestLog(db)[0].request_body).toBeUndefined();
    expect(queryRequestLog(db, { bodies: true })[0].response_body).toBe('short');
  });

  it('finds rows by text in ids, errors and logged bodies, taking %, _ and \\ literally, case-insensitively, with the other filters', () => {
    const { log, db } = store({ bodyMaxBytes: 1000 });
    const hit = entry({ requestBody: '{"messages":[{"content":"The Quarterly REPORT"}]}', responseBody: 'ok' });
    const answer = entry({ requestBody: 'x', responseBody: 'answer mentions 50% off_sale' });
    const failed = entry({ status: 502, errorCode: 'LR_ERR_UPSTREAM_STATUS', errorMessage: 'upstream said: model overloaded', client: 'bob' });
    const other = entry({ requestBody: '50 percent, offXsale', responseBody: 'back\\slash' });
    for (const e of [hit, answer, failed, other]) log.append(e);
    log.flush();
    const ids = (text: string, more: object = {}): string[] => queryRequestLog(db, { text, ...more }).map((r) => r.id).sort();
    expect(ids('quarterly report')).toEqual([hit.id]);
    expect(ids('50%')).toEqual([answer.id]); // not "50 percent"
    expect(ids('off_sale')).toEqual([answer.id]); // not "offXsale"
    expect(ids('k\\s')).toEqual([other.id]);
    expect(ids('overloaded')).toEqual([failed.id]);
    expect(ids('UPSTREAM_STATUS')).toEqual([failed.id]);
    expect(ids(failed.id)).toEqual([failed.id]);
    expect(ids('bob')).toEqual([failed.id]); // the client's name, as the dashboard's filter box matched it
    expect(ids('overloaded', { client: 'alice' })).toEqual([]);
    expect(ids("'); DROP TABLE requests; --")).toEqual([]);
    expect(ids('')).toHaveLength(4); // no text: no text filter
    expect(queryRequestLog(db, { text: 'x'.repeat(5000) })).toEqual([]); // cut to the bound, still a plain search
    // Without logged bodies there is nothing to find in them.
    const off = store();
    off.log.append(entry({ requestBody: 'quarterly report' }));
    off.log.flush();
    expect(queryRequestLog(off.db, { text: 'quarterly' })).toEqual([]);
  });

  it('a text search reads only the latest MAX_TEXT_SCAN_ROWS rows (LIKE over bodies has no index)', () => {
    const { log, db } = store({ bodyMaxBytes: 1000 });
    const old = entry({ requestBody: 'needle in an old row' });
    log.append(old);
    log.flush();
    const recent = entry({ requestBody: 'needle in a recent row' });
    log.append(recent);
    log.flush();
    // As if MAX_TEXT_SCAN_ROWS more rows had been written in between.
    db.prepare('UPDATE requests SET seq = seq + ? WHERE id = ?').run(MAX_TEXT_SCAN_ROWS + 10, recent.id);
    expect(queryRequestLog(db, { text: 'needle' }).map((r) => r.id)).toEqual([recent.id]);
    expect(queryRequestLog(db).map((r) => r.id).sort()).toEqual([old.id, recent.id].sort());
  });

  it('drops and counts records beyond the pending bound instead of growing', () => {
    const { log } = store({ maxPending: 3 });
    for (let i = 0; i < 5; i++) log.append(entry());
    expect(log.pending).toBe(3);
    expect(log.dropped).toBe(2);
    expect(log.flush()).toBe(3);
    expect(log.written).toBe(3);
  });

  it('creates the store file 0600 with a rollback journal (no -shm to map), and a read-only connection sees what was written', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-log-'));
    dirs.push(dir);
    const file = monitoringDbPath(dir);
    expect(() => openMonitoringDb(file, { readonly: true })).toThrow(/no monitoring data yet/);
    const db = openMonitoringDb(file);
    dbs.push(db);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(db.pragma('journal_mode', { simple: true })).toBe('truncate');
    const log = new RequestLogStore(db, { retentionDays: 1, timeOrigin: 0 });
    const e = entry();
    log.append(e);
    log.flush();
    const reader = openMonitoringDb(file, { readonly: true });
    dbs.push(reader);
    expect(getRequestLog(reader, e.id)?.id).toBe(e.id);
  });
});
