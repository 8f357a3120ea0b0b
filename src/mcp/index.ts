/**
 * @module mcp
 * The MCP gateway: many upstream MCP servers (STDIO, Streamable HTTP, legacy SSE) behind one `/mcp`
 * endpoint. The upstream sessions and the gateway side of each client session run in the MCP actor
 * thread (`mcp-actor.ts`); the ingress reaches it through {@link McpHost}, which passes JSON-RPC
 * messages as frames (src/workers/protocol.ts, MCP section; built and read only by src/workers/mcp-codec.ts).
 *
 * ```
 * client ─/mcp─▶ ingress: requests of a session straight to the actor, answers written as they come
 *                 (JSON text, or shared bytes for big cached lists); WebStandardStreamableHTTPServerTransport
 *                 per session for everything else (initialize, GET, DELETE, batches), or legacy SSE
 *                   │ McpHost (frames)
 *                   ▼
 *          MCP actor: ClientSession (SDK Server + merge/route handlers)
 *                   │ UpstreamInstance per server (shared) or per server and session
 *                   ▼
 *          SDK Client ─ STDIO / Streamable HTTP (undici, see upstream-fetch.ts) / SSE ─▶ upstream MCP servers
 *          (a Streamable HTTP server that answers `server/discover` with 2026-07-28: the v2 SDK client,
 *          stateless, see modern-upstream.ts)
 * ```
 */
export { McpHost, type McpHostOptions, type McpSessionLink, type McpLog } from './mcp-host.js';
export { mcpActorConfig, serverRuntime, mcpSecretName, storedMcpSecrets, storeMcpOAuth, type McpSecrets } from './runtime-config.js';
export type { McpOAuthState } from '../workers/index.js';
export { loadUpstreamOAuth, loadUpstreamProbe, loadUpstreamTransport } from './load-upstream-transport.js';
// The merge, policy, paging and sampling helpers are the actor's own (their modules import the SDK's
// types, whose schemas the main thread should not load); only their types are public.
export type { McpPolicy } from './access-policy.js';
export type { MergedView } from './merged-view.js';
