import { afterEach, describe, expect, it } from 'vitest';
import {
  ERROR_CLASS, Interner, OTHER_KEY, RECORD_KIND, RollupStore, TimeSeries, createRecord, openMonitoringDb, pickResolution,
  type MonitoringDb, type RequestRecord, type RollupBackend,
} from '../../../src/metrics/index.js';

const MIN = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** A fixed, minute-aligned "now" so buckets are predictable. */
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

const dbs: MonitoringDb[] = [];
afterEach(() => { for (const db of dbs.splice(0)) db.close(); });

function setup(opts: { maxKeys?: number; db?: MonitoringDb; interner?: Interner } = {}) {
  const clock = { now: T0 };
  const db = opts.db ?? openMonitoringDb(':memory:');
  if (!opts.db) dbs.push(db);
  const interner = opts.interner ?? new Interner();
  const series = new TimeSeries({ interner, store: new RollupStore(db), now: () => clock.now, maxKeysPerDimension: opts.maxKeys });
  const rec = (endMs: number, over: Partial<RequestRecord> & { client?: string; provider?: string; model?: string } = {}): void => {
    const r = { ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, durationUs: 10_000, promptTokens: 11, completionTokens: 7, costUsd: 0.000025, ...over };
    r.startMs = endMs - r.durationUs / 1000;
    r.clientId = interner.id(over.client ?? 'alice');
    r.providerId = interner.id(over.provider ?? 'mock');
    r.modelId = interner.id(over.model ?? 'mock/echo');
    series.record(r);
  };
  return { clock, db, interner, series, rec };
}

describe('TimeSeries', () => {
  it('counts every dimension and the total, in second and minute buckets', () => {
    const { series, rec } = setup();
    for (let i = 0; i < 10; i++) rec(T0 - 5000 + i * 100, { client: i < 6 ? 'alice' : 'bob', durationUs: (i + 1) * 1000 });
    rec(T0 - 4000, { errorClass: ERROR_CLASS.upstreamStatus, status: 502, promptTokens: 0, completionTokens: 0, costUsd: 0 });
    const totals = series.totals('all', 10 * MIN).get('')!;
    expect(totals.requests).toBe(11);
    expect(totals.errors).toBe(1);
    expect(totals.errorsByClass[ERROR_CLASS.upstreamStatus]).toBe(1);
    expect(totals.promptTokens).toBe(110);
    expect(totals.costNano).toBe(250_000);
    const byClient = series.totals('client', 10 * MIN);
    expect(byClient.get('alice')!.requests).toBe(7);
    expect(byClient.get('bob')!.requests).toBe(4);
    expect(series.totals('strategy', 10 * MIN).size).toBe(0); // id 0 = none: not a key
    // per-second: T0-5000 .. T0-4100 in one second, T0-4000 in the next
    const q = series.query({ dimension: 'all', rangeMs: 10_000, stepMs: 1000 }, 'requests');
    expect(q.resolution).toBe('second');
    expect(q.points.find((p) => p.t === T0 - 5000)!.value).toBe(10);
    expect(q.points.find((p) => p.t === T0 - 4000)!.value).toBe(1);
    const p50 = series.query({ dimension: 'client', key: 'alice', rangeMs: 10_000, stepMs: 10_000 }, 'latency_p50');
    // alice: 1..6 ms and the 10 ms error → nearest-rank p50 is 4 ms (within 1.6%)
    expect(p50.points.reduce((n, p) => n + (p.value ?? 0), 0)).toBeCloseTo(4, 1);
  });

  it('totals for one key equal that key of the totals for all, stored and in memory, and name no other key', () => {
    const { series, rec, db, clock } = setup();
    for (let i = 0; i < 20; i++) rec(T0 - 3 * HOUR + i * MIN, { client: i % 3 === 0 ? 'bob' : 'alice' });
    series.persist();
    clock.now = T0 + 5000;
    series.persist();
    rec(T0 + 1000, { client: 'alice' }); // in memory only
    for (const range of [MIN * 10, HOUR, DAY, 30 * DAY]) {
      const all = series.totals('client', range);
      const alice = series.totals('client', range, 'alice');
      expect([...alice.keys()]).toEqual(all.has('alice') ? ['alice'] : []);
      expect(alice.get('alice')).toEqual(all.get('alice'));
    }
    expect(series.totals('client', DAY, 'alice').get('alice')!.requests).toBe(14);
    // A series started later (a restart) knows the name only from the store.
    const later = new TimeSeries({ interner: new Interner(), store: new RollupStore(db), now: () => clock.now });
    expect(later.totals('client', DAY, 'bob').get('bob')!.requests).toBe(7);
  });

  it('persists minute, hour and day rollups that a restarted series reads back, without double counting', () => {
    const { series, rec, db, clock } = setup();
    for (let i = 0; i < 30; i++) rec(T0 - 90_000 + i * 1000);
    expect(series.persist()).toBeGreaterThan(0);
    expect(series.persist()).toBe(0); // nothing new: nothing written again
    rec(T0 - 1000); // unpersisted, and too recent to fold yet: visible from the in-memory seconds
    expect(series.totals('all', HOUR).get('')!.requests).toBe(31);
    series.persist();
    expect(series.totals('all', HOUR).get('')!.requests).toBe(31);
    clock.now = T0 + 5000; // past the fold grace
    series.persist();
    expect(series.totals('all', HOUR).get('')!.requests).toBe(31);

    const restarted = setup({ db }).series;
    expect(restarted.totals('all', HOUR).get('')!.requests).toBe(31);
    expect(restarted.totals('model', 7 * DAY).get('mock/echo')!.requests).toBe(31);
    expect(restarted.totals('provider', 90 * DAY).get('mock')!.completionTokens).toBe(217);
    const perMinute = restarted.query({ dimension: 'all', rangeMs: 5 * MIN, stepMs: MIN }, 'requests');
    expect(perMinute.resolution).toBe('minute');
    expect(perMinute.points.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(31);
    // A record that arrives late for an already persisted minute adds to it.
    const late = setup({ db });
    late.rec(T0 - 85_000);
    late.series.persist();
    expect(restarted.totals('all', HOUR).get('')!.requests).toBe(32);
    const rows = db.prepare("SELECT res, SUM(requests) AS n FROM series WHERE dim = 'all' GROUP BY res ORDER BY res").all();
    expect(rows).toEqual([{ res: MIN, n: 32 }, { res: HOUR, n: 32 }, { res: DAY, n: 32 }]);
  });

  it('keeps unpriced requests and their tokens apart in every bucket, through the rollups and a restart', () => {
    const { series, rec, db, clock } = setup();
    rec(T0 - 90_000, { client: 'alice' });
    rec(T0 - 80_000, { client: 'bob', model: 'local/x', costUsd: 0, unpriced: true, promptTokens: 40, completionTokens: 9 });
    rec(T0 - 1000, { client: 'bob', model: 'local/x', costUsd: 0, unpriced: true, promptTokens: 2, completionTokens: 1 });
    const live = series.totals('all', HOUR).get('')!;
    expect([live.requests, live.costNano, live.unpricedRequests, live.unpricedPromptTokens, live.unpricedCompletionTokens]).toEqual([3, 25_000, 2, 42, 10]);
    clock.now = T0 + 5000;
    series.persist();
    const restarted = setup({ db }).series;
    const bob = restarted.totals('client', DAY).get('bob')!;
    expect([bob.requests, bob.costNano, bob.unpricedRequests, bob.unpricedPromptTokens]).toEqual([2, 0, 2, 42]);
    expect(restarted.totals('client', DAY).get('alice')!.unpricedRequests).toBe(0);
    const perMinute = restarted.query({ dimension: 'all', rangeMs: 5 * MIN, stepMs: MIN }, 'unpriced_requests');
    expect(perMinute.points.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(2);
    const view = restarted.query({ dimension: 'model', key: 'local/x', rangeMs: 5 * MIN, stepMs: 5 * MIN }, 'all');
    expect(view.points.map((p) => p.value).filter((v) => v.requests > 0).map((v) => [v.cost_usd, v.unpriced_requests, v.unpriced_completion_tokens]))
      .toEqual([[0, 2, 10]]);
  });

  it('counts a rollup batch once while the store has committed it but not yet said so (a writer thread answers later)', () => {
    const clock = { now: T0 };
    const db = openMonitoringDb(':memory:');
    dbs.push(db);
    const store = new RollupStore(db);
    const answers: (() => void)[] = [];
    // Commits at once, as the writer thread does, and reports it later, as its message does.
    const backend: RollupBackend = {
      read: (...args) => store.read(...args),
      merge: (rows, seq, done) => store.merge(rows, seq, (err) => answers.push(() => done(err))),
      deleteBefore: () => {},
    };
    const interner = new Interner();
    const series = new TimeSeries({ interner, store: backend, now: () => clock.now });
    const rec = (endMs: number): void => {
      series.record({ ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, durationUs: 1000, startMs: endMs - 1, clientId: interner.id('alice') });
    };
    rec(T0 - 90_000);
    rec(T0 - 30_000);
    series.persist();
    expect(answers).toHaveLength(1);
    expect(series.totals('all', HOUR).get('')!.requests).toBe(2); // committed, not answered yet: counted once
    rec(T0 - 20_000);
    series.persist();
    expect(series.totals('client', HOUR).get('alice')!.requests).toBe(3);
    for (const answer of answers.splice(0)) answer();
    expect(series.totals('all', HOUR).get('')!.requests).toBe(3);
    // A batch handed over and not committed yet is still counted.
    const other = new RollupStore(db); // another process: its own name in the marks
    const slow: RollupBackend = { read: (...args) => other.read(...args), merge: () => {}, deleteBefore: () => {} };
    const pending = new TimeSeries({ interner, store: slow, now: () => clock.now });
    pending.record({ ...createRecord(), kind: RECORD_KIND.llmRequest, status: 200, durationUs: 1000, startMs: T0 - 10_000, clientId: interner.id('alice') });
    pending.persist();
    expect(pending.totals('all', HOUR).get('')!.requests).toBe(4);
  });

  it('a record for a second already folded into the rollups is added once, not lost or doubled', () => {
    const { series, rec, db } = setup();
    rec(T0 - 10_000);
    series.persist(); // folds T0-10s
    rec(T0 - 10_000); // late: its second is already in SQLite
    expect(series.totals('all', HOUR).get('')!.requests).toBe(2);
    series.persist();
    series.persist(true);
    expect(series.totals('all', HOUR).get('')!.requests).toBe(2);
    expect(series.query({ dimension: 'all', rangeMs: MIN, stepMs: MIN }, 'requests').points.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(2);
    expect((db.prepare("SELECT SUM(requests) AS n FROM series WHERE res = 60000 AND dim = 'all'").get() as { n: number }).n).toBe(2);
  });

  it('enforces retention per resolution with the injected clock', () => {
    const { series, rec, db, clock } = setup();
    rec(T0 - 5000);
    series.persist();
    const count = (res: number): number => (db.prepare('SELECT COUNT(*) AS n FROM series WHERE res = ?').get(res) as { n: number }).n;
    expect([count(MIN), count(HOUR), count(DAY)].every((n) => n > 0)).toBe(true);
    clock.now = T0 + 11 * MIN;
    series.pruneSeconds();
    expect(series.query({ dimension: 'all', rangeMs: 10 * MIN, stepMs: 1000 }, 'requests').points.every((p) => p.value === 0)).toBe(true);
    clock.now = T0 + DAY + MIN;
    series.deleteExpired();
    expect(count(MIN)).toBe(0);
    expect(count(HOUR)).toBeGreaterThan(0);
    clock.now = T0 + 31 * DAY;
    series.deleteExpired();
    expect(count(HOUR)).toBe(0);
    expect(count(DAY)).toBeGreaterThan(0);
    clock.now = T0 + 367 * DAY;
    series.deleteExpired();
    expect(count(DAY)).toBe(0);
  });

  it('folds keys beyond the per-dimension limit into (other)', () => {
    const { series, rec } = setup({ maxKeys: 3 });
    for (let i = 0; i < 10; i++) rec(T0 - 2000, { client: `client-${i}` });
    const byClient = series.totals('client', MIN);
    expect(byClient.size).toBe(4);
    expect(byClient.get(OTHER_KEY)!.requests).toBe(7);
    series.persist();
    expect(series.totals('client', HOUR).get(OTHER_KEY)!.requests).toBe(7);
  });

  it('ignores attempt and MCP records', () => {
    const { series, interner } = setup();
    series.record({ ...createRecord(), kind: RECORD_KIND.llmAttempt, startMs: T0 - 1000, providerId: interner.id('mock') });
    expect(series.totals('all', MIN).size).toBe(0);
  });

  it('picks the coarsest resolution that fits the step and keeps the range', () => {
    expect(pickResolution(10 * MIN, 10_000).name).toBe('second');
    expect(pickResolution(HOUR, MIN).name).toBe('minute');
    expect(pickResolution(DAY, HOUR).name).toBe('hour');
    expect(pickResolution(7 * DAY, MIN).name).toBe('hour');
    expect(pickResolution(365 * DAY, DAY).name).toBe('day');
    expect(() => pickResolution(400 * DAY, DAY)).toThrow(/longest kept history/);
  });
});
