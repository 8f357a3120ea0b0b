import type { createUpstreamTransport } from './upstream-transport.js';

/**
 * The upstream transport factory, loaded on first use: it brings the MCP SDK's client transports and
 * undici, which only the MCP actor and the CLI's probe need, not the gateway's main thread.
 */
export async function loadUpstreamTransport(): Promise<typeof createUpstreamTransport> {
  return (await import('./upstream-transport.js')).createUpstreamTransport;
}
