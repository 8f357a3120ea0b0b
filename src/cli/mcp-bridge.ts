import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { CliIo } from './cli-io.js';

/**
 * `localrouter mcp bridge`: for MCP clients that can only spawn a process. Relays JSON-RPC messages
 * between the run's stdin/stdout (the client) and the gateway's `/mcp` (Streamable HTTP, with
 * the client's `lr-` key), both ways, notifications and server requests included. The two SDK
 * transports do the framing; the relay only passes messages and tells the HTTP side the protocol
 * revision the gateway answered `initialize` with. Resolves when either side closes; says why on stderr.
 */
export async function runMcpBridge(io: CliIo, url: URL, key: string): Promise<void> {
  const log = (line: string): void => { io.stderr.write(`${line}\n`); };
  const stdio = new StdioServerTransport(io.stdin, io.stdout);
  const http = new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  const initIds = new Set<string | number>();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => { done = resolve; });
  let closing = false;
  const shutdown = async (why: string): Promise<void> => {
    if (closing) return;
    closing = true;
    log(`localrouter mcp bridge: ${why}`);
    await http.terminateSession().catch(() => undefined);
    await Promise.all([http.close().catch(() => undefined), stdio.close().catch(() => undefined)]);
    done();
  };
  stdio.onmessage = (message: JSONRPCMessage) => {
    if ('method' in message && message.method === 'initialize' && 'id' in message) initIds.add(message.id);
    http.send(message).catch((err: unknown) => {
      log(`localrouter mcp bridge: sending to the gateway failed: ${(err as Error).message}`);
      // A request that cannot reach the gateway still gets an answer, so the client does not hang.
      if ('id' in message && 'method' in message) {
        void stdio.send({ jsonrpc: '2.0', id: message.id, error: { code: -32603, message: `LocalRouter gateway unreachable: ${(err as Error).message}` } });
      }
    });
  };
  http.onmessage = (message: JSONRPCMessage) => {
    if ('result' in message && initIds.has(message.id)) {
      initIds.delete(message.id);
      const version = (message.result as { protocolVersion?: unknown }).protocolVersion;
      if (typeof version === 'string') http.setProtocolVersion(version);
    }
    void stdio.send(message);
  };
  http.onerror = (err) => log(`localrouter mcp bridge: ${err.message}`);
  stdio.onclose = () => { void shutdown('stdin closed'); };
  http.onclose = () => { void shutdown('gateway connection closed'); };
  io.stdin.on('end', () => { void shutdown('stdin ended'); });
  await http.start();
  await stdio.start();
  await finished;
}
