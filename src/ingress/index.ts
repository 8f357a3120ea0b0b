/**
 * @module ingress
 * The HTTP front door on uWebSockets.js: guards, auth, routes, SSE writing with backpressure, and
 * `startGateway`, which wires config, secrets, actors and metrics together.
 */
export { startGateway, type Gateway, type StartGatewayOptions } from './gateway.js';
export { ClientTable, type AuthedClient } from './client-table.js';
export { RequestGuards } from './guards.js';
export { checkChatBody, chatFront, embeddingsFront, anthropicFront, responsesFront, completionsFront, type LlmFront, type FrontRequest } from './llm-fronts.js';
