import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, JSONRPCMessageSchema, type JSONRPCMessage, type MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import { DEFAULT_MAX_JSON_DEPTH, labelSafe, withinValueDepth } from '../model/index.js';
import type { McpOAuthState, McpServerRuntime } from '../workers/index.js';
import { StderrLineSplitter } from './stderr-lines.js';
import { createUpstreamFetch } from './upstream-fetch.js';
import { upstreamOAuthProvider, watchScopeChallenges } from './upstream-oauth.js';

/** What an upstream connection reports besides JSON-RPC messages. */
export interface UpstreamTransportHooks {
  /** One line of a STDIO server's stderr. */
  onStderr(line: string): void;
  /** Every message sent upstream, synchronously (the caller learns the JSON-RPC id of its request). */
  onSend(message: JSONRPCMessage): void;
  /** Deepest nesting of objects and arrays accepted in a message from the server (default `DEFAULT_MAX_JSON_DEPTH`). */
  maxDepth?: number;
  /** A message from the server was refused for its nesting; `what` says which and what became of it. */
  onRefused?(what: string): void;
  /** New OAuth state (refreshed tokens) to keep. */
  onOAuthSaved?(state: McpOAuthState): void;
  /** The server wants an OAuth login the gateway does not have. */
  onNeedsLogin?(stepUp?: boolean): void;
}

/**
 * The SDK transport for one upstream server, wrapped so the actor sees every outgoing message, a
 * STDIO server's stderr goes to the logs line by line (never inherited; a line over 64 KiB is cut), and no
 * message nested deeper than the limit gets further (see `ObservedTransport`).
 */
export function createUpstreamTransport(server: McpServerRuntime, hooks: UpstreamTransportHooks): ObservedTransport {
  let inner: Transport;
  let pid: () => number | null = () => null;
  let observed: ObservedTransport | null = null;
  switch (server.transport) {
    case 'stdio': {
      const stdio = new StdioClientTransport({
        command: server.command!, args: server.args, cwd: server.cwd ?? undefined,
        env: { ...getDefaultEnvironment(), ...server.env }, stderr: 'pipe',
      });
      const stderr = stdio.stderr;
      if (stderr) {
        // Line by line, each line capped (see StderrLineSplitter): a server's stderr cannot grow the actor's memory.
        const lines = new StderrLineSplitter((line) => hooks.onStderr(line));
        stderr.on('data', (chunk: Buffer | string) => lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
        stderr.on('end', () => lines.end());
        stderr.on('error', () => { /* the process is gone; the close handler reports it */ });
      }
      pid = () => stdio.pid;
      inner = stdio;
      break;
    }
    case 'streamable-http': {
      const oauth = upstreamOAuthOf(server, hooks);
      const upstreamFetch = createUpstreamFetch((message) => observed?.late(message));
      inner = new StreamableHTTPClientTransport(new URL(server.url!), {
        requestInit: { headers: server.headers }, fetch: watchScopeChallenges(upstreamFetch, server.url!, oauth), authProvider: oauth,
      });
      break;
    }
    case 'sse':
      inner = new SSEClientTransport(new URL(server.url!), {
        requestInit: { headers: server.headers }, authProvider: upstreamOAuthOf(server, hooks),
        eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...server.headers, ...(init?.headers as Record<string, string>) } }) },
      });
      break;
  }
  observed = new ObservedTransport(inner, hooks, pid, server.name);
  return observed;
}

/**
 * The OAuth client of an HTTP upstream. A server with an `Authorization` header of its own (static
 * or from the secret store) uses that and no OAuth.
 */
export function upstreamOAuthOf(server: McpServerRuntime, hooks: Pick<UpstreamTransportHooks, 'onOAuthSaved' | 'onNeedsLogin'>): ReturnType<typeof upstreamOAuthProvider> | undefined {
  if (Object.keys(server.headers).some((h) => h.toLowerCase() === 'authorization')) return undefined;
  return upstreamOAuthProvider(server.name, server.url!, server.oauth, (state) => hooks.onOAuthSaved?.(state), (stepUp) => hooks.onNeedsLogin?.(stepUp));
}

/**
 * Delegates to an SDK transport and calls `onSend` for each outgoing message before it leaves. The
 * SDK's `Protocol.request` sends synchronously, so the caller can pair its request with the id.
 *
 * Incoming messages are checked for their nesting before anything else sees them: whatever crosses
 * to the ingress is serialized (`JSON.stringify`, structured clone), which a result nested a few
 * thousand levels deep would overflow. A too deep response becomes an error response to the same
 * request (the client's call fails, nothing else does); a too deep request is answered upstream with
 * an error; a too deep notification is dropped.
 */
export class ObservedTransport implements Transport {
  readonly #inner: Transport;
  readonly #hooks: UpstreamTransportHooks;
  readonly #pid: () => number | null;
  readonly #server: string;
  readonly #maxDepth: number;
  /** The protocol revision the upstream answered `initialize` with. */
  protocolVersion: string | null = null;
  #started: Promise<void> | null = null;
  /** The connection closed (a STDIO server's process ended). */
  closed = false;
  /** Ids of requests whose answers nobody waits for any more (a probe given up on): their late answers go to `#late`, not to the client. */
  readonly #forgotten = new Set<string | number>();
  #late: ((message: JSONRPCMessage) => void) | null = null;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  constructor(inner: Transport, hooks: UpstreamTransportHooks, pid: () => number | null, server: string) {
    this.#inner = inner;
    this.#hooks = hooks;
    this.#pid = pid;
    this.#server = server;
    this.#maxDepth = hooks.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
    inner.onclose = () => {
      this.closed = true;
      this.onclose?.();
    };
    inner.onerror = (err) => this.onerror?.(err);
    inner.onmessage = (received, extra) => {
      if (this.#forgotten.size > 0 && isAnswerTo(received, this.#forgotten)) return this.#late?.(received);
      const message = this.#admit(received);
      if (message === null) return;
      const result = (message as { result?: { protocolVersion?: unknown } }).result;
      if (this.protocolVersion === null && typeof result?.protocolVersion === 'string') this.protocolVersion = result.protocolVersion;
      // The SDK runs notification handlers a microtask later but settles responses at once, so when
      // a last progress notification and the response arrive in one read (STDIO), the progress would
      // find its handler gone. Responses wait one microtask, behind any notification before them.
      if ('method' in message) this.onmessage?.(message, extra);
      else queueMicrotask(() => this.onmessage?.(message, extra));
    };
  }

  /** A message that came on a POST stream after the POST's response (see `createUpstreamFetch`). */
  late(message: JSONRPCMessage): void {
    const parsed = JSONRPCMessageSchema.safeParse(message);
    if (!parsed.success) return;
    const admitted = this.#admit(parsed.data);
    if (admitted !== null) this.onmessage?.(admitted);
  }

  /** The message itself when its nesting is within the limit; else what takes its place (null: nothing). */
  #admit(message: JSONRPCMessage): JSONRPCMessage | null {
    if (withinValueDepth(message, this.#maxDepth)) return message;
    const m = message as { id?: string | number; method?: unknown };
    const limit = `nested deeper than ${this.#maxDepth} levels of objects and arrays (server.max_json_depth)`;
    if (typeof m.method === 'string') {
      const method = labelSafe(m.method, 100);
      if (m.id === undefined) {
        this.#hooks.onRefused?.(`notification ${method}: dropped`);
        return null;
      }
      this.#hooks.onRefused?.(`request ${method}: answered with an error`);
      const error = { code: ErrorCode.InvalidRequest, message: `Invalid Request: LocalRouter refuses messages ${limit}` };
      this.#inner.send({ jsonrpc: '2.0', id: m.id, error }).catch(() => undefined);
      return null;
    }
    if (m.id === undefined) {
      this.#hooks.onRefused?.('message without id: dropped');
      return null;
    }
    this.#hooks.onRefused?.(`answer to request ${labelSafe(String(m.id), 100)}: the request fails`);
    const error = {
      code: ErrorCode.InternalError, message: `MCP server "${this.#server}" answered with JSON ${limit}; the answer was dropped`,
      data: { code: 'LR_ERR_UPSTREAM_BAD_RESPONSE' },
    };
    return { jsonrpc: '2.0', id: m.id, error };
  }

  get sessionId(): string | undefined {
    return this.#inner.sessionId;
  }

  get pid(): number | null {
    return this.#pid();
  }

  /**
   * Starts the connection (spawns a STDIO server) once: a later call finds it started. The probe of
   * a STDIO server starts it, and the 1.x client that takes the same process over after the probe
   * starts it again (the SDK's `connect` always does).
   */
  start(): Promise<void> {
    this.#started ??= this.#inner.start();
    return this.#started;
  }

  /** Answers to these requests are kept from the client from now on (nobody waits for them: a probe that timed out); `late` sees them. */
  forget(ids: Iterable<string | number>, late?: (message: JSONRPCMessage) => void): void {
    for (const id of ids) this.#forgotten.add(id);
    this.#late = late ?? null;
  }

  send(message: JSONRPCMessage, options?: Parameters<Transport['send']>[1]): Promise<void> {
    this.#hooks.onSend(message);
    return this.#inner.send(message, options);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  setProtocolVersion(version: string): void {
    this.protocolVersion = version;
    this.#inner.setProtocolVersion?.(version);
  }
}

function isAnswerTo(message: JSONRPCMessage, ids: Set<string | number>): boolean {
  const m = message as { id?: unknown; method?: unknown };
  return m.method === undefined && (typeof m.id === 'string' || typeof m.id === 'number') && ids.has(m.id);
}
