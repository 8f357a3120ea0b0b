/**
 * @module gateway
 * The composition root: {@link startGateway} loads the config and secrets, starts the upstream
 * engine (actor threads or inline), the classifier pool, metrics and the MCP side, assembles the
 * route table from every front (`llm-api`, `mcp-api`, `admin-api`) on the shared ingress, listens,
 * swaps in a new snapshot of tables when the config file changes, and shuts everything down in
 * order. Nothing imports this folder but the `serve` command (lazily: other commands never load
 * uWebSockets.js or the worker threads) and tests.
 */
export { startGateway, providerRuntimes, type Gateway, type StartGatewayOptions } from './gateway.js';
