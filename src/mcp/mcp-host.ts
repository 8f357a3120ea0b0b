import type { Worker } from 'node:worker_threads';
import {
  FrameBatcher, MCP_FRAME, moduleBeside, spawnWorker, type FromMcpFrame, type McpActorConfig, type McpJsonRpcMessage, type McpJsonText, type McpServerStatus,
  type McpSessionInfo, type McpWorkerData, type ToMcpFrame,
} from '../workers/index.js';
import { labelSafe } from '../model/index.js';

const ACTOR_ENTRY = moduleBeside(import.meta.url, 'mcp-actor');
/** A thread that crashes within this long of its start counts as crashing again: its restart waits. */
const STABLE_MS = 30_000;
/** Restart delay of the second crash in a row, doubled for each further one up to the cap; the first restarts at once. */
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 5_000;
const STATUS_TIMEOUT_MS = 5_000;

/** The ingress side of one client session: where the actor's messages for it go. */
export interface McpSessionLink {
  /** Who the session belongs to (the ingress's client object), handed back by `onOpen`. */
  readonly owner?: unknown;
  /**
   * A message for the client as JSON text (a string, or UTF-8 bytes: see `McpJsonText`), and the
   * client request whose stream it goes on (null: the session's own stream); `final` marks that
   * request's response.
   */
  send(json: McpJsonText, relatedRequestId: string | number | null, final: boolean): void;
  /** The actor ended the session (or crashed): the link should end its HTTP side. */
  closed(): void;
}

/** Minimal logger (pino's shape). */
export interface McpLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface McpHostOptions {
  config: McpActorConfig;
  log: McpLog;
  /** The actor's metrics ring and the main thread's name interner; null when monitoring is off. */
  metrics: { buffer: SharedArrayBuffer; intern(name: string): number } | null;
  /** `sampling: gateway`: answers an OpenAI chat body for a session with a chat completion (JSON text). */
  sample?(session: number, body: string): Promise<string>;
  testHooks?: boolean;
}

interface SessionEntry {
  link: McpSessionLink;
  /** Ids of the client's requests not answered yet: a crash answers them with an error. */
  pending: Set<string | number>;
}

/** A JSON-RPC error as the client sees it: `data.code` is one of LocalRouter's error codes (docs/errors.md). */
interface CodedError { code: number; message: string; lrCode: string }

const ACTOR_CRASHED: CodedError = {
  code: -32603, lrCode: 'LR_ERR_ACTOR_CRASHED',
  message: 'the LocalRouter MCP actor crashed while handling this request; it has been restarted (open a new session)',
};
const HOST_FAILED: CodedError = {
  code: -32603, lrCode: 'LR_ERR_INTERNAL',
  message: 'LocalRouter failed while passing this session\'s messages (see the gateway log); the session was ended',
};

/**
 * Owns the MCP actor thread from the ingress side: starts it (and restarts it if it crashes, ending
 * every session cleanly, each unanswered request with a JSON-RPC error), and passes messages between
 * client sessions and the actor. Nothing that goes wrong here escapes to the process: a frame that
 * cannot cross the thread fails the request it carried, a frame from the actor that cannot be
 * handled ends the session it belongs to, and a crashed thread is restarted (later and later while
 * it keeps crashing soon after starting).
 */
export class McpHost {
  readonly #opts: McpHostOptions;
  #config: McpActorConfig;
  #worker: Worker | null = null;
  readonly #out: FrameBatcher<ToMcpFrame>;
  #parked: ToMcpFrame[] = [];
  #sessions = new Map<number, SessionEntry>();
  #statusWaiters = new Map<number, (s: McpServerStatus[]) => void>();
  #seq = 0;
  #closing = false;
  #started = false;
  #startedAt = 0;
  /** Crashes in a row, each soon after the thread (re)started: what the restart delay grows with. */
  #crashStreak = 0;
  restarts = 0;
  /** Session lifecycle hooks (the ingress keeps each session's client for sampling through the gateway). */
  onOpen?: (id: number, owner: unknown) => void;
  onClose?: (id: number) => void;

  constructor(opts: McpHostOptions) {
    this.#opts = opts;
    this.#config = opts.config;
    this.#out = new FrameBatcher<ToMcpFrame>((frames) => {
      if (this.#worker) this.#worker.postMessage(frames);
      else this.#parked.push(...frames);
    }, null, (frame, err) => this.#undeliverable(frame, err));
    // The thread starts with the first session (or at once when a server should connect at start):
    // a gateway nobody uses MCP with pays nothing for it.
    if (needsStart(opts.config)) this.#spawn();
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Registers a client session with the actor; returns its number. */
  open(link: McpSessionLink, info: McpSessionInfo): number {
    const id = ++this.#seq;
    this.#ensureWorker();
    this.#sessions.set(id, { link, pending: new Set() });
    this.onOpen?.(id, link.owner);
    this.#out.push([MCP_FRAME.OPEN, id, info]);
    return id;
  }

  /** A message from the client of session `id`. */
  deliver(id: number, message: McpJsonRpcMessage): void {
    const entry = this.#sessions.get(id);
    if (entry === undefined) return;
    if (typeof message.method === 'string' && message.id !== undefined) entry.pending.add(message.id as string | number);
    this.#out.push([MCP_FRAME.MESSAGE, id, message]);
  }

  /** The client side ended session `id`. */
  close(id: number): void {
    if (this.#sessions.delete(id)) {
      this.onClose?.(id);
      this.#out.push([MCP_FRAME.CLOSE, id]);
    }
  }

  configure(config: McpActorConfig): void {
    this.#config = config;
    if (this.#worker === null && !this.#started) {
      if (needsStart(config)) this.#spawn();
      return; // a thread not started yet gets the config in its workerData
    }
    this.#out.push([MCP_FRAME.CONFIG, 0, config]);
  }

  /** Every upstream server's state, from the actor. */
  status(): Promise<McpServerStatus[]> {
    const id = ++this.#seq;
    this.#ensureWorker();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#statusWaiters.delete(id);
        reject(new Error('the MCP actor did not answer'));
      }, STATUS_TIMEOUT_MS);
      this.#statusWaiters.set(id, (s) => { clearTimeout(timer); resolve(s); });
      this.#out.push([MCP_FRAME.STATUS, id]);
    });
  }

  /** Ends every session, lets the actor stop its upstream servers (STDIO processes get their stdin closed), then stops it. */
  async stop(): Promise<void> {
    this.#closing = true;
    for (const [id, entry] of this.#sessions) {
      this.#out.push([MCP_FRAME.CLOSE, id]);
      entry.link.closed();
    }
    this.#sessions.clear();
    const worker = this.#worker;
    if (worker === null) return;
    this.#out.push([MCP_FRAME.CONFIG, 0, { ...this.#config, servers: [] }]);
    this.#out.flushNow();
    await new Promise((r) => setTimeout(r, 300));
    await worker.terminate();
  }

  #ensureWorker(): void {
    if (!this.#started && !this.#closing) this.#spawn();
  }

  #spawn(): void {
    this.#started = true;
    const data: McpWorkerData = { config: this.#config, metricsBuffer: this.#opts.metrics?.buffer ?? null, testHooks: this.#opts.testHooks ?? false };
    const worker = spawnWorker(ACTOR_ENTRY, { workerData: data, name: 'mcp-actor' });
    this.#worker = worker;
    this.#startedAt = Date.now();
    let lastError: Error | null = null;
    worker.on('message', (frames: FromMcpFrame[]) => {
      for (const f of frames) {
        try {
          this.#receive(f);
        } catch (err) {
          this.#receiveFailed(f, err);
        }
      }
    });
    worker.on('error', (err) => { lastError = err; });
    worker.on('exit', (code) => this.#onExit(worker, lastError, code));
    if (this.#parked.length > 0) {
      const parked = this.#parked;
      this.#parked = [];
      try {
        worker.postMessage(parked);
      } catch {
        for (const f of parked) {
          try {
            worker.postMessage([f]);
          } catch (err) {
            this.#undeliverable(f, err);
          }
        }
      }
    }
  }

  #receive(f: FromMcpFrame): void {
    switch (f[0]) {
      case MCP_FRAME.SEND: {
        const entry = this.#sessions.get(f[1]);
        if (entry === undefined) return;
        const [, , json, related, final] = f;
        if (final && related !== null) entry.pending.delete(related);
        entry.link.send(json, related, final);
        return;
      }
      case MCP_FRAME.CLOSED: {
        const entry = this.#sessions.get(f[1]);
        this.#sessions.delete(f[1]);
        this.onClose?.(f[1]);
        entry?.link.closed();
        return;
      }
      case MCP_FRAME.STATUS_RESULT: {
        const waiter = this.#statusWaiters.get(f[1]);
        this.#statusWaiters.delete(f[1]);
        waiter?.(f[2]);
        return;
      }
      case MCP_FRAME.SAMPLE: return this.#sample(f[1], f[2], f[3]);
      case MCP_FRAME.INTERN: {
        const m = this.#opts.metrics;
        if (m !== null) this.#out.push([MCP_FRAME.INTERNED, 0, f[2], f[2].map((n) => m.intern(n))]);
        return;
      }
      case MCP_FRAME.LOG: {
        const [, , level, fields, message] = f;
        this.#opts.log[level](fields, message);
        return;
      }
      case MCP_FRAME.READY:
        // The thread is up; a crash soon after still counts toward the restart delay (see #onExit).
    }
  }

  /** A frame from the actor this side could not handle: logged, and the session it belongs to is ended. */
  #receiveFailed(f: FromMcpFrame, err: unknown): void {
    const session = f[0] === MCP_FRAME.SEND || f[0] === MCP_FRAME.CLOSED ? f[1] : f[0] === MCP_FRAME.SAMPLE ? f[2] : null;
    this.#opts.log.error({ err, frame: f[0], session: session ?? undefined }, 'the MCP host failed on a frame from the MCP actor; the session it belongs to is ended');
    if (session !== null && this.#sessions.has(session)) {
      this.#end(session, HOST_FAILED);
      this.#out.push([MCP_FRAME.CLOSE, session]);
    }
  }

  /**
   * A frame for the actor that could not be posted (structured clone failed: nested too deep, not
   * cloneable): the request it carried gets an error; a session that could not be opened is ended.
   */
  #undeliverable(f: ToMcpFrame, err: unknown): void {
    try {
      this.#opts.log.error({ err, frame: f[0] }, 'a frame for the MCP actor could not be sent; the request it carried fails');
      if (f[0] === MCP_FRAME.MESSAGE) {
        const entry = this.#sessions.get(f[1]);
        const { id, method } = f[2];
        if (entry === undefined || typeof method !== 'string' || (typeof id !== 'string' && typeof id !== 'number')) return;
        entry.pending.delete(id);
        entry.link.send(errorJson(id, {
          code: -32600, lrCode: 'LR_ERR_BAD_REQUEST',
          message: `Invalid Request: LocalRouter could not pass this message to the MCP actor (${describe(err)})`,
        }), id, true);
      } else if (f[0] === MCP_FRAME.OPEN) {
        this.#end(f[1], HOST_FAILED);
      }
    } catch (inner) {
      this.#opts.log.error({ err: inner }, 'the MCP host failed while failing an undeliverable frame');
    }
  }

  /** Ends session `id` on this side: its unanswered requests get `error`, its link is closed. Never throws. */
  #end(id: number, error: CodedError): void {
    const entry = this.#sessions.get(id);
    if (entry === undefined) return;
    this.#sessions.delete(id);
    for (const rid of entry.pending) {
      try {
        entry.link.send(errorJson(rid, error), rid, true);
      } catch {
        // The client side of this request is gone: nothing left to tell.
      }
    }
    entry.pending.clear();
    try {
      entry.link.closed();
    } catch (err) {
      this.#opts.log.warn({ err, session: id }, 'closing an MCP client session failed');
    }
    try {
      this.onClose?.(id);
    } catch (err) {
      this.#opts.log.warn({ err, session: id }, 'the MCP session close hook failed');
    }
  }

  #sample(id: number, session: number, body: string): void {
    const sample = this.#opts.sample;
    if (sample === undefined) {
      this.#out.push([MCP_FRAME.SAMPLED, id, null, 'sampling through LocalRouter is not available']);
      return;
    }
    sample(session, body).then(
      (completion) => this.#out.push([MCP_FRAME.SAMPLED, id, completion, null]),
      (err: unknown) => this.#out.push([MCP_FRAME.SAMPLED, id, null, err instanceof Error ? err.message : String(err)]),
    );
  }

  #onExit(worker: Worker, error: Error | null, exitCode: number): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    if (this.#closing) return;
    this.restarts++;
    this.#crashStreak = Date.now() - this.#startedAt < STABLE_MS ? this.#crashStreak + 1 : 1;
    const delay = this.#crashStreak <= 1 ? 0 : Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** (this.#crashStreak - 2));
    this.#opts.log.error({ err: error ?? undefined, exitCode, sessions: this.#sessions.size, restartInMs: delay },
      'MCP actor crashed; restarting it (client sessions end and must re-initialize)');
    for (const sid of [...this.#sessions.keys()]) this.#end(sid, ACTOR_CRASHED);
    for (const [, waiter] of this.#statusWaiters) waiter([]);
    this.#statusWaiters.clear();
    this.#restartIn(delay);
  }

  #restartIn(delay: number): void {
    setTimeout(() => {
      if (this.#closing) return;
      try {
        this.#spawn();
      } catch (err) {
        this.#crashStreak++;
        const next = Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** this.#crashStreak);
        this.#opts.log.error({ err, restartInMs: next }, 'the MCP actor thread could not be started; trying again');
        this.#restartIn(next);
      }
    }, delay).unref();
  }
}

function errorJson(id: string | number, e: CodedError): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code: e.code, message: e.message, data: { code: e.lrCode } } });
}

function describe(err: unknown): string {
  return labelSafe((err instanceof Error ? `${err.name}: ${err.message}` : String(err)).split('\n')[0]!, 300);
}

function needsStart(config: McpActorConfig): boolean {
  return config.servers.some((s) => s.connect === 'start' && !s.perSession);
}
