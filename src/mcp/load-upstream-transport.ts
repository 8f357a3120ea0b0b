import type { probeHttpUpstream } from './modern-upstream.js';
import type { probeStdioUpstream, refusesInitializeFor2026 } from './stdio-probe.js';
import type { createUpstreamTransport, upstreamOAuthOf } from './upstream-transport.js';

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

/**
 * The `server/discover` probes (of a Streamable HTTP server, with its OAuth client; of a STDIO
 * server, on its process), loaded on first use (they bring the v2 MCP client): the CLI's direct
 * probe speaks to a 2026-07-28 server as the gateway does.
 */
export async function loadUpstreamProbe(): Promise<{
  probe: typeof probeHttpUpstream; probeStdio: typeof probeStdioUpstream; refusesInitializeFor2026: typeof refusesInitializeFor2026; oauthOf: typeof upstreamOAuthOf;
}> {
  const [modern, stdio, transport] = await Promise.all([import('./modern-upstream.js'), import('./stdio-probe.js'), import('./upstream-transport.js')]);
  return { probe: modern.probeHttpUpstream, probeStdio: stdio.probeStdioUpstream, refusesInitializeFor2026: stdio.refusesInitializeFor2026, oauthOf: transport.upstreamOAuthOf };
}
