import { LocalRouterError } from '../errors/index.js';
import type { Interner } from './interner.js';
import { RECORD_KIND, type RequestRecord } from './request-record.js';
import type { RollupBackend, RollupRow } from './rollup-store.js';
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

/**
 * Series dimensions; `all` is the global total (key ''). LLM requests count in the first five, MCP
 * calls only in `server` (the upstream MCP server) and `tool` (`<server>/<tool>`, or the method for
 * prompts and resources), so LLM totals stay LLM totals.
 */
export const DIMENSIONS = ['all', 'client', 'provider', 'model', 'strategy', 'server', 'tool'] as const;
/** The first of the MCP-only dimensions. */
const FIRST_MCP_DIMENSION = 5;
export type Dimension = (typeof DIMENSIONS)[number];

/** Key id of the series that collects every key beyond `maxKeysPerDimension`. */
const OTHER_ID = 0xffff_ffff;
export const OTHER_KEY = '(other)';
/** Most points one query returns; a finer step is widened to fit. */
const MAX_POINTS = 2000;

export interface TimeSeriesOptions {
  /** Names behind the records' interned ids (one interner for clients, providers, models, strategies). */
  interner: Interner;
  /** Persistence for minute, hour and day buckets; null keeps only the last 10 minutes (seconds). */
  store: RollupBackend | null;
  /** Told when a rollup write fails (those rows are lost). */
  onError?: (err: Error) => void;
  now?: () => number;
  /** Distinct keys per dimension before further ones fold into `(other)` (default 256; bounds memory). */
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

/** One time slot (a second, or a minute of deltas): per dimension, buckets keyed by interned id. */
type Slot = Map<number, SeriesBucket>[];

const newSlot = (): Slot => DIMENSIONS.map(() => new Map<number, SeriesBucket>());
/** Seconds this old are folded into the minute deltas; records for them later take the late path. */
const FOLD_GRACE_MS = 2000;

/**
 * Time-series buckets for the global total and every dimension, fed one record at a time by the
 * aggregator. A record lands in its second's bucket only (the last 10 minutes stay in memory); on
 * {@link persist}, seconds older than a short grace are folded into minute deltas, which are merged
 * into the minute, hour and day rows in SQLite. Queries read SQLite plus whatever is not persisted
 * yet (deltas and unfolded seconds), so they are always complete.
 */
export class TimeSeries {
  readonly #interner: Interner;
  readonly #store: RollupBackend | null;
  readonly #onError: (err: Error) => void;
  /**
   * Rollup batches handed to the store and not reported committed yet, by sequence number: a query
   * counts those its read of the store did not find committed (the store says up to which it holds).
   */
  readonly #inflight = new Map<number, RollupRow[]>();
  #batchSeq = 0;
  readonly #now: () => number;
  readonly #maxKeys: number;
  readonly #keysSeen: Set<number>[] = DIMENSIONS.map(() => new Set<number>());
  readonly #seconds = new Map<number, Slot>();
  #minuteDeltas = new Map<number, Slot>();
  /** Seconds before this are already in the minute deltas (or SQLite). */
  #foldedUpTo = 0;
  #curT = -1;
  #cur: Slot | null = null;
  /** Per dimension, the last id and its bucket in the current second: most records repeat them. */
  readonly #cacheId = DIMENSIONS.map(() => -1);
  readonly #cacheBucket: (SeriesBucket | null)[] = DIMENSIONS.map(() => null);
  readonly #ids = DIMENSIONS.map(() => 0);

  constructor(opts: TimeSeriesOptions) {
    this.#interner = opts.interner;
    this.#store = opts.store;
    this.#onError = opts.onError ?? (() => {});
    this.#now = opts.now ?? Date.now;
    this.#maxKeys = opts.maxKeysPerDimension ?? 256;
  }

  /** Aggregator sink: adds one `llmRequest` or `mcpCall` record (attempts are ignored), at its completion time. */
  readonly record = (rec: RequestRecord): void => {
    const mcp = rec.kind === RECORD_KIND.mcpCall;
    if (rec.kind !== RECORD_KIND.llmRequest && !mcp) return;
    const end = rec.startMs + rec.durationUs / 1000;
    const sec = end - (end % 1000);
    if (sec !== this.#curT) {
      this.#curT = sec;
      this.#cur = sec >= this.#now() - RESOLUTIONS[0].keepMs ? getOrAddSlot(this.#seconds, sec) : null;
      this.#cacheId.fill(-1);
    }
    const ids = this.#ids;
    ids[1] = mcp ? 0 : rec.clientId;
    ids[2] = mcp ? 0 : rec.providerId;
    ids[3] = mcp ? 0 : rec.modelId;
    ids[4] = mcp ? 0 : rec.strategyId;
    ids[5] = mcp ? rec.providerId : 0;
    ids[6] = mcp ? rec.modelId : 0;
    const slot = this.#cur;
    // A second already folded (a late record) or too old for memory: straight into the minute deltas.
    const late = this.#store !== null && (slot === null || sec < this.#foldedUpTo) ? getOrAddSlot(this.#minuteDeltas, end - (end % MINUTE)) : null;
    for (let d = mcp ? FIRST_MCP_DIMENSION : 0; d < ids.length; d++) {
      let id = ids[d];
      if (d > 0) {
        if (id === 0) continue;
        id = this.#admit(d, id);
      }
      if (slot !== null) {
        let b = this.#cacheId[d] === id ? this.#cacheBucket[d] : null;
        if (b === null) {
          b = bucketIn(slot[d], id);
          this.#cacheId[d] = id;
          this.#cacheBucket[d] = b;
        }
        addRecord(b, rec);
      }
      if (late !== null) addRecord(bucketIn(late[d], id), rec);
    }
  };

  /**
   * Folds the seconds older than a 2 s grace (all of them when `final`) into minute deltas and
   * merges those into the minute, hour and day rows in SQLite; returns the rows written.
   */
  persist(final = false): number {
    if (this.#store === null) return 0;
    const cutoff = final ? Infinity : floorTo(this.#now() - FOLD_GRACE_MS, 1000);
    for (const [t, slot] of this.#seconds) {
      if (t < this.#foldedUpTo || t >= cutoff) continue;
      const minute = getOrAddSlot(this.#minuteDeltas, t - (t % MINUTE));
      for (let d = 0; d < slot.length; d++) for (const [id, b] of slot[d]) mergeBucket(bucketIn(minute[d], id), b);
    }
    if (cutoff > this.#foldedUpTo) this.#foldedUpTo = cutoff;
    if (this.#minuteDeltas.size === 0) return 0;
    const rows = new Map<string, RollupRow>();
    for (const [t, slot] of this.#minuteDeltas) {
      for (let d = 0; d < slot.length; d++) {
        for (const [id, bucket] of slot[d]) {
          const dim = DIMENSIONS[d];
          const name = this.#nameOf(d, id);
          for (const res of RESOLUTIONS.slice(1)) {
            const rt = t - (t % res.stepMs);
            const key = `${res.stepMs}|${dim}|${name}|${rt}`;
            let row = rows.get(key);
            if (row === undefined) rows.set(key, (row = { res: res.stepMs, dim, key: name, t: rt, bucket: emptyBucket() }));
            mergeBucket(row.bucket, bucket);
          }
        }
      }
    }
    const batch = [...rows.values()];
    this.#minuteDeltas = new Map();
    const seq = this.#batchSeq++;
    this.#inflight.set(seq, batch);
    this.#store.merge(batch, seq, (err) => {
      this.#inflight.delete(seq);
      if (err) this.#onError(err);
    });
    return batch.length;
  }

  /** Drops second buckets older than 10 minutes (cheap; call every tick). */
  pruneSeconds(): void {
    const oldest = this.#now() - RESOLUTIONS[0].keepMs;
    for (const t of this.#seconds.keys()) if (t < oldest && (t < this.#foldedUpTo || this.#store === null)) this.#seconds.delete(t);
    if (this.#curT < oldest) {
      this.#curT = -1;
      this.#cur = null;
    }
  }

  /** Per persisted resolution, the bucket start before which rollups are past retention. */
  retentionCutoffs(): [res: number, before: number][] {
    const now = this.#now();
    return RESOLUTIONS.slice(1).map((r) => [r.stepMs, now - r.keepMs]);
  }

  /** Deletes persisted buckets past their resolution's retention (directly; Monitoring goes through its writer). */
  deleteExpired(): void {
    this.#store?.deleteBefore(this.retentionCutoffs());
  }

  /** One second's buckets (global and each key), e.g. for the live feed. */
  second(t: number): { dimension: Dimension; key: string; bucket: SeriesBucket }[] {
    const slot = this.#seconds.get(t - (t % 1000));
    if (slot === undefined) return [];
    const out: { dimension: Dimension; key: string; bucket: SeriesBucket }[] = [];
    for (let d = 0; d < slot.length; d++) for (const [id, bucket] of slot[d]) out.push({ dimension: DIMENSIONS[d], key: this.#nameOf(d, id), bucket });
    return out;
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

  /**
   * Totals per key of `dimension` over the last `rangeMs` (the `all` dimension has the one key '').
   * Ranges over a minute read minute (or coarser) buckets, which survive restarts; the range start
   * is rounded down to the bucket's start. With `key`, only that key is read.
   */
  totals(dimension: Dimension, rangeMs: number, key?: string): Map<string, SeriesBucket> {
    const now = this.#now();
    const res = pickResolution(rangeMs, this.#store !== null && rangeMs > MINUTE ? MINUTE : 0);
    const out = new Map<string, SeriesBucket>();
    for (const { key: k, bucket } of this.#collect(res, dimension, key, floorTo(now - rangeMs, res.stepMs), now)) {
      mergeBucket(getOrAddBucket(out, k), bucket);
    }
    return out;
  }

  /**
   * Buckets of `res` for one key (or all keys) of `dim`: the in-memory seconds for `second`; else
   * SQLite plus the minute deltas plus the seconds not folded yet, each mapped onto `res`.
   */
  #collect(res: Resolution, dim: Dimension, key: string | undefined, from: number, to: number): { key: string; t: number; bucket: SeriesBucket }[] {
    const out: { key: string; t: number; bucket: SeriesBucket }[] = [];
    const d = DIMENSIONS.indexOf(dim);
    const wantId = key === undefined ? undefined : dim === 'all' ? 0 : this.#idOf(key);
    if (key !== undefined && wantId === undefined) {
      // A name this process never saw: only SQLite can have it.
      return res.name === 'second' || this.#store === null ? out : this.#store.read(res.stepMs, dim, key, from, to).rows;
    }
    const fromMemory = (source: Map<number, Slot>, minT: number): void => {
      for (const [t, slot] of source) {
        const rt = t - (t % res.stepMs);
        if (t < minT || rt < from || rt > to) continue;
        if (wantId !== undefined) {
          const b = slot[d].get(wantId);
          if (b !== undefined) out.push({ key: key!, t: rt, bucket: b });
          continue;
        }
        for (const [id, bucket] of slot[d]) out.push({ key: this.#nameOf(d, id), t: rt, bucket });
      }
    };
    if (res.name === 'second') {
      fromMemory(this.#seconds, 0);
      return out;
    }
    // A batch can be committed before the store's answer says so: what the read holds is not counted twice.
    let committed = -1;
    if (this.#store !== null) {
      const stored = this.#store.read(res.stepMs, dim, key, from, to);
      committed = stored.committedSeq;
      for (const r of stored.rows) out.push(r);
    }
    for (const [seq, batch] of this.#inflight) {
      if (seq <= committed) continue;
      for (const r of batch) if (r.res === res.stepMs && r.dim === dim && (key === undefined || r.key === key) && r.t >= from && r.t <= to) out.push(r);
    }
    fromMemory(this.#minuteDeltas, 0);
    fromMemory(this.#seconds, this.#store === null ? 0 : this.#foldedUpTo);
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

  #nameOf(d: number, id: number): string {
    return d === 0 ? '' : id === OTHER_ID ? OTHER_KEY : (this.#interner.name(id) ?? `#${id}`);
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

function getOrAddSlot(m: Map<number, Slot>, t: number): Slot {
  let v = m.get(t);
  if (v === undefined) m.set(t, (v = newSlot()));
  return v;
}

function bucketIn(m: Map<number, SeriesBucket>, id: number): SeriesBucket {
  let b = m.get(id);
  if (b === undefined) m.set(id, (b = emptyBucket()));
  return b;
}

function getOrAddBucket<K>(m: Map<K, SeriesBucket>, key: K): SeriesBucket {
  let b = m.get(key);
  if (b === undefined) m.set(key, (b = emptyBucket()));
  return b;
}
