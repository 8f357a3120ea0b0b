import type { createUpstreamTransport } from './upstream-transport.js';

/**
 * The upstream transport factory, loaded on first use: it brings the MCP SDK's client transports and
 * undici, which only the MCP actor and the CLI's probe need, not the gateway's main thread.
 */
export async function loadUpstreamTransport(): Promise<typeof createUpstreamTransport> {
  return (await import('./upstream-transport.js')).createUpstreamTransport;
}

/** The upstream OAuth helpers the CLI's `mcp login` shares with the actor (scope arithmetic, the cross-app access client), loaded on first use for the same reason. */
export async function loadUpstreamOAuth(): Promise<Pick<typeof import('./upstream-oauth.js'), 'scopeUnion' | 'upstreamOAuthProvider'>> {
  const { scopeUnion, upstreamOAuthProvider } = await import('./upstream-oauth.js');
  return { scopeUnion, upstreamOAuthProvider };
}
