import type { Worker } from 'node:worker_threads';
import {
  FrameBatcher, MCP_FRAME, spawnWorker, type FromMcpFrame, type McpActorConfig, type McpJsonRpcMessage, type McpJsonText, type McpServerStatus,
  type McpSessionInfo, type McpWorkerData, type ToMcpFrame,
} from '../workers/index.js';

const ACTOR_ENTRY = new URL('./mcp-actor.ts', import.meta.url);
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

/**
 * Owns the MCP actor thread from the ingress side: starts it (and restarts it if it crashes, ending
 * every session cleanly, each unanswered request with a JSON-RPC error), and passes messages between
 * client sessions and the actor.
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
  #quickCrashes = 0;
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
    });
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
    let lastError = 'exited';
    worker.on('message', (frames: FromMcpFrame[]) => { for (const f of frames) this.#receive(f); });
    worker.on('error', (err) => { lastError = err.message; });
    worker.on('exit', () => this.#onExit(worker, lastError));
    if (this.#parked.length > 0) {
      worker.postMessage(this.#parked);
      this.#parked = [];
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
        this.#quickCrashes = 0;
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

  #onExit(worker: Worker, error: string): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    if (this.#closing) return;
    this.restarts++;
    this.#opts.log.error({ error, sessions: this.#sessions.size }, 'MCP actor crashed; restarting it (client sessions end and must re-initialize)');
    for (const [sid, entry] of this.#sessions) {
      const id0 = sid;
      for (const id of entry.pending) {
        entry.link.send(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32603, message: 'the LocalRouter MCP actor crashed while handling this request; it has been restarted' } }), id, true);
      }
      entry.link.closed();
      this.onClose?.(id0);
    }
    this.#sessions.clear();
    for (const [, waiter] of this.#statusWaiters) waiter([]);
    this.#statusWaiters.clear();
    const quick = Date.now() - this.#startedAt < 1_000;
    this.#quickCrashes = quick ? this.#quickCrashes + 1 : 0;
    const delay = this.#quickCrashes === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 50 * 2 ** this.#quickCrashes);
    setTimeout(() => { if (!this.#closing) this.#spawn(); }, delay).unref();
  }
}

function needsStart(config: McpActorConfig): boolean {
  return config.servers.some((s) => s.connect === 'start' && !s.perSession);
}
