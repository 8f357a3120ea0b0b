import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { McpJsonRpcMessage } from '../workers/index.js';

/** Results whose JSON text is already known (cached list pages): sent without serializing them again. */
const serialized = new WeakMap<object, string>();

/** Serializes `result` once and remembers the text, so every response carrying it reuses it. */
export function preSerialized<T extends object>(result: T): T {
  serialized.set(result, JSON.stringify(result));
  return result;
}

/**
 * The MCP actor's end of one client session: an SDK `Transport` whose wire is the thread port. The
 * ingress owns the HTTP side (Streamable HTTP or legacy SSE); messages cross as frames. Outgoing
 * messages cross as JSON text, serialized here (off the ingress thread, and only once for cached
 * results), each with the client request it belongs to, so the ingress writes it on that request's
 * stream without looking inside.
 */
export class PortTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #post: (json: string, related: string | number | null, final: boolean) => void;
  #closed = false;

  constructor(sessionId: string, post: (json: string, related: string | number | null, final: boolean) => void) {
    this.sessionId = sessionId;
    this.#post = post;
  }

  async start(): Promise<void> {
    // The port is already open; nothing to do.
  }

  /** A message from the client, delivered by the actor. */
  receive(message: McpJsonRpcMessage): void {
    if (!this.#closed) this.onmessage?.(message as unknown as JSONRPCMessage);
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.#closed) return;
    const m = message as { id?: string | number; method?: unknown; result?: unknown; error?: unknown };
    const final = m.method === undefined && (m.result !== undefined || m.error !== undefined);
    if (!final) {
      this.#post(JSON.stringify(message), options?.relatedRequestId ?? null, false);
      return;
    }
    const id = m.id ?? null;
    const raw = typeof m.result === 'object' && m.result !== null ? serialized.get(m.result) : undefined;
    this.#post(raw === undefined ? JSON.stringify(message) : `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":${raw}}`, id, true);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}
