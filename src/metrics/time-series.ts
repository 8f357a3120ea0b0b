import { LocalRouterError } from '../errors/index.js';
import type { Interner } from './interner.js';
import { RECORD_KIND, type RequestRecord } from './request-record.js';
import type { RollupRow, RollupStore } from './rollup-store.js';
import { addRecord, emptyBucket, mergeBucket, metricOf, viewBucket, type BucketView, type SeriesBucket, type SeriesMetric } from './series-bucket.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

/** Bucket widths and how long each is kept. Seconds live in memory only; the rest in SQLite. */
export const RESOLUTIONS = [
  { name: 'second', stepMs: 1000, keepMs: 10 * MINUTE },
  { name: 'minute', stepMs: MINUTE, keepMs: DAY },
  { name: 'hour', stepMs: HOUR, keepMs: 30 * DAY },
  { name: 'day', stepMs: DAY, keepMs: 365 * DAY },
] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

/** Series dimensions; `all` is the global total (key ''). */
export const DIMENSIONS = ['all', 'client', 'provider', 'model', 'strategy'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** Key id of the series that collects every key beyond `maxKeysPerDimension`. */
const OTHER_ID = 0xffff_ffff;
export const OTHER_KEY = '(other)';
const DIM_SHIFT = 2 ** 32;
/** Most points one query returns; a finer step is widened to fit. */
const MAX_POINTS = 2000;

export interface TimeSeriesOptions {
  /** Names behind the records' interned ids (one interner for clients, providers, models, strategies). */
  interner: Interner;
  /** Persistence for minute, hour and day buckets; null keeps only the last 10 minutes (seconds). */
  store: RollupStore | null;
  now?: () => number;
  /** Distinct keys per dimension before further ones fold into `(other)` (default 1000). */
  maxKeysPerDimension?: number;
}

export interface SeriesQuery {
  dimension: Dimension;
  /** The dimension value (client name, `provider`, `provider/model`...); ignored for `all`. */
  key?: string;
  rangeMs: number;
  /** Wanted spacing of points; rounded up to a multiple of the resolution used. */
  stepMs?: number;
}

export interface SeriesPoint<V> {
  /** Start of the step, epoch ms. */
  t: number;
  value: V;
}

/**
 * Time-series buckets for the global total and every dimension, fed one record at a time by the
 * aggregator. Second buckets (last 10 minutes) stay in memory; minute, hour and day buckets are
 * accumulated as deltas (all three derive from the minute deltas) and merged into SQLite on
 * {@link persist}. Queries read SQLite plus the unpersisted deltas, so they are always complete.
 */
export class TimeSeries {
  readonly #interner: Interner;
  readonly #store: RollupStore | null;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #keysSeen: Set<number>[] = DIMENSIONS.map(() => new Set<number>());
  readonly #seconds = new Map<number, Map<number, SeriesBucket>>();
  #minuteDeltas = new Map<number, Map<number, SeriesBucket>>();
  #curSecondT = -1;
  #curSecond: Map<number, SeriesBucket> | null = null;
  #curMinuteT = -1;
  #curMinute: Map<number, SeriesBucket> | null = null;
  readonly #ids = [0, 0, 0, 0, 0];

  constructor(opts: TimeSeriesOptions) {
    this.#interner = opts.interner;
    this.#store = opts.store;
    this.#now = opts.now ?? Date.now;
    this.#maxKeys = opts.maxKeysPerDimension ?? 1000;
  }

  /** Aggregator sink: adds one `llmRequest` record (other kinds are ignored), at its completion time. */
  readonly record = (rec: RequestRecord): void => {
    if (rec.kind !== RECORD_KIND.llmRequest) return;
    const end = rec.startMs + rec.durationUs / 1000;
    const sec = end - (end % 1000);
    const min = end - (end % MINUTE);
    if (sec !== this.#curSecondT) {
      this.#curSecondT = sec;
      this.#curSecond = sec >= this.#now() - RESOLUTIONS[0].keepMs ? getOrAdd(this.#seconds, sec) : null;
    }
    if (min !== this.#curMinuteT) {
      this.#curMinuteT = min;
      this.#curMinute = getOrAdd(this.#minuteDeltas, min);
    }
    const ids = this.#ids;
    ids[1] = rec.clientId;
    ids[2] = rec.providerId;
    ids[3] = rec.modelId;
    ids[4] = rec.strategyId;
    for (let d = 0; d < ids.length; d++) {
      let id = ids[d];
      if (d > 0) {
        if (id === 0) continue;
        id = this.#admit(d, id);
      }
      const key = d * DIM_SHIFT + id;
      if (this.#curSecond !== null) addRecord(bucketIn(this.#curSecond, key), rec);
      addRecord(bucketIn(this.#curMinute!, key), rec);
    }
  };

  /** Merges the minute deltas into the minute, hour and day rows in SQLite, then forgets them. */
  persist(): number {
    if (this.#store === null || this.#minuteDeltas.size === 0) return 0;
    const rows = new Map<string, RollupRow>();
    for (const [t, series] of this.#minuteDeltas) {
      for (const [key, bucket] of series) {
        const { dim, name } = this.#decodeKey(key);
        for (const res of RESOLUTIONS.slice(1)) {
          const rt = t - (t % res.stepMs);
          const id = `${res.stepMs}|${dim}|${name}|${rt}`;
          let row = rows.get(id);
          if (row === undefined) rows.set(id, (row = { res: res.stepMs, dim, key: name, t: rt, bucket: emptyBucket() }));
          mergeBucket(row.bucket, bucket);
        }
      }
    }
    // Only forget the deltas once they are stored: a failed write is retried at the next persist.
    this.#store.merge([...rows.values()]);
    this.#minuteDeltas = new Map();
    this.#curMinuteT = -1;
    this.#curMinute = null;
    return rows.size;
  }

  /** Drops second buckets older than 10 minutes (cheap; call every tick). */
  pruneSeconds(): void {
    const oldest = this.#now() - RESOLUTIONS[0].keepMs;
    for (const t of this.#seconds.keys()) if (t < oldest) this.#seconds.delete(t);
    if (this.#curSecondT < oldest) {
      this.#curSecondT = -1;
      this.#curSecond = null;
    }
  }

  /** Deletes SQLite buckets past their resolution's retention; returns how many. */
  deleteExpired(): number {
    if (this.#store === null) return 0;
    const now = this.#now();
    let deleted = 0;
    for (const res of RESOLUTIONS.slice(1)) deleted += this.#store.deleteBefore(res.stepMs, now - res.keepMs);
    return deleted;
  }

  /** One second's buckets (global and each key), e.g. for the live feed. */
  second(t: number): { dimension: Dimension; key: string; bucket: SeriesBucket }[] {
    const series = this.#seconds.get(t - (t % 1000));
    if (series === undefined) return [];
    return [...series].map(([key, bucket]) => {
      const { dim, name } = this.#decodeKey(key);
      return { dimension: dim, key: name, bucket };
    });
  }

  /** Buckets for one series over the range, grouped by step; `metric` picks one number per point (else full views). */
  query(q: SeriesQuery, metric: SeriesMetric): { stepMs: number; resolution: string; points: SeriesPoint<number | null>[] };
  query(q: SeriesQuery, metric: 'all'): { stepMs: number; resolution: string; points: SeriesPoint<BucketView>[] };
  query(q: SeriesQuery, metric: SeriesMetric | 'all'): { stepMs: number; resolution: string; points: SeriesPoint<unknown>[] } {
    const now = this.#now();
    const res = pickResolution(q.rangeMs, q.stepMs ?? Math.max(1000, q.rangeMs / 60));
    let step = Math.ceil((q.stepMs ?? Math.max(1000, q.rangeMs / 60)) / res.stepMs) * res.stepMs;
    if (q.rangeMs / step > MAX_POINTS) step = Math.ceil(q.rangeMs / MAX_POINTS / res.stepMs) * res.stepMs;
    const from = floorTo(now - q.rangeMs, step);
    const to = floorTo(now, step);
    const key = q.dimension === 'all' ? '' : (q.key ?? '');
    const groups = new Map<number, SeriesBucket>();
    for (const { t, bucket } of this.#collect(res, q.dimension, key, from, now)) {
      mergeBucket(getOrAddBucket(groups, floorTo(t, step)), bucket);
    }
    const points: SeriesPoint<unknown>[] = [];
    for (let t = from; t <= to; t += step) {
      const b = groups.get(t) ?? emptyBucket();
      points.push({ t, value: metric === 'all' ? viewBucket(b) : metricOf(b, metric) });
    }
    return { stepMs: step, resolution: res.name, points };
  }

  /** Totals per key of `dimension` over the last `rangeMs` (the `all` dimension has the one key ''). */
  totals(dimension: Dimension, rangeMs: number): Map<string, SeriesBucket> {
    const now = this.#now();
    const res = pickResolution(rangeMs, 0);
    const out = new Map<string, SeriesBucket>();
    for (const { key, bucket } of this.#collect(res, dimension, undefined, floorTo(now - rangeMs, res.stepMs), now)) {
      mergeBucket(getOrAddBucket(out, key), bucket);
    }
    return out;
  }

  /** Buckets of `res` from SQLite plus the deltas (or the in-memory seconds), for one key or all. */
  #collect(res: Resolution, dim: Dimension, key: string | undefined, from: number, to: number): { key: string; t: number; bucket: SeriesBucket }[] {
    const out: { key: string; t: number; bucket: SeriesBucket }[] = [];
    const d = DIMENSIONS.indexOf(dim);
    const wantId = key === undefined ? undefined : dim === 'all' ? 0 : this.#idOf(key);
    const fromMemory = (source: Map<number, Map<number, SeriesBucket>>): void => {
      for (const [t, series] of source) {
        const rt = t - (t % res.stepMs);
        if (rt < from || rt > to) continue;
        for (const [k, bucket] of series) {
          if (Math.floor(k / DIM_SHIFT) !== d) continue;
          if (wantId !== undefined && k - d * DIM_SHIFT !== wantId) continue;
          out.push({ key: this.#decodeKey(k).name, t: rt, bucket });
        }
      }
    };
    if (key !== undefined && wantId === undefined) {
      // A name this process never saw: only SQLite can have it.
      return res.name === 'second' || this.#store === null ? out : this.#store.read(res.stepMs, dim, key, from, to);
    }
    if (res.name === 'second') {
      fromMemory(this.#seconds);
      return out;
    }
    if (this.#store !== null) for (const r of this.#store.read(res.stepMs, dim, key, from, to)) out.push(r);
    fromMemory(this.#minuteDeltas);
    return out;
  }

  #admit(d: number, id: number): number {
    const seen = this.#keysSeen[d];
    if (seen.has(id)) return id;
    if (seen.size >= this.#maxKeys) return OTHER_ID;
    seen.add(id);
    return id;
  }

  #idOf(name: string): number | undefined {
    return name === OTHER_KEY ? OTHER_ID : this.#interner.peek(name);
  }

  #decodeKey(key: number): { dim: Dimension; name: string } {
    const d = Math.floor(key / DIM_SHIFT);
    const id = key - d * DIM_SHIFT;
    const name = d === 0 ? '' : id === OTHER_ID ? OTHER_KEY : (this.#interner.name(id) ?? `#${id}`);
    return { dim: DIMENSIONS[d], name };
  }
}

/** The coarsest resolution whose step fits `stepMs` and that keeps `rangeMs`; else the finest that keeps it. */
export function pickResolution(rangeMs: number, stepMs: number): Resolution {
  const keeping = RESOLUTIONS.filter((r) => r.keepMs >= rangeMs);
  if (keeping.length === 0) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'range is longer than the longest kept history (1 year)', { param: 'range' });
  const fitting = keeping.filter((r) => r.stepMs <= stepMs);
  return fitting.length > 0 ? fitting[fitting.length - 1] : keeping[0];
}

function floorTo(t: number, step: number): number {
  return t - (((t % step) + step) % step);
}

function getOrAdd(m: Map<number, Map<number, SeriesBucket>>, t: number): Map<number, SeriesBucket> {
  let v = m.get(t);
  if (v === undefined) m.set(t, (v = new Map()));
  return v;
}

function bucketIn(m: Map<number, SeriesBucket>, key: number): SeriesBucket {
  let b = m.get(key);
  if (b === undefined) m.set(key, (b = emptyBucket()));
  return b;
}

function getOrAddBucket<K>(m: Map<K, SeriesBucket>, key: K): SeriesBucket {
  let b = m.get(key);
  if (b === undefined) m.set(key, (b = emptyBucket()));
  return b;
}
