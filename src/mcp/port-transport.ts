import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { McpJsonRpcMessage, McpJsonText } from '../workers/index.js';

/** A result's JSON text, and its UTF-8 bytes once a response needed them. */
interface Serialized { json: string; bytes: Buffer | null }

/** Results whose JSON text is already known (cached list pages): sent without serializing them again. */
const serialized = new WeakMap<object, Serialized>();
/**
 * From this size a cached result crosses the thread as bytes in a SharedArrayBuffer: one copy here,
 * none in postMessage, no string rebuilt and converted to UTF-8 on the ingress thread.
 */
const SHARED_MIN_BYTES = 16 * 1024;

/** Serializes `result` once and remembers the text, so every response carrying it reuses it. */
export function preSerialized<T extends object>(result: T): T {
  serialized.set(result, { json: JSON.stringify(result), bytes: null });
  return result;
}

/** `{"jsonrpc":"2.0","id":<id>,"result":<cached>}` without serializing the result again. */
function cachedResponse(id: string | number | null, s: Serialized): McpJsonText {
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":`;
  if (s.json.length < SHARED_MIN_BYTES) return `${head}${s.json}}`;
  s.bytes ??= Buffer.from(s.json);
  const headLength = Buffer.byteLength(head);
  const out = new Uint8Array(new SharedArrayBuffer(headLength + s.bytes.length + 1));
  out.set(Buffer.from(head));
  out.set(s.bytes, headLength);
  out[out.length - 1] = 0x7d; // }
  return out;
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
  readonly #post: (json: McpJsonText, related: string | number | null, final: boolean) => void;
  #closed = false;
  /** Takes a message before the SDK sees it (returns true when it did): the session's fast path. */
  intercept: ((message: McpJsonRpcMessage) => boolean) | null = null;

  constructor(sessionId: string, post: (json: McpJsonText, related: string | number | null, final: boolean) => void) {
    this.sessionId = sessionId;
    this.#post = post;
  }

  async start(): Promise<void> {
    // The port is already open; nothing to do.
  }

  /** A message from the client, delivered by the actor. */
  receive(message: McpJsonRpcMessage): void {
    if (this.#closed) return;
    if (this.intercept !== null && this.intercept(message)) return;
    this.onmessage?.(message as unknown as JSONRPCMessage);
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
    const cached = typeof m.result === 'object' && m.result !== null ? serialized.get(m.result) : undefined;
    let json: McpJsonText;
    try {
      json = cached === undefined ? JSON.stringify(message) : cachedResponse(id, cached);
    } catch (err) {
      // A result that cannot be serialized (too deep for the stack, a BigInt) still answers its request.
      const reason = err instanceof Error ? err.message : String(err);
      json = JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32603, message: `LocalRouter could not serialize this answer: ${reason}`, data: { code: 'LR_ERR_INTERNAL' } } });
    }
    this.#post(json, id, true);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}
