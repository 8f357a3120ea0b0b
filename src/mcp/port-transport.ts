import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { McpJsonRpcMessage } from '../workers/index.js';

/**
 * The MCP actor's end of one client session: an SDK `Transport` whose wire is the thread port. The
 * ingress owns the HTTP side (Streamable HTTP or legacy SSE); messages cross as frames, and each
 * outgoing message carries the client request it belongs to, so the ingress puts it on that
 * request's stream.
 */
export class PortTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  readonly #post: (message: McpJsonRpcMessage, related: string | number | null) => void;
  #closed = false;

  constructor(sessionId: string, post: (message: McpJsonRpcMessage, related: string | number | null) => void) {
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
    this.#post(message as unknown as McpJsonRpcMessage, options?.relatedRequestId ?? null);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.onclose?.();
  }
}
