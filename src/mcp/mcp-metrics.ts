import { createRecord, ERROR_CLASS, MetricsRing, RECORD_KIND, type RequestRecord } from '../metrics/index.js';
import { labelSafe } from '../model/index.js';
import { RPC_CODE } from './rpc-error.js';

/** One finished MCP call, before its names have metric ids. */
export interface McpCallRecord {
  clientId: number;
  strategyId: number;
  /** The upstream server, or null for merged lists and refused calls. */
  server: string | null;
  /** `<server>/<tool>` for tool calls, else the method. */
  what: string;
  /** `performance.now()` at the start. */
  start: number;
  durationMs: number;
  /** JSON-RPC error code; null on success. */
  error: number | null;
  /** The call succeeded but the tool's result said `isError: true`. */
  toolError?: boolean;
}

const MAX_PENDING = 4096;
/** Distinct names (servers, `<server>/<tool>`) this actor gives metric ids; later new names share one per server. */
const MAX_NAMES = 10_000;
/** Longest name kept in a metric label. */
const MAX_LABEL = 200;

/**
 * The MCP actor's metrics ring writer: one `mcpCall` record per client request. Metric ids of names
 * are issued by the main thread's interner (ids from two tables would clash), so a record whose
 * names are new waits in a small queue until the ids come back; later records need no message.
 *
 * Tool names come from upstream servers, so every name is cleaned and cut (`labelSafe`) before it
 * becomes a label, and the set of names is bounded: past `MAX_NAMES`, a new tool is counted as
 * `<server>/(other)`.
 */
export class McpMetrics {
  readonly #ring: MetricsRing;
  readonly #rec: RequestRecord = createRecord();
  readonly #ids = new Map<string, number>();
  readonly #asked = new Set<string>();
  readonly #ask: (names: string[]) => void;
  #pending: McpCallRecord[] = [];
  #seq = 0;

  constructor(buffer: SharedArrayBuffer, ask: (names: string[]) => void) {
    this.#ring = MetricsRing.attach(buffer);
    this.#ask = ask;
  }

  record(raw: McpCallRecord): void {
    const call = this.#bounded(raw);
    const missing = this.#missing(call);
    if (missing.length === 0) return this.#write(call);
    if (this.#pending.length < MAX_PENDING) this.#pending.push(call);
    const fresh = missing.filter((n) => !this.#asked.has(n));
    for (const n of fresh) this.#asked.add(n);
    if (fresh.length > 0) this.#ask(fresh);
  }

  /** Ids from the main thread; flushes the records that waited for them. */
  interned(names: readonly string[], ids: readonly number[]): void {
    for (let i = 0; i < names.length; i++) {
      this.#ids.set(names[i]!, ids[i]!);
      this.#asked.delete(names[i]!);
    }
    const waiting = this.#pending;
    this.#pending = [];
    for (const call of waiting) {
      if (this.#missing(call).length === 0) this.#write(call);
      else this.#pending.push(call);
    }
  }

  /** The record with label-safe names, a new name past the budget folded into `<server>/(other)`. */
  #bounded(call: McpCallRecord): McpCallRecord {
    const server = call.server === null ? null : labelSafe(call.server, MAX_LABEL);
    let what = labelSafe(call.what, MAX_LABEL);
    if (!this.#ids.has(what) && !this.#asked.has(what) && this.#ids.size + this.#asked.size >= MAX_NAMES) what = `${server ?? 'mcp'}/(other)`;
    return server === call.server && what === call.what ? call : { ...call, server, what };
  }

  #missing(call: McpCallRecord): string[] {
    const out: string[] = [];
    if (call.server !== null && !this.#ids.has(call.server)) out.push(call.server);
    if (!this.#ids.has(call.what)) out.push(call.what);
    return out;
  }

  #write(call: McpCallRecord): void {
    const r = this.#rec;
    r.kind = RECORD_KIND.mcpCall;
    r.requestId = ++this.#seq >>> 0;
    r.startMs = performance.timeOrigin + call.start;
    r.durationUs = Math.round(call.durationMs * 1000);
    r.clientId = call.clientId;
    r.strategyId = call.strategyId;
    r.providerId = call.server === null ? 0 : this.#ids.get(call.server)!;
    r.modelId = this.#ids.get(call.what)!;
    const [status, errorClass] = call.error === null && call.toolError === true ? [200, ERROR_CLASS.tool] : classify(call.error);
    r.status = status;
    r.errorClass = errorClass;
    this.#ring.write(r);
  }
}

/** A JSON-RPC outcome as an HTTP-like status and an error class. */
function classify(code: number | null): [number, number] {
  if (code === null) return [200, ERROR_CLASS.none];
  switch (code) {
    case RPC_CODE.InvalidParams: case RPC_CODE.InvalidRequest: case RPC_CODE.MethodNotFound: case RPC_CODE.ParseError:
      return [400, ERROR_CLASS.client];
    case RPC_CODE.ResourceNotFound: return [404, ERROR_CLASS.client];
    case RPC_CODE.RequestTimeout: return [504, ERROR_CLASS.timeout];
    case RPC_CODE.ConnectionClosed: return [502, ERROR_CLASS.upstreamUnreachable];
    case RPC_CODE.InternalError: return [500, ERROR_CLASS.internal];
    default: return [502, ERROR_CLASS.upstreamStatus];
  }
}
