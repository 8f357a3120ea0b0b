import type { Usage } from '../model/index.js';
import { labelSafe } from '../model/index.js';
import type { LogRow, RequestLogFilter, RequestLogRow, RouteChoice, SkillStepRecord } from '../workers/protocol.js';
import { classifyError } from './classify-error.js';
import type { MonitoringDb } from './monitoring-db.js';
import { ERROR_CLASS_NAMES } from './series-bucket.js';
import { ERROR_CLASS, type ErrorClass } from './request-record.js';
import { getRequestLog, idKey, queryRequestLog } from './request-log-query.js';
import { InlineStoreWriter, type StoreWriter } from './store-writer.js';

const DAY_MS = 86_400_000;
const DEFAULT_MAX_PENDING = 100_000;
/**
 * Logged bodies (characters) waiting here or handed to the writer and not committed yet, past which
 * a record is kept without its bodies: the row count bound alone lets a writer that falls behind
 * on 1 MB bodies (`log_body_max_bytes` allows them) hold gigabytes.
 */
const DEFAULT_MAX_BODY_BACKLOG = 64 * 1024 * 1024;
/**
 * Logged bodies in one part past which it is handed over at once (not waiting for `batchRows`
 * records) and committed at once (not held for `commitRows`): a part of large bodies gains nothing
 * from a bigger transaction and would only wait in memory.
 */
const DEFAULT_PART_BODY_CHARS = 8 * 1024 * 1024;
/**
 * Longest name (client, provider, `provider/model`, classifier) and code kept in a row. The values
 * come from clients and upstreams; cut here, so a huge model name cannot grow the store by its size
 * per request.
 */
const MAX_NAME = 512;
const MAX_CODE = 64;
/** Longest error text kept (MCP calls' JSON-RPC error messages come from upstream servers). */
const MAX_MESSAGE = 1000;

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
  usage: Readonly<Usage> | null;
  costUsd: number | null;
  errorCode: string | null;
  client: string | null;
  /** The client's stable id (config `clients[].id`); generation records are matched by it. */
  clientId?: string | null;
  provider: string | null;
  model: string | null;
  /** Only when body logging is on; capped by the store. */
  requestBody?: string | null;
  responseBody?: string | null;
  /** The classifier's choice for an auto-routed request. */
  route?: RouteChoice | null;
  /** MCP calls: the upstream server, the tool / prompt / resource URI, the JSON-RPC sizes and error text. */
  server?: string | null;
  tool?: string | null;
  bytesIn?: number | null;
  bytesOut?: number | null;
  errorMessage?: string | null;
  /** An MCP tool call whose result said `isError: true`: logged as 200, classed as a tool error. */
  toolError?: boolean;
  /** Skill runs: their steps. */
  steps?: readonly SkillStepRecord[] | null;
  /** The id the upstream gave its answer (the client got `id`). */
  upstreamId?: string | null;
}

export interface RequestLogStoreOptions {
  /** Rows older than this many days are past retention ({@link RequestLogStore.retentionCutoff}). */
  retentionDays: number;
  /** Where batches are written and {@link RequestLogStore.lookup} / {@link RequestLogStore.query} read (default: inline on `db`). */
  writer?: StoreWriter;
  /** Told when a batch write fails (its rows are counted as dropped). */
  onError?: (err: Error) => void;
  /** 0: bodies are never stored; otherwise the most bytes kept of each body. */
  bodyMaxBytes?: number;
  /**
   * Records waiting for the next flush beyond this are dropped (and counted), never buffered without
   * bound; records handed to the writer and not committed yet are held to the same bound (a stalled
   * writer makes records wait, then drop, instead of piling up batches).
   */
  maxPending?: number;
  /**
   * As soon as this many records wait, `onBatchReady` is told (once per batch), so a busy gateway
   * hands records on before its flush timer: records held for a whole flush interval at thousands
   * of requests a second outlive two young-generation collections, are promoted, and make the
   * collector's work grow with the request rate.
   */
  batchRows?: number;
  onBatchReady?: () => void;
  /**
   * With `batchRows`: the parts {@link RequestLogStore.flushPart} hands over may wait in the writer
   * until this many rows are waiting there, then commit in one transaction (default: each part
   * commits at once).
   */
  commitRows?: number;
  /** Converts an entry's `startMs` to epoch ms (default `performance.timeOrigin`). */
  timeOrigin?: number;
  now?: () => number;
  /** See DEFAULT_MAX_BODY_BACKLOG (characters). */
  maxBodyBacklog?: number;
  /** See DEFAULT_PART_BODY_CHARS. */
  partBodyChars?: number;
}

/** Characters of logged bodies an entry carries. */
function bodyChars(e: RequestLogEntry): number {
  return (e.requestBody?.length ?? 0) + (e.responseBody?.length ?? 0);
}

function capBody(text: string | null | undefined, max: number): string | null {
  if (max <= 0 || text === null || text === undefined) return null;
  if (text.length <= max / 4) return text;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= max ? text : bytes.subarray(0, max).toString('utf8');
}

const round3 = (v: number): number => Math.round(v * 1000) / 1000;

/** `value` cut to `max` characters (control characters replaced when cut); the common short value is returned as is. */
function bounded(value: string, max: number): string {
  return value.length > max ? labelSafe(value, max) : value;
}

function boundedOrNull(value: string | null | undefined, max: number): string | null {
  return value === null || value === undefined ? null : value.length > max ? labelSafe(value, max) : value;
}

/**
 * The request log: one row per finished request, appended on the hot path as one array push and
 * handed to the writer off it, in parts ({@link flushPart}) that a writer thread commits together,
 * or in batches ({@link flush}). Lookups see records still waiting for their flush or their commit.
 */
export class RequestLogStore {
  readonly #db: () => MonitoringDb | null;
  readonly #writer: StoreWriter;
  readonly #onError: (err: Error) => void;
  readonly #retentionMs: number;
  #bodyMax: number;
  readonly #maxPending: number;
  readonly #batchRows: number;
  readonly #onBatchReady: (() => void) | null;
  readonly #timeOrigin: number;
  readonly #now: () => number;
  readonly #commitRows: number;
  readonly #maxBodyBacklog: number;
  readonly #partBodyChars: number;
  #pending: RequestLogEntry[] = [];
  /** Records handed to the writer and not committed yet (not kept: a writer thread finds them itself). */
  #inflightRows = 0;
  /** Characters of logged bodies in `#pending`, and in records handed over and not committed yet. */
  #pendingBodyChars = 0;
  #inflightBodyChars = 0;
  #dropped = 0;
  #bodiesDropped = 0;
  #written = 0;

  /** `db`: the connection {@link get} reads, or a function giving the current one (null: none open). */
  constructor(db: MonitoringDb | (() => MonitoringDb | null), opts: RequestLogStoreOptions) {
    this.#db = typeof db === 'function' ? db : () => db;
    this.#retentionMs = opts.retentionDays * DAY_MS;
    this.#bodyMax = opts.bodyMaxBytes ?? 0;
    this.#maxPending = opts.maxPending ?? DEFAULT_MAX_PENDING;
    this.#batchRows = opts.batchRows ?? Number.POSITIVE_INFINITY;
    this.#onBatchReady = opts.onBatchReady ?? null;
    this.#commitRows = opts.commitRows ?? 0;
    this.#maxBodyBacklog = opts.maxBodyBacklog ?? DEFAULT_MAX_BODY_BACKLOG;
    this.#partBodyChars = opts.partBodyChars ?? DEFAULT_PART_BODY_CHARS;
    this.#timeOrigin = opts.timeOrigin ?? performance.timeOrigin;
    this.#now = opts.now ?? Date.now;
    this.#writer = opts.writer ?? new InlineStoreWriter(this.#db()!);
    this.#onError = opts.onError ?? (() => {});
  }

  /** `monitoring.log_bodies` changed: the most bytes kept of each body from now on (0: none). */
  setBodyMaxBytes(bytes: number): void {
    this.#bodyMax = bytes;
  }

  /** Hot path: queues `entry` for the next flush (the object is kept, not copied). */
  append(entry: RequestLogEntry): void {
    if (this.#pending.length >= this.#maxPending) {
      this.#dropped++;
      return;
    }
    const chars = bodyChars(entry);
    if (chars > 0) {
      this.#appendWithBodies(entry, chars);
      return;
    }
    this.#pending.push(entry);
    if (this.#pending.length === this.#batchRows) this.#onBatchReady?.();
  }

  /** An entry with logged bodies: kept without them past the backlog bound; a part full of bodies is handed on early. */
  #appendWithBodies(entry: RequestLogEntry, chars: number): void {
    if (this.#pendingBodyChars + this.#inflightBodyChars + chars > this.#maxBodyBacklog) {
      this.#bodiesDropped++;
      this.#pending.push({ ...entry, requestBody: null, responseBody: null });
    } else {
      const before = this.#pendingBodyChars;
      this.#pendingBodyChars += chars;
      this.#pending.push(entry);
      if (before < this.#partBodyChars && this.#pendingBodyChars >= this.#partBodyChars && this.#batchRows !== Number.POSITIVE_INFINITY) {
        this.#onBatchReady?.();
        return;
      }
    }
    if (this.#pending.length === this.#batchRows) this.#onBatchReady?.();
  }

  /**
   * Hands the queued records to the writer as a part that may wait there for later records (see
   * `commitRows`), so a busy gateway hands records on within milliseconds of their end and still
   * writes them in large transactions; returns how many.
   */
  flushPart(): number {
    return this.flush(Infinity, true);
  }

  /**
   * Hands queued records (all, or the oldest `max`) to the writer; returns how many. They are
   * committed with everything the writer holds, unless `hold` and fewer than `commitRows` rows
   * would then be waiting. A failed write drops its records (counted, reported to `onError`).
   */
  flush(max = Infinity, hold = false): number {
    if (this.#pending.length === 0) return 0;
    // The writer is behind: the records wait here (and new ones drop at maxPending).
    if (this.#inflightRows >= this.#maxPending) return 0;
    let batch = this.#pending;
    if (batch.length > max) {
      batch = batch.slice(0, max);
      this.#pending = this.#pending.slice(max);
    } else {
      this.#pending = [];
    }
    const n = batch.length;
    const rows = new Array<LogRow>(n);
    for (let i = 0; i < n; i++) rows[i] = this.#params(batch[i]);
    let chars = 0;
    if (this.#pendingBodyChars > 0) {
      for (let i = 0; i < n; i++) chars += bodyChars(batch[i]);
      this.#pendingBodyChars -= chars;
    }
    this.#inflightRows += n;
    this.#inflightBodyChars += chars;
    this.#writer.writeLog(rows, (err) => {
      this.#inflightRows -= n;
      this.#inflightBodyChars -= chars;
      if (err) {
        this.#dropped += n;
        this.#onError(err);
      } else {
        this.#written += n;
      }
    }, hold && chars < this.#partBodyChars ? this.#commitRows : 0);
    return n;
  }

  /** Records queued for the next flush. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Records lost: queue full, a failed write, or written to a store file that was then deleted or replaced. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Records kept without their logged bodies because too many body bytes were waiting to be written. */
  get bodiesDropped(): number {
    return this.#bodiesDropped;
  }

  /** Counts `n` records written earlier and since lost with their file (they stay counted as written too). */
  countLost(n: number): void {
    this.#dropped += n;
  }

  /** Records handed to the writer and not committed yet. */
  get inflight(): number {
    return this.#inflightRows;
  }

  /** Records written since start. */
  get written(): number {
    return this.#written;
  }

  /** One request by generation id: queued or stored (read on this thread's connection; with the inline writer, handed over is stored). */
  get(id: string): RequestLogRow | undefined {
    const held = this.#held(id);
    if (held !== undefined) return held;
    const db = this.#db();
    return db === null ? undefined : getRequestLog(db, id);
  }

  /**
   * One request by generation id: queued, being written, or stored, read through the writer (for a
   * writer thread: off this thread, so the event loop never waits on the store's locks).
   */
  async lookup(id: string, clientId?: string): Promise<RequestLogRow | undefined> {
    return this.#held(id, clientId) ?? await this.#writer.get(id, clientId);
  }

  /**
   * Rows matching `filter`, read through the writer: queued records are flushed first, so the answer
   * includes every request finished before the call.
   */
  async query(filter: RequestLogFilter = {}): Promise<RequestLogRow[]> {
    this.flush();
    return this.#writer.query(filter);
  }

  /**
   * A record still queued here. Records handed over are the writer's to find: a writer thread
   * handles messages in order and searches the rows it holds, and the inline writer commits before
   * `writeLog` returns.
   */
  #held(id: string, clientId?: string): RequestLogRow | undefined {
    const queued = findEntry(this.#pending, id) ?? (clientId === undefined ? undefined : findUpstreamEntry(this.#pending, id, clientId));
    return queued === undefined ? undefined : this.#toRow(queued);
  }

  /** Rows that started before this (epoch ms) are past retention. */
  retentionCutoff(): number {
    return this.#now() - this.#retentionMs;
  }

  #toRow(e: RequestLogEntry): RequestLogRow {
    const u = e.usage;
    const errorClass = classOf(e);
    const route = e.route ?? null;
    const row: RequestLogRow = {
      seq: 0, id: e.id, ts: Math.round(this.#timeOrigin + e.startMs), client: boundedOrNull(e.client, MAX_NAME), client_id: boundedOrNull(e.clientId, MAX_NAME),
      provider: boundedOrNull(e.provider ?? lastAttempt(e)?.provider, MAX_NAME),
      model: boundedOrNull(e.model ?? modelOfAttempt(lastAttempt(e)), MAX_NAME), op: bounded(e.op, MAX_CODE), status: e.status, error_code: boundedOrNull(e.errorCode, MAX_CODE),
      error_class: errorClass === 0 ? null : ERROR_CLASS_NAMES[errorClass], latency_ms: round3(e.durationMs),
      ttft_ms: e.ttftMs > 0 ? round3(e.ttftMs) : null,
      prompt_tokens: u ? u.input : null, completion_tokens: u ? u.output : null, cached_tokens: u ? u.cacheRead : null, reasoning_tokens: u ? u.reasoning : null,
      cost_usd: e.costUsd, streamed: e.streamed,
      attempts: e.attempts.map((a) => ({
        provider: bounded(a.provider, MAX_NAME), model: bounded(a.model, MAX_NAME), status: a.status, error_code: boundedOrNull(a.code, MAX_CODE), duration_ms: round3(a.durationMs),
      })),
      route: route === null ? null : { ...route, classifier: bounded(route.classifier, MAX_NAME) },
      server: boundedOrNull(e.server, MAX_NAME), tool: boundedOrNull(e.tool, MAX_NAME), bytes_in: e.bytesIn ?? null, bytes_out: e.bytesOut ?? null,
      error_message: boundedOrNull(e.errorMessage, MAX_MESSAGE),
      steps: e.steps == null ? null : boundedSteps(e.steps),
      upstream_id: e.upstreamId ?? null,
    };
    if (this.#bodyMax > 0) {
      row.request_body = capBody(e.requestBody, this.#bodyMax);
      row.response_body = capBody(e.responseBody, this.#bodyMax);
    }
    return row;
  }

  // The insert parameters, built straight from the entry (no row object), in LOG_COLUMNS order;
  // the last one, `upstream_key`, is the writer's to fill in (it depends on the row's seq).
  // Every string is bounded (see MAX_NAME): the length checks cost nothing for ordinary values.
  #params(e: RequestLogEntry): LogRow {
    const u = e.usage;
    const cls = classOf(e);
    const last = lastAttempt(e);
    const bodies = this.#bodyMax > 0;
    return [bounded(e.id, MAX_CODE), idKey(e.id), Math.round(this.#timeOrigin + e.startMs), boundedOrNull(e.client, MAX_NAME), boundedOrNull(e.provider ?? last?.provider, MAX_NAME),
      boundedOrNull(e.model ?? modelOfAttempt(last), MAX_NAME), bounded(e.op, MAX_CODE), e.status, boundedOrNull(e.errorCode, MAX_CODE), cls === 0 ? null : ERROR_CLASS_NAMES[cls],
      round3(e.durationMs), e.ttftMs > 0 ? round3(e.ttftMs) : null,
      u ? u.input : null, u ? u.output : null, u ? u.cacheRead : null, u ? u.reasoning : null, e.costUsd, e.streamed ? 1 : 0,
      attemptsJson(e.attempts), bodies ? capBody(e.requestBody, this.#bodyMax) : null, bodies ? capBody(e.responseBody, this.#bodyMax) : null,
      e.route ? routeJson(e.route) : null, boundedOrNull(e.clientId, MAX_NAME),
      boundedOrNull(e.server, MAX_NAME), boundedOrNull(e.tool, MAX_NAME), e.bytesIn ?? null, e.bytesOut ?? null, boundedOrNull(e.errorMessage, MAX_MESSAGE),
      e.steps == null ? null : JSON.stringify(boundedSteps(e.steps)),
      upstreamIdColumn(e.upstreamId), null];
  }
}

function classOf(e: RequestLogEntry): ErrorClass {
  return e.toolError === true ? ERROR_CLASS.tool : classifyError(e.status, e.errorCode);
}

/** Most steps kept per skill run row, and the longest step error kept. */
const MAX_STEPS = 100;
const MAX_STEP_ERROR = 300;

function boundedSteps(steps: readonly SkillStepRecord[]): SkillStepRecord[] {
  return steps.slice(0, MAX_STEPS).map((s) => ({
    ...s, id: bounded(s.id, MAX_NAME), target: boundedOrNull(s.target, MAX_NAME), error: boundedOrNull(s.error, MAX_STEP_ERROR),
  }));
}

function routeJson(r: RouteChoice): string {
  return JSON.stringify(r.classifier.length > MAX_NAME ? { ...r, classifier: bounded(r.classifier, MAX_NAME) } : r);
}

/** The attempts column: the RowAttempt shape, written by hand (cheaper than map + JSON.stringify). */
function attemptsJson(attempts: readonly LogAttempt[]): string {
  let s = '[';
  for (let i = 0; i < attempts.length; i++) {
    const a = attempts[i];
    if (i > 0) s += ',';
    s += `{"provider":${JSON.stringify(bounded(a.provider, MAX_NAME))},"model":${JSON.stringify(bounded(a.model, MAX_NAME))},"status":${a.status},"error_code":${a.code === null ? 'null' : JSON.stringify(bounded(a.code, MAX_CODE))},"duration_ms":${round3(a.durationMs)}}`;
  }
  return `${s}]`;
}

/** The last entry of `clientId` whose upstream answer had the id `upstreamId`. */
function findUpstreamEntry(list: RequestLogEntry[], upstreamId: string, clientId: string): RequestLogEntry | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i].upstreamId === upstreamId && list[i].clientId === clientId) return list[i];
  return undefined;
}

/** The `upstream_id` column; an id longer than the store keeps is not kept at all (a cut one would match nothing). */
function upstreamIdColumn(id: string | null | undefined): string | null {
  return id === null || id === undefined || id.length > MAX_NAME ? null : id;
}

function findEntry(list: RequestLogEntry[], id: string): RequestLogEntry | undefined {
  for (let i = list.length - 1; i >= 0; i--) if (list[i].id === id) return list[i];
  return undefined;
}

function lastAttempt(e: RequestLogEntry): LogAttempt | undefined {
  return e.attempts.length === 0 ? undefined : e.attempts[e.attempts.length - 1];
}

function modelOfAttempt(a: LogAttempt | undefined): string | null {
  return a === undefined ? null : `${bounded(a.provider, MAX_NAME)}/${bounded(a.model, MAX_NAME)}`;
}
