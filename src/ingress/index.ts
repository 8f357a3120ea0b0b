/**
 * @module ingress
 * The HTTP front door every API shares, on uWebSockets.js: the app and its route table (Host/Origin
 * guards, CORS, 404/405), request and response plumbing (body reading with limits and timeouts,
 * answers, errors), client authentication (`lr-` keys and OAuth tokens), the gateway's OAuth
 * authorization server (`POST /oauth/token`, the browser login's `/oauth/authorize`), the
 * admin token, `GET /health`, and {@link GatewayState}, the state every route handler receives.
 * The fronts (`llm-api`, `mcp-api`, `admin-api`) build on this; it imports none of them.
 */
export { buildRoutes, createApp, type Method, type RouteHandler, type Routes } from './app.js';
export type { AttemptRecord, GatewayState, GatewayTables, OpenExchange, RequestOutcome } from './gateway-state.js';
export { answerAfterBody, OWN_BODY_BUFFER_BYTES, readBody, statusLine, writeError, writeJson, writeResponse, type HeaderPairs } from './http-io.js';
export { ClientTable, type AuthedClient } from './client-table.js';
export { RequestGuards } from './guards.js';
export { AdminAuth, adminTokenPath, loadOrCreateAdminToken } from './admin-token.js';
export { TokenSigner } from './oauth-tokens.js';
export { oauthRoutes } from './oauth-route.js';
export { UiSessions, START_LOGIN_TTL_MS, type SessionView } from './ui-sessions.js';
