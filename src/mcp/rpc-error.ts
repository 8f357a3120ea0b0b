import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC error codes the gateway answers with (the SDK's, plus the spec's "resource not found"). */
export const RPC_CODE = {
  ...ErrorCode,
  ResourceNotFound: -32002,
} as const;

/**
 * A JSON-RPC error with its message exactly as the client should see it. (The SDK's `McpError`
 * prefixes "MCP error <code>:" to its message, so forwarding an upstream error through it would
 * stack prefixes.) The SDK's `Protocol` reads `code`, `message` and `data` from whatever a handler throws.
 */
export class RpcError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

/**
 * Any thrown value as an RpcError; an upstream McpError keeps its code, data and original message.
 * Every "MCP error <code>: " prefix is taken off, not only the one the 1.x SDK's McpError added here:
 * an upstream that put its own SDK's prefix on the wire would otherwise get one more per hop.
 */
export function toRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message.replace(/^(?:MCP error -?\d+: )+/, '') : String(err);
  if (typeof code === 'number' && Number.isSafeInteger(code)) return new RpcError(code, message, (err as { data?: unknown }).data);
  return new RpcError(ErrorCode.InternalError, message);
}
