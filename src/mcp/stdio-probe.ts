import type { JSONRPCMessage as ModernMessage, Transport as ModernTransport, TransportSendOptions } from '@modelcontextprotocol/client';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { errorKinds, LegacyVerdict, ModernUpstream, negotiatingClient, type ModernEvents, type ModernOptions } from './modern-upstream.js';
import type { ObservedTransport } from './upstream-transport.js';

/**
 * How long a STDIO server has to answer `server/discover` before it is taken for a legacy server
 * that ignores requests before `initialize` (or the server's `timeout_ms`, if shorter). Servers of
 * either era answer at once once running: a 2026-07-28 server with its versions, a 1.x SDK server
 * with "method not found". Only one that drops the request silently waits the whole bound, on every
 * (re)connect, so it is kept short; 3 s still covers a server that takes a moment to start (a
 * `node` or `npx` from the cache on a busy machine). One that starts slower than that is served as
 * legacy: if it answers the probe late, and with 2026-07-28, the caller is told (`onLateModern`) and
 * probes it with the whole `timeout_ms` from then on (a dual-era server takes the `initialize` that
 * followed and is served legacy until the next connect); a 2026-07-28-only one refuses that
 * `initialize` naming 2026-07-28 (`refusesInitializeFor2026`, which may come before the late answer)
 * and is probed again at once. A server that misbehaves on the probe can skip it (`protocol: legacy`).
 */
export const STDIO_PROBE_TIMEOUT_MS = 3_000;

/**
 * The outcome of probing a STDIO server on its one process: a connected modern upstream; `legacy`,
 * the process still running and waiting for `initialize` (the transport started: the 1.x client
 * takes it over as it is; `unanswered`: the probe got no answer in time, so the server may still
 * read it, and exit on it, after `initialize` was queued); or `exited`, the process ended during the probe.
 */
export type StdioProbeOutcome = { era: 'modern'; upstream: ModernUpstream } | { era: 'legacy'; unanswered: boolean } | { era: 'exited' };

export interface StdioProbeHooks {
  /** The process of a modern server ended. */
  onExit(): void;
  /** The server answered the probe with 2026-07-28 after it was given up on (a slow start). */
  onLateModern?(): void;
  /** How long the probe waits (default: min(`timeoutMs`, 3 s)). */
  boundMs?: number;
}

/** The stateless revision the v2 client speaks (its list of them is internal to the SDK). */
const MODERN_VERSION = '2026-07-28';

/** Whether `message` is a `server/discover` result offering the revision the gateway speaks. */
function offersModern(message: JSONRPCMessage): boolean {
  const supported = (message as { result?: { supportedVersions?: unknown } }).result?.supportedVersions;
  return Array.isArray(supported) && supported.includes(MODERN_VERSION);
}

/**
 * Whether `err` is a refusal of `initialize` by a 2026-07-28-only server: "unsupported protocol
 * version" (-32022) naming 2026-07-28 among the versions it supports.
 */
export function refusesInitializeFor2026(err: unknown): boolean {
  const e = err as { code?: unknown; data?: { supported?: unknown } } | null;
  return e?.code === UNSUPPORTED_PROTOCOL_VERSION && Array.isArray(e.data?.supported) && e.data.supported.includes(MODERN_VERSION);
}

/** The JSON-RPC code of "unsupported protocol version" (2026-07-28). */
const UNSUPPORTED_PROTOCOL_VERSION = -32022;

/**
 * Probes a STDIO server with `server/discover` on the process it is served on (`transport`, not
 * started yet): the v2 SDK's negotiation runs on it in place (it would spawn a sibling process for
 * its own STDIO transport class only). A server that offers 2026-07-28 is called statelessly over
 * that process, and `onExit` is called when the process ends. One that answers with an error (a 1.x
 * SDK server: method not found), with something that is no discover result, or nothing within
 * min(`timeoutMs`, 3 s) is legacy: the SDK's fallback `initialize` is stopped before it is written,
 * and the process is left running for the 1.x client (late answers to the probe are kept from it).
 * Incoming messages pass the transport's depth check in both eras. A process that cannot be
 * spawned fails the probe.
 */
export async function probeStdioUpstream(transport: ObservedTransport, events: ModernEvents, opts: ModernOptions, hooks: StdioProbeHooks): Promise<StdioProbeOutcome> {
  const sdk = await import('@modelcontextprotocol/client');
  const channel = new SharedStdioChannel(transport, (late) => {
    if (offersModern(late)) hooks.onLateModern?.();
  });
  const client = negotiatingClient(sdk, opts, hooks.boundMs ?? Math.min(opts.timeoutMs, STDIO_PROBE_TIMEOUT_MS));
  try {
    await client.connect(channel);
  } catch (err) {
    if (channel.handedOver) return { era: 'legacy', unanswered: !channel.answered };
    await client.close().catch(() => undefined);
    if (channel.exited) return { era: 'exited' };
    throw err;
  }
  if (client.getProtocolEra() !== 'modern') {
    // The SDK completed an `initialize` of its own: cannot happen (the channel refuses to send it).
    await client.close().catch(() => undefined);
    throw new Error('the v2 client connected without server/discover');
  }
  client.onclose = () => hooks.onExit();
  return { era: 'modern', upstream: new ModernUpstream(client, events, { ...opts, untaggedLogs: true }, errorKinds(sdk)) };
}

/**
 * The v2 client's view of the STDIO process the gateway spawned (an `ObservedTransport`): it passes
 * messages both ways until the SDK, having found no 2026-07-28, tries to send `initialize`. Then it
 * lets go of the process without closing it (`handedOver`): the send fails, the SDK's close of the
 * channel does nothing, and the transport's handlers are cleared for the 1.x client. The `stderr`
 * and `pid` fields make the SDK treat it as STDIO (a probe timeout means legacy, not an error).
 */
class SharedStdioChannel implements ModernTransport {
  readonly #inner: ObservedTransport;
  readonly #probes = new Set<string | number>();
  readonly #late: (message: JSONRPCMessage) => void;
  /** The server's stderr goes to the logs through the transport, not through the SDK. */
  readonly stderr = null;
  handedOver = false;
  /** The server answered a probe (before it was handed over). */
  answered = false;
  /** The process ran and ended (one that could not be spawned closes too, but never ran). */
  exited = false;
  #running = false;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: ModernTransport['onmessage'];

  constructor(inner: ObservedTransport, late: (message: JSONRPCMessage) => void) {
    this.#inner = inner;
    this.#late = late;
    inner.onmessage = (message, extra) => {
      const id = (message as { id?: unknown; method?: unknown }).method === undefined ? (message as { id?: unknown }).id : undefined;
      if ((typeof id === 'string' || typeof id === 'number') && this.#probes.has(id)) this.answered = true;
      this.onmessage?.(message as ModernMessage, extra as never);
    };
    inner.onerror = (err) => this.onerror?.(err);
    inner.onclose = () => {
      this.exited = this.#running;
      this.onclose?.();
    };
  }

  get pid(): number | null {
    return this.#inner.pid;
  }

  async start(): Promise<void> {
    await this.#inner.start();
    this.#running = true;
  }

  send(message: ModernMessage, options?: TransportSendOptions): Promise<void> {
    if (this.handedOver) return Promise.reject(new LegacyVerdict());
    const request = message as { id?: string | number; method?: unknown };
    if (request.method === 'initialize') {
      this.#handOver();
      return Promise.reject(new LegacyVerdict());
    }
    if (request.method === 'server/discover' && request.id !== undefined) this.#probes.add(request.id);
    return this.#inner.send(message as JSONRPCMessage, options as never);
  }

  close(): Promise<void> {
    return this.handedOver ? Promise.resolve() : this.#inner.close();
  }

  setProtocolVersion(version: string): void {
    this.#inner.setProtocolVersion(version);
  }

  #handOver(): void {
    this.handedOver = true;
    this.#inner.onmessage = undefined;
    this.#inner.onerror = undefined;
    this.#inner.onclose = undefined;
    this.#inner.forget(this.#probes, this.#late);
  }
}
