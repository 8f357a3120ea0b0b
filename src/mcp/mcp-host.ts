import {
  ActorHost, FrameBatcher, decodeFromMcp, describeToMcp, encodeMcpClose, encodeMcpConfig, encodeMcpInterned, encodeMcpMessage, encodeMcpOpen,
  encodeMcpModelAnswer, encodeMcpSampled, encodeMcpToolAdmitted, encodeMcpStatus, moduleBeside, type ActorCrash, type FromMcpFrame, type FromMcpHandler, type McpActorConfig, type McpCallInfo, type McpFrameInfo, type McpOAuthState,
  type McpJsonRpcMessage, type McpJsonText, type McpServerStatus, type McpSessionInfo, type McpWorkerData, type RestartPolicy, type SkillModelAnswer, type ToMcpFrame,
} from '../workers/index.js';
import { labelSafe } from '../model/index.js';

const ACTOR_ENTRY = moduleBeside(import.meta.url, 'mcp-actor');
/**
 * A thread that crashes within 30 s of its start counts as crashing again: the first crash in a row
 * restarts at once, the second after 0.1 s, doubled for each further one up to 5 s.
 */
const RESTART: RestartPolicy = { quickMs: 30_000, freeRestarts: 1, firstDelayMs: 100, maxDelayMs: 5_000 };
/** How long the actor gets at shutdown to stop its upstream servers (STDIO processes get their stdin closed). */
const STOP_GRACE_MS = 300;
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
  /** A skill's `llm` step for the client of a session: an OpenAI chat body (JSON text) through the gateway's routing; `signal` aborts it. */
  callModel?(session: number, body: string, signal: AbortSignal): Promise<SkillModelAnswer>;
  /** A skill's tool step for the client of a session: null when its limits admit it (and are charged), else why not; a promise while it waits for approval. */
  admitTool?(session: number, tool: string): string | null | Promise<string | null>;
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
  readonly #host: ActorHost<ToMcpFrame[], FromMcpFrame[]>;
  readonly #out: FrameBatcher<ToMcpFrame>;
  #sessions = new Map<number, SessionEntry>();
  /** Sessions opened for one stateless request or listen stream (protocol 2026-07-28): no client's session, not counted as one. */
  #stateless = new Set<number>();
  #statusWaiters = new Map<number, (s: McpServerStatus[]) => void>();
  /** Model calls of skill runs in progress, by the actor's request number. */
  #modelCalls = new Map<number, AbortController>();
  #seq = 0;
  /** Session lifecycle hooks (the ingress keeps each session's client for sampling through the gateway). */
  onOpen?: (id: number, owner: unknown) => void;
  onClose?: (id: number) => void;
  /** Where a client call of session `id` went and how it ended (arrives before its response). */
  onCall?: (id: number, request: string | number, call: McpCallInfo) => void;
  /** An upstream's OAuth tokens were refreshed: keep the new state (secret store). */
  onOAuthSaved?: (server: string, state: McpOAuthState) => void;

  constructor(opts: McpHostOptions) {
    this.#opts = opts;
    this.#config = opts.config;
    this.#out = new FrameBatcher<ToMcpFrame>((frames) => this.#host.post(frames), null, (frame, err) => this.#undeliverable(describeToMcp(frame), err));
    this.#host = new ActorHost<ToMcpFrame[], FromMcpFrame[]>({
      entry: ACTOR_ENTRY,
      name: 'mcp-actor',
      workerData: (): McpWorkerData => ({ config: this.#config, metricsBuffer: this.#opts.metrics?.buffer ?? null, testHooks: this.#opts.testHooks ?? false }),
      onMessage: (frames) => decodeFromMcp(frames, this.#inbox),
      onCrash: (crash) => this.#onCrash(crash),
      restart: RESTART,
      outbox: this.#out,
      shutdown: {
        graceMs: STOP_GRACE_MS,
        // No servers left: the actor closes its upstream sessions in the grace period.
        begin: () => {
          this.#out.push(encodeMcpConfig({ ...this.#config, servers: [] }));
          this.#out.flushNow();
          return undefined;
        },
      },
    });
    // The thread starts with the first session (or at once when a server should connect at start):
    // a gateway nobody uses MCP with pays nothing for it.
    if (needsStart(opts.config)) this.#host.start();
  }

  /** Client sessions (of /mcp and the legacy SSE endpoint): what `mcp.max_sessions` caps. */
  get sessionCount(): number {
    return this.#sessions.size - this.#stateless.size;
  }

  /** MCP actor threads started again after one crashed. */
  get restarts(): number {
    return this.#host.restarts;
  }

  /** Registers a client session with the actor; returns its number. */
  open(link: McpSessionLink, info: McpSessionInfo): number {
    const id = ++this.#seq;
    this.#host.start();
    this.#sessions.set(id, { link, pending: new Set() });
    if (info.stateless === true) this.#stateless.add(id);
    this.onOpen?.(id, link.owner);
    this.#out.push(encodeMcpOpen(id, info));
    return id;
  }

  /** A message from the client of session `id`. */
  deliver(id: number, message: McpJsonRpcMessage): void {
    const entry = this.#sessions.get(id);
    if (entry === undefined) return;
    if (typeof message.method === 'string' && message.id !== undefined) entry.pending.add(message.id as string | number);
    this.#out.push(encodeMcpMessage(id, message));
  }

  /** The client side ended session `id`. */
  close(id: number): void {
    this.#stateless.delete(id);
    if (this.#sessions.delete(id)) {
      this.onClose?.(id);
      this.#out.push(encodeMcpClose(id));
    }
  }

  configure(config: McpActorConfig): void {
    this.#config = config;
    if (!this.#host.started) {
      if (needsStart(config)) this.#host.start();
      return; // a thread not started yet gets the config in its workerData
    }
    this.#out.push(encodeMcpConfig(config));
  }

  /** Every upstream server's state, from the actor. */
  status(): Promise<McpServerStatus[]> {
    const id = ++this.#seq;
    this.#host.start();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#statusWaiters.delete(id);
        reject(new Error('the MCP actor did not answer'));
      }, STATUS_TIMEOUT_MS);
      this.#statusWaiters.set(id, (s) => { clearTimeout(timer); resolve(s); });
      this.#out.push(encodeMcpStatus(id));
    });
  }

  /** Ends every session, lets the actor stop its upstream servers (STDIO processes get their stdin closed), then stops it. */
  async stop(): Promise<void> {
    for (const [id, entry] of this.#sessions) {
      this.#out.push(encodeMcpClose(id));
      entry.link.closed();
    }
    this.#sessions.clear();
    this.#stateless.clear();
    await this.#host.close();
  }

  /** The frames from the actor. */
  readonly #inbox: FromMcpHandler = {
    onSend: (session, json, related, final) => {
      const entry = this.#sessions.get(session);
      if (entry === undefined) return;
      if (final && related !== null) entry.pending.delete(related);
      entry.link.send(json, related, final);
    },
    onClosed: (session) => {
      const entry = this.#sessions.get(session);
      this.#sessions.delete(session);
      this.#stateless.delete(session);
      this.onClose?.(session);
      entry?.link.closed();
    },
    onStatusResult: (request, servers) => {
      const waiter = this.#statusWaiters.get(request);
      this.#statusWaiters.delete(request);
      waiter?.(servers);
    },
    onSample: (request, session, body) => this.#sample(request, session, body),
    onIntern: (names) => {
      const m = this.#opts.metrics;
      if (m !== null) this.#out.push(encodeMcpInterned(names, names.map((n) => m.intern(n))));
    },
    onLog: (level, fields, message) => this.#opts.log[level](fields, message),
    onReady: () => this.#host.markReady(),
    onCall: (session, request, call) => this.onCall?.(session, request, call),
    onOAuthSaved: (server, state) => this.onOAuthSaved?.(server, state),
    onModelCall: (request, session, body) => this.#callModel(request, session, body),
    onModelCancel: (request) => this.#modelCalls.get(request)?.abort(new Error('the skill run stopped')),
    onToolAdmit: (request, session, tool) => {
      const refusal = this.#opts.admitTool?.(session, tool) ?? null;
      if (refusal instanceof Promise) void refusal.then((r) => this.#out.push(encodeMcpToolAdmitted(request, r)));
      else this.#out.push(encodeMcpToolAdmitted(request, refusal));
    },
    onFailed: (err, frame) => this.#receiveFailed(frame, err),
  };

  /** A frame from the actor this side could not handle: logged, and the session it belongs to is ended. */
  #receiveFailed(frame: McpFrameInfo, err: unknown): void {
    const session = frame.session;
    this.#opts.log.error({ err, frame: frame.kind, session: session ?? undefined }, 'the MCP host failed on a frame from the MCP actor; the session it belongs to is ended');
    if (session !== null && this.#sessions.has(session)) {
      this.#end(session, HOST_FAILED);
      this.#out.push(encodeMcpClose(session));
    }
  }

  /**
   * A frame for the actor that could not be posted (structured clone failed: nested too deep, not
   * cloneable): the request it carried gets an error; a session that could not be opened is ended.
   */
  #undeliverable(frame: McpFrameInfo, err: unknown): void {
    try {
      this.#opts.log.error({ err, frame: frame.kind }, 'a frame for the MCP actor could not be sent; the request it carried fails');
      if (frame.session === null) return;
      if (frame.opens) {
        this.#end(frame.session, HOST_FAILED);
        return;
      }
      const entry = this.#sessions.get(frame.session);
      const id = frame.request;
      if (entry === undefined || id === null) return;
      entry.pending.delete(id);
      entry.link.send(errorJson(id, {
        code: -32600, lrCode: 'LR_ERR_BAD_REQUEST',
        message: `Invalid Request: LocalRouter could not pass this message to the MCP actor (${describe(err)})`,
      }), id, true);
    } catch (inner) {
      this.#opts.log.error({ err: inner }, 'the MCP host failed while failing an undeliverable frame');
    }
  }

  /** Ends session `id` on this side: its unanswered requests get `error`, its link is closed. Never throws. */
  #end(id: number, error: CodedError): void {
    const entry = this.#sessions.get(id);
    if (entry === undefined) return;
    this.#sessions.delete(id);
    this.#stateless.delete(id);
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
      this.#out.push(encodeMcpSampled(id, null, 'sampling through LocalRouter is not available'));
      return;
    }
    sample(session, body).then(
      (completion) => this.#out.push(encodeMcpSampled(id, completion, null)),
      (err: unknown) => this.#out.push(encodeMcpSampled(id, null, err instanceof Error ? err.message : String(err))),
    );
  }

  #callModel(id: number, session: number, body: string): void {
    const call = this.#opts.callModel;
    if (call === undefined) {
      this.#out.push(encodeMcpModelAnswer(id, null, 'model calls through LocalRouter are not available'));
      return;
    }
    const abort = new AbortController();
    this.#modelCalls.set(id, abort);
    call(session, body, abort.signal).then(
      (answer) => { this.#modelCalls.delete(id); this.#out.push(encodeMcpModelAnswer(id, answer, null)); },
      (err: unknown) => { this.#modelCalls.delete(id); this.#out.push(encodeMcpModelAnswer(id, null, err instanceof Error ? err.message : String(err))); },
    );
  }

  /** The actor died (the host starts another): every session ends, each unanswered request with a JSON-RPC error. */
  #onCrash(crash: ActorCrash): void {
    this.#opts.log.error({ err: crash.error ?? undefined, exitCode: crash.exitCode ?? undefined, sessions: this.#sessions.size, restartInMs: crash.restartInMs },
      'MCP actor crashed; restarting it (client sessions end and must re-initialize)');
    for (const sid of [...this.#sessions.keys()]) this.#end(sid, ACTOR_CRASHED);
    for (const [, waiter] of this.#statusWaiters) waiter([]);
    this.#statusWaiters.clear();
    for (const abort of this.#modelCalls.values()) abort.abort(new Error('the MCP actor crashed'));
    this.#modelCalls.clear();
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
