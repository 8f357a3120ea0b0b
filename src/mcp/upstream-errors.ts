import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { RpcError, toRpcError } from './rpc-error.js';

/** The code of a failed connection (`ECONNREFUSED`, `UND_ERR_SOCKET`...), null when `err` is not one. */
export function connectionErrorCode(err: unknown): string | null {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code.startsWith('UND_ERR_'))) return code;
    const message = (e as { message?: unknown }).message;
    if (typeof message === 'string' && /SSE stream disconnected|fetch failed|other side closed|terminated/i.test(message)) return 'disconnected';
  }
  return null;
}

/** An upstream failure as the client sees it: the upstream's own JSON-RPC error, or a clean "unavailable". */
export function upstreamError(server: string, err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof McpError) {
    if (err.code === ErrorCode.ConnectionClosed) return new RpcError(ErrorCode.ConnectionClosed, `MCP server "${server}" disconnected before answering`);
    return toRpcError(err);
  }
  return new RpcError(ErrorCode.InternalError, `MCP server "${server}" failed: ${describe(err)}`);
}

/** The first line of an error's message, cut for logs and statuses. */
export function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 300);
}
