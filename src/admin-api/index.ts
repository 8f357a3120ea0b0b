/**
 * @module admin-api
 * What an operator reads about the running gateway: {@link GatewayMetrics} records every finished
 * request into the monitoring rings and request log and serves `GET /metrics` (Prometheus) and the
 * admin stats API (`/api/stats/*`, `/api/logs`, the live feed); `GET /api/providers` shows each
 * provider's breakers and model list; `GET /api/openapi.json` is the HTTP API's OpenAPI document.
 * Everything but `/metrics` and the OpenAPI document is behind the admin token. Built on
 * the ingress.
 */
export { GatewayMetrics, type GatewayMetricsOptions } from './gateway-metrics.js';
export { providersStatusRoute } from './admin-providers.js';
export { openApiPath } from './openapi-route.js';
