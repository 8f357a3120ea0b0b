/**
 * @module admin-api
 * What an operator reads about the running gateway: {@link GatewayMetrics} records every finished
 * request into the monitoring rings and request log and serves `GET /metrics` (Prometheus) and the
 * admin stats API (`/api/stats/*`, `/api/logs`, the live feed); `GET /api/providers` shows each
 * provider's breakers and model list; the web dashboard (its files at `/`, its session login with
 * CSRF tokens, and the config-editing calls it makes); `GET /api/openapi.json` is the HTTP API's
 * OpenAPI document. Everything but `/metrics`, the OpenAPI document and the dashboard's files is
 * behind the admin token or a dashboard session. Built on the ingress.
 */
export { GatewayMetrics, type GatewayMetricsOptions } from './gateway-metrics.js';
export { providersStatusRoute } from './admin-providers.js';
export { dashboardRoutes, type DashboardOptions } from './dashboard-routes.js';
export { loginUrl, startLoginCode } from './ui-session-routes.js';
export { openApiPath } from './openapi-route.js';
