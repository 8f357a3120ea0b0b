import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { monitoringHomes } from '../../helpers/monitoring-fixture.js';
import {
  EARLY_FLUSH_ROWS, PART_ROWS, MetricsRing, Monitoring, RECORD_KIND, createRecord, getRequestLog, monitoringDbPath, openMonitoringDb, type RequestLogEntry,
} from '../../../src/metrics/index.js';

const DAY = 86_400_000;
const homes = monitoringHomes('lr-mon-');
const home = homes.home;

/** `clock` pins time for retention tests; without it the real clock runs. */
function start(dir: string | null, opts: { clock?: { now: number }; errors?: string[]; writer?: 'worker' | 'inline' } = {}): Monitoring {
  const now = opts.clock ? () => opts.clock!.now : Date.now;
  const m = Monitoring.open({
    home: dir, logRetentionDays: 1, flushIntervalMs: 60_000, logBodyMaxBytes: 0, now, writer: opts.writer,
    onError: (what) => opts.errors?.push(what),
  });
  return homes.track(m);
}

async function stop(m: Monitoring): Promise<void> {
  homes.forget(m);
  await m.close();
}

function entry(id: string, startMs = performance.now()): RequestLogEntry {
  return { id, op: 'chat', attempts: [], status: 200, startMs, durationMs: 5, ttftMs: 0, streamed: false, usage: { input: 11, output: 7, cacheRead: 0, cacheWrite: 0, reasoning: 0 }, costUsd: null, errorCode: null, client: 'alice', provider: null, model: null };
}

describe.each(['inline', 'worker'] as const)('Monitoring (%s writer)', (writer) => {
  it('drains rings into series and Prometheus, writes the log, and keeps it all across a restart', async () => {
    const dir = home();
    const m = start(dir, { writer });
    expect(m.writerMode).toBe(writer);
    const ring = MetricsRing.create(64);
    m.aggregator.addRing('t', ring);
    const rec = { ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, startMs: Date.now() - 5, durationUs: 5000, promptTokens: 11, completionTokens: 7, clientId: m.interner.id('alice') };
    for (let i = 0; i < 3; i++) ring.write(rec);
    m.log.append(entry('gen-a'));
    m.tick();
    // Visible at once, whether or not the writer has committed yet.
    expect(m.series.totals('client', 60_000).get('alice')!.requests).toBe(3);
    expect((await m.lookupLog('gen-a'))!.client).toBe('alice');
    expect(m.prometheus.render()).toContain('localrouter_requests_total{client="alice",provider="none",model="none",status="200"} 3');
    expect((await m.queryLog()).map((r) => r.id)).toEqual(['gen-a']);
    await stop(m);

    const again = start(dir, { writer });
    expect(again.series.totals('all', 3_600_000).get('')!.promptTokens).toBe(33);
    expect(again.log.get('gen-a')!.seq).toBeGreaterThan(0);
  });

  it('keeps one rollup mark, of the running gateway, however often it starts', async () => {
    const dir = home();
    for (let run = 0; run < 3; run++) {
      const m = start(dir, { writer });
      const ring = MetricsRing.create(64);
      m.aggregator.addRing('t', ring);
      ring.write({ ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, startMs: Date.now() - 5, durationUs: 5000, clientId: m.interner.id('alice') });
      m.tick();
      await m.sync();
      await stop(m);
    }
    const db = openMonitoringDb(monitoringDbPath(dir), { readonly: true });
    try {
      expect((db.prepare('SELECT COUNT(*) AS n FROM rollup_marks').get() as { n: number }).n).toBe(1);
      const all = db.prepare("SELECT SUM(requests) AS n FROM series WHERE dim = 'all' AND res = (SELECT MIN(res) FROM series)").get() as { n: number };
      expect(all.n).toBe(3);
    } finally {
      db.close();
    }
  });

  it('enforces retention on its tick once the clock moves past it', async () => {
    const dir = home();
    const clock = { now: Date.now() };
    const m = start(dir, { clock, writer });
    m.log.append(entry('gen-old'));
    m.tick();
    await m.sync();
    expect(m.log.get('gen-old')).toBeDefined();
    clock.now += DAY + 60_000;
    m.tick(); // the hourly maintenance is due
    await m.sync();
    expect(m.log.get('gen-old')).toBeUndefined();
  });

  it('close flushes what is still buffered', async () => {
    const dir = home();
    const m = start(dir, { writer });
    m.log.append(entry('gen-late', 0));
    await stop(m);
    const db = openMonitoringDb(monitoringDbPath(dir), { readonly: true });
    try {
      expect(getRequestLog(db, 'gen-late')?.client).toBe('alice');
    } finally {
      db.close();
    }
  });
});

describe('Monitoring store', () => {
  it('falls back to an in-memory store when the file cannot be opened, and reports it', async () => {
    const dir = home();
    fs.mkdirSync(monitoringDbPath(dir)); // a directory where the file should be
    const errors: string[] = [];
    const m = start(dir, { errors });
    expect(m.dbFile).toBe(':memory:');
    expect(m.writerMode).toBe('inline');
    expect(errors[0]).toMatch(/open the monitoring store/);
    m.log.append(entry('gen-m', 0));
    m.tick();
    expect(m.log.get('gen-m')?.seq).toBeGreaterThan(0);
  });

  it('writes on a separate thread by default, so the event loop never runs SQLite for the log', async () => {
    const dir = home();
    const m = start(dir);
    expect(m.writerMode).toBe('worker');
    for (let i = 0; i < 2000; i++) m.log.append(entry(`gen-w${i}`));
    m.tick();
    // Handed over, not yet known to be committed: still found (the thread commits before it reads).
    expect(m.log.pending).toBe(0);
    expect((await m.lookupLog('gen-w1999'))?.id).toBe('gen-w1999');
    expect(await m.queryLog({ limit: 1000 })).toHaveLength(1000);
    expect(m.log.written).toBe(2000);
    expect(m.log.inflight).toBe(0);
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Monitoring: early request log flush', () => {
  it('hands log records to the writer thread in parts before the flush timer; the thread holds them, found by lookups and queries, and commits them together', async () => {
    // Records held for a whole flush interval at a high request rate outlive the young generation.
    const m = start(home());
    expect(m.writerMode).toBe('worker');
    for (let i = 0; i < PART_ROWS - 1; i++) m.log.append(entry(`gen-b${i}`));
    await new Promise((r) => setImmediate(r));
    expect(m.log.pending).toBe(PART_ROWS - 1);
    for (let i = PART_ROWS - 1; i < PART_ROWS + 9; i++) m.log.append(entry(`gen-b${i}`));
    await new Promise((r) => setImmediate(r));
    // The timer is a minute away: the part went because it was full, with what came meanwhile.
    expect(m.log.pending).toBe(0);
    expect(m.log.inflight).toBe(PART_ROWS + 9);
    // The thread holds the part for a larger transaction: nothing is committed yet.
    await new Promise((r) => setTimeout(r, 200));
    expect(m.log.written).toBe(0);
    // A lookup searches what the thread holds, and leaves it held; a query commits it first.
    expect((await m.lookupLog(`gen-b${PART_ROWS + 8}`))?.id).toBe(`gen-b${PART_ROWS + 8}`);
    expect(m.log.written).toBe(0);
    expect((await m.queryLog({ limit: 1 })).map((r) => r.id)).toEqual([`gen-b${PART_ROWS + 8}`]);
    await until(() => m.log.written === PART_ROWS + 9);
    // Ten more parts, a moment apart: the thread commits them in one or two transactions, not ten.
    const seen = new Set<number>();
    let n = PART_ROWS + 9;
    for (let part = 0; part < 10; part++) {
      for (let k = 0; k < PART_ROWS; k++) m.log.append(entry(`gen-b${n++}`));
      await new Promise((r) => setTimeout(r, 20));
      seen.add(m.log.written);
    }
    expect(seen.size).toBeLessThanOrEqual(3);
    await m.sync();
    expect(m.log.written).toBe(n);
    await stop(m);
  });

  it('with the writer on the main thread, waits for the flush timer however many records queue', async () => {
    const m = start(home(), { writer: 'inline' });
    for (let i = 0; i < EARLY_FLUSH_ROWS + 1000; i++) m.log.append(entry(`gen-i${i}`));
    await new Promise((r) => setImmediate(r));
    expect(m.log.pending).toBe(EARLY_FLUSH_ROWS + 1000);
    await stop(m);
  });
});
