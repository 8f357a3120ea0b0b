/**
 * @module mcp-api
 * The MCP front: `/mcp` (Streamable HTTP, with a fast path for plain POSTs of a live session), the
 * legacy `/sse` + `/messages` endpoints, `GET /api/mcp/servers` (admin token), sampling through
 * the gateway's own LLM path, and approvals: calls of tools (and LLM requests for models) a strategy
 * marks `ask` wait in the ingress until a person answers through `/api/approvals`. Sessions live in the MCP actor thread (`src/mcp`); this side owns the
 * HTTP exchanges and who each session belongs to. Built on the ingress and the LLM front.
 */
export { mcpMetricsOf, startMcpGateway, type McpGateway, type McpGatewayOptions } from './mcp-wiring.js';
