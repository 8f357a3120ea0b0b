import { classifyError } from './classify-error.js';
import type { MonitoringDb } from './monitoring-db.js';
import { ERROR_CLASS_NAMES } from './series-bucket.js';
import { getRequestLog, idKey, queryRequestLog } from './request-log-query.js';
import type { LogRow } from './sql-writer.js';
import { InlineStoreWriter, type StoreWriter } from './store-writer.js';

const DAY_MS = 86_400_000;
const DEFAULT_MAX_PENDING = 100_000;

/** One try against one upstream, as the request log keeps it. */
export interface LogAttempt {
  provider: string;
  model: string;
  status: number;
  code: string | null;
  durationMs: number;
}

/**
 * A finished request as the ingress reports it (the ingress's `RequestOutcome` has this shape, so it
 * is appended as is: no copy on the hot path). `startMs` is on the `performance.now()` clock.
 */
export interface RequestLogEntry {
  id: string;
  op: string;
  attempts: readonly LogAttempt[];
  status: number;
  startMs: number;
  durationMs: number;
  ttftMs: number;
  streamed: boolean;
  usage: readonly [number, number, number, number] | null;
  costUsd: number | null;
  errorCode: string | null;
  client: string | null;
  provider: string | null;
  model: string | null;
  /** Only when body logging is on; capped by the store. */
  requestBody?: string | null;
  responseBody?: string | null;
  /** The classifier's choice for an auto-routed request. */
  route?: RouteChoice | null;
}

/** Which side a routing classifier picked (issue: auto routing), as the log keeps it. */
export interface RouteChoice {
  classifier: string;
  side: 'strong' | 'weak';
  score: number | null;
  threshold: number;
}

/** An attempt as log rows show it. */
export interface RowAttempt {
  provider: string;
  model: string;
  /** Upstream status; 0 when there was none. */
  status: number;
  /** Null for the try that answered. */
  error_code: string | null;
  duration_ms: number;
}

/** A request log row as the APIs and the CLI show it. */
export interface RequestLogRow {
  /** Insertion order; 0 for a record not written yet. */
  seq: number;
  id: string;
  /** Start, epoch ms. */
  ts: number;
  client: string | null;
  provider: string | null;
  model: string | null;
  op: string;
  status: number;
  error_code: string | null;
  error_class: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  streamed: boolean;
  attempts: RowAttempt[];
  route: RouteChoice | null;
  request_body?: string | null;
  response_body?: string | null;
}

/** Which rows {@link queryRequestLog} returns. `status`: an HTTP status, or all `ok` / `error` ones. */
export interface RequestLogFilter {
  sinceMs?: number;
  untilMs?: number;
  client?: string;
  provider?: string;
  model?: string;
  status?: number | 'ok' | 'error';
  /** At most 1000 (default 100). */
  limit?: number;
  /** Rows older than this seq (paging back), newest first. */
  beforeSeq?: number;
  /** Rows newer than this seq (following the log), oldest first. */
  afterSeq?: number;
  /** Include the stored bodies (when body logging was on). */
  bodies?: boolean;
}

export interface RequestLogStoreOptions {
  /** Rows older than this many days are past retention ({@link RequestLogStore.retentionCutoff}). */
  retentionDays: number;
  /** Where batches are written (default: inline on `db`). Reads always use `db`. */
  writer?: StoreWriter;
  /** Told when a batch write fails (its rows are counted as dropped). */
  onError?: (err: Error) => void;
  /** 0: bodies are never stored; otherwise the most bytes kept of each body. */
  bodyMaxBytes?: number;
  /** Records waiting for the next flush beyond this are dropped (and counted), never buffered without bound. */
  maxPending?: number;
  /** Converts an entry's `startMs` to epoch ms (default `performance.timeOrigin`). */
  timeOrigin?: number;
  now?: () => number;
}

function capBody(text: string | null | undefined, max: number): string | null {
  if (max <= 0 || text === null || text === undefined) return null;
  if (text.length <= max / 4) return text;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max ? text : bytes.subarray(0, max).toString('utf8');
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/**
 * The request log: one row per finished request, appended on the hot path as one array push and
 * handed to the writer in batches (one transaction per {@link flush}) off it. Lookups see records
 * still waiting for their flush or their commit.
 */
export class RequestLogStore {
  readonly #db: MonitoringDb;
  readonly #writer: StoreWriter;
  readonly #onError: (err: Error) => void;
  readonly #retentionMs: number;
  readonly #bodyMax: number;
  readonly #maxPending: number;
  readonly #timeOrigin: number;
  readonly #now: () => number;
  #pending: RequestLogEntry[] = [];
  /** Batches handed to the writer and not committed yet. */
  readonly #inflight = new Set<RequestLogEntry[]>();
  #dropped = 0;
  #written = 0;

  constructor(db: MonitoringDb, opts: RequestLogStoreOptions) {
    this.#db = db;
    this.#retentionMs = opts.retentionDays * DAY_MS;
    this.#bodyMax = opts.bodyMaxBytes ?? 0;
    this.#maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
    this.#timeOrigin = opts.timeOrigin ?? performance.timeOrigin;
    this.#now = opts.now ?? Date.now;
    this.#writer = opts.writer ?? new InlineStoreWriter(db);
    this.#onError = opts.onError ?? (() => {});
  }

  /** Hot path: queues `entry` for the next flush (the object is kept, not copied). */
  append(entry: RequestLogEntry): void {
    if (this.#pending.length >= this.#maxPending) {
      this.#dropped++;
      return;
    }
    this.#pending.push(entry);
  }

  /**
   * Hands queued records (all, or the oldest `max`) to the writer as one transaction; returns how
   * many. A failed write drops that batch (counted, reported to `onError`).
   */
  flush(max = Infinity): number {
    if (this.#pending.length === 0) return 0;
    let batch = this.#pending;
    if (batch.length > max) {
      batch = batch.slice(0, max);
      this.#pending = this.#pending.slice(max);
    } else {
      this.#pending = [];
    }
    const rows = new Array<LogRow>(batch.length);
    for (let i = 0; i < batch.length; i++) rows[i] = this.#params(batch[i]);
    this.#inflight.add(batch);
    this.#writer.writeLog(rows, (err) => {
      this.#inflight.delete(batch);
      if (err) {
        this.#dropped += batch.length;
        this.#onError(err);
      } else {
        this.#written += batch.length;
      }
    });
    return batch.length;
  }

  /** Records queued for the next flush. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Records lost: queue full or a failed write. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Records handed to the writer and not committed yet. */
  get inflight(): number {
    let n = 0;
    for (const b of this.#inflight) n += b.length;
    return n;
  }

  /** Records written since start. */
  get written(): number {
    return this.#written;
  }

  /** One request by generation id: queued, being written, or stored. */
  get(id: string): RequestLogRow | undefined {
    const queued = findEntry(this.#pending, id);
    if (queued) return this.#toRow(queued);
    for (const batch of this.#inflight) {
      const e = findEntry(batch, id);
      if (e) return this.#toRow(e);
    }
    return getRequestLog(this.#db, id);
  }

  /**
   * Rows matching `filter`: queued records are flushed and the writer drained first, so the answer
   * includes every request finished before the call.
   */
  async query(filter: RequestLogFilter = {}): Promise<RequestLogRow[]> {
    this.flush();
    await this.#writer.sync();
    return queryRequestLog(this.#db, filter);
  }

  /** Rows that started before this (epoch ms) are past retention. */
  retentionCutoff(): number {
    return this.#now() - this.#retentionMs;
  }

  #toRow(e: RequestLogEntry): RequestLogRow {
    const u = e.usage;
    const errorClass = classifyError(e.status, e.errorCode);
    const row: RequestLogRow = {
      seq: 0, id: e.id, ts: Math.round(this.#timeOrigin + e.startMs), client: e.client, provider: e.provider ?? lastAttempt(e)?.provider ?? null,
      model: e.model ?? modelOfAttempt(lastAttempt(e)), op: e.op, status: e.status, error_code: e.errorCode,
      error_class: errorClass === 0 ? null : ERROR_CLASS_NAMES[errorClass], latency_ms: round3(e.durationMs),
      ttft_ms: e.ttftMs > 0 ? round3(e.ttftMs) : null,
      prompt_tokens: u ? u[0] : null, completion_tokens: u ? u[1] : null, cached_tokens: u ? u[2] : null, reasoning_tokens: u ? u[3] : null,
      cost_usd: e.costUsd, streamed: e.streamed, attempts: e.attempts.map((a) => ({ provider: a.provider, model: a.model, status: a.status, error_code: a.code, duration_ms: round3(a.durationMs) })),
      route: e.route ?? null,
    };
    if (this.#bodyMax > 0) {
      row.request_body = capBody(e.requestBody, this.#bodyMax);
      row.response_body = capBody(e.responseBody, this.#bodyMax);
    }
    return row;
  }

  // The insert parameters, built straight from the entry (no row object), in LogRow column order.
  #params(e: RequestLogEntry): LogRow {
    const u = e.usage;
    const cls = classifyError(e.status, e.errorCode);
    const last = lastAttempt(e);
    const bodies = this.#bodyMax > 0;
    return [e.id, idKey(e.id), Math.round(this.#timeOrigin + e.startMs), e.client, e.provider ?? last?.provider ?? null,
      e.model ?? modelOfAttempt(last), e.op, e.status, e.errorCode, cls === 0 ? null : ERROR_CLASS_NAMES[cls],
      round3(e.durationMs), e.ttftMs > 0 ? round3(e.ttftMs) : null,
      u ? u[0] : null, u ? u[1] : null, u ? u[2] : null, u ? u[3] : null, e.costUsd, e.streamed ? 1 : 0,
      attemptsJson(e.attempts), bodies ? capBody(e.requestBody, this.#bodyMax) : null, bodies ? capBody(e.responseBody, this.#bodyMax) : null,
      e.route ? JSON.stringify(e.route) : null];
  }
}

/** The attempts column: the RowAttempt shape, written by hand (cheaper than map + JSON.stringify). */
function attemptsJson(attempts: readonly LogAttempt[]): string {
  let s = '[';
  for (let i = 0; i < attempts.length; i++) {
    const a = attempts[i];
    if (i > 0) s += ',';
    s += `{"provider":${JSON.stringify(a.provider)},"model":${JSON.stringify(a.model)},"status":${a.status},"error_code":${a.code === null ? 'null' : JSON.stringify(a.code)},"duration_ms":${round3(a.durationMs)}}`;
  }
  return `${s}]`;
}

function findEntry(list: RequestLogEntry[], id: string): RequestLogEntry | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i].id === id) return list[i];
  return undefined;
}

function lastAttempt(e: RequestLogEntry): LogAttempt | undefined {
  return e.attempts.length === 0 ? undefined : e.attempts[e.attempts.length - 1];
}

function modelOfAttempt(a: LogAttempt | undefined): string | null {
  return a === undefined ? null : `${a.provider}/${a.model}`;
}
