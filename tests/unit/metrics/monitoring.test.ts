import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MetricsRing, Monitoring, RECORD_KIND, createRecord, getRequestLog, openMonitoringDb, monitoringDbPath } from '../../../src/metrics/index.js';

const DAY = 86_400_000;
const dirs: string[] = [];
const open: Monitoring[] = [];
afterEach(() => {
  for (const m of open.splice(0)) m.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function home(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mon-'));
  dirs.push(d);
  return d;
}

/** `clock` pins time for retention tests; without it the real clock runs. */
function start(dir: string | null, clock?: { now: number }, errors: string[] = []): Monitoring {
  const now = clock ? () => clock.now : Date.now;
  const m = Monitoring.open({ home: dir, logRetentionDays: 1, flushIntervalMs: 60_000, logBodyMaxBytes: 0, now, onError: (what) => errors.push(what) });
  open.push(m);
  return m;
}

describe('Monitoring', () => {
  it('drains rings into series and Prometheus, writes the log, and keeps it all across a restart', () => {
    const dir = home();
    const m = start(dir);
    const ring = MetricsRing.create(64);
    m.aggregator.addRing('t', ring);
    const rec = { ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, startMs: Date.now() - 5, durationUs: 5000, promptTokens: 11, completionTokens: 7, clientId: m.interner.id('alice') };
    for (let i = 0; i < 3; i++) ring.write(rec);
    m.log.append({ id: 'gen-a', op: 'chat', attempts: [], status: 200, startMs: performance.now(), durationMs: 5, ttftMs: 0, streamed: false, usage: [11, 7, 0, 0], costUsd: null, errorCode: null, client: 'alice', provider: null, model: null });
    m.tick();
    expect(m.series.totals('client', 60_000).get('alice')!.requests).toBe(3);
    expect(m.prometheus.render()).toContain('localrouter_requests_total{client="alice",provider="none",model="none",status="200"} 3');
    m.close();
    open.splice(0);

    const again = start(dir);
    expect(again.series.totals('all', 3_600_000).get('')!.promptTokens).toBe(33);
    expect(again.log.get('gen-a')!.client).toBe('alice');
  });

  it('enforces retention on its tick once the clock moves past it', () => {
    const dir = home();
    const clock = { now: Date.now() };
    const m = start(dir, clock);
    m.log.append({ id: 'gen-old', op: 'chat', attempts: [], status: 200, startMs: performance.now(), durationMs: 5, ttftMs: 0, streamed: false, usage: null, costUsd: null, errorCode: null, client: 'c', provider: null, model: null });
    m.tick();
    expect(m.log.get('gen-old')).toBeDefined();
    clock.now += DAY + 60_000;
    m.tick(); // the hourly maintenance is due
    expect(m.log.get('gen-old')).toBeUndefined();
  });

  it('falls back to an in-memory store when the file cannot be opened, and reports it', () => {
    const dir = home();
    fs.mkdirSync(monitoringDbPath(dir)); // a directory where the file should be
    const errors: string[] = [];
    const m = start(dir, undefined, errors);
    expect(m.dbFile).toBe(':memory:');
    expect(errors[0]).toMatch(/open the monitoring store/);
    m.log.append({ id: 'gen-m', op: 'chat', attempts: [], status: 200, startMs: 0, durationMs: 1, ttftMs: 0, streamed: false, usage: null, costUsd: null, errorCode: null, client: 'c', provider: null, model: null });
    m.tick();
    expect(m.log.get('gen-m')?.seq).toBeGreaterThan(0);
  });

  it('close flushes what is still buffered', () => {
    const dir = home();
    const m = start(dir);
    m.log.append({ id: 'gen-late', op: 'chat', attempts: [], status: 200, startMs: 0, durationMs: 1, ttftMs: 0, streamed: false, usage: null, costUsd: null, errorCode: null, client: 'c', provider: null, model: null });
    m.close();
    open.splice(0);
    const db = openMonitoringDb(monitoringDbPath(dir), { readonly: true });
    try {
      expect(getRequestLog(db, 'gen-late')?.client).toBe('c');
    } finally {
      db.close();
    }
  });
});
