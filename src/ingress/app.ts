import uWS, { type HttpRequest, type HttpResponse, type TemplatedApp } from 'uWebSockets.js';
import { LocalRouterError } from '../errors/index.js';
import type { GatewayState } from './gateway-state.js';
import { corsHeaders, preflightHeaders } from './guards.js';
import { handleHealth } from './health.js';
import { refuseUnsafeRequest, requestHeadProblem, writeError, writeResponse, type HeaderPairs } from './http-io.js';
import { handleOAuthToken } from './oauth-route.js';

/** What a route runs, with the live state; `cors` holds the headers every answer to this origin carries. */
export type RouteHandler = (state: GatewayState, res: HttpResponse, req: HttpRequest, cors: HeaderPairs) => void;
export type Method = 'get' | 'post' | 'delete';
/** Route handlers by exact path and method: what each API contributes to the route table. */
export type Routes = Record<string, Partial<Record<Method, RouteHandler>>>;

/**
 * Every route, by exact path: the front door's own (`/health`, `/oauth/token`) plus each API's
 * `tables`, later ones winning; `/v1/...` routes are also served without the prefix. A path `/a/*`
 * takes what is below `/a/` and has no exact route of its own.
 */
export function buildRoutes(...tables: Routes[]): Map<string, Partial<Record<Method, RouteHandler>>> {
  const table: Routes = { '/health': { get: handleHealth }, '/oauth/token': { post: handleOAuthToken } };
  for (const t of tables) Object.assign(table, t);
  const routes = new Map<string, Partial<Record<Method, RouteHandler>>>();
  for (const [path, methods] of Object.entries(table)) {
    routes.set(path, methods);
    if (path.startsWith('/v1/')) routes.set(path.slice(3), methods);
  }
  return routes;
}

/** The uWS app: Host/Origin guards, CORS, then exact-path routing with 404/405 in the OpenAI error shape. */
export function createApp(state: GatewayState, routes: Map<string, Partial<Record<Method, RouteHandler>>>): TemplatedApp {
  const app = uWS.App();
  app.any('/*', (res, req) => {
    const unsafe = requestHeadProblem(req);
    if (unsafe !== null) return refuseUnsafeRequest(res, unsafe, []);
    const guards = state.tables.guards;
    if (!guards.hostAllowed(req.getHeader('host'))) {
      writeError(res, new LocalRouterError('LR_ERR_BAD_HOST', 'Host header not allowed (DNS rebinding protection); add it to server.allowed_hosts'), [], true);
      return;
    }
    const origin = req.getHeader('origin');
    if (!guards.originAllowed(origin)) {
      writeError(res, new LocalRouterError('LR_ERR_BAD_ORIGIN', `origin "${origin.slice(0, 200)}" not allowed; add it to server.allowed_origins`), [], true);
      return;
    }
    const method = req.getMethod().toLowerCase();
    const path = req.getUrl();
    const exact = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
    const route = routes.get(exact) ?? prefixRoute(routes, exact);
    if (method === 'options') {
      if (!route) return writeError(res, notFound(path), corsHeaders(origin));
      writeResponse(res, 204, 'text/plain', '', preflightHeaders(origin));
      return;
    }
    const cors = corsHeaders(origin);
    if (!route) return writeError(res, notFound(path), cors);
    const handler = route[method as Method];
    if (!handler) {
      const allow = Object.keys(route).map((m) => m.toUpperCase()).join(', ');
      writeError(res, new LocalRouterError('LR_ERR_METHOD_NOT_ALLOWED', `method ${method.toUpperCase()} not allowed on ${path}; use ${allow}`), [...cors, ['allow', allow]], true);
      return;
    }
    if (state.shuttingDown) {
      writeError(res, new LocalRouterError('LR_ERR_SHUTTING_DOWN', 'the gateway is shutting down'), cors, true);
      return;
    }
    handler(state, res, req, cors);
  });
  return app;
}

/**
 * The route of the deepest `/a/*` or `/a/b/*` above `path` (no deeper than two segments): a route
 * registered under it takes every path below it that no exact route takes.
 */
function prefixRoute(routes: Map<string, Partial<Record<Method, RouteHandler>>>, path: string): Partial<Record<Method, RouteHandler>> | undefined {
  const first = path.indexOf('/', 1);
  if (first < 0) return undefined;
  const second = path.indexOf('/', first + 1);
  return (second < 0 ? undefined : routes.get(`${path.slice(0, second)}/*`)) ?? routes.get(`${path.slice(0, first)}/*`);
}

function notFound(path: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_NOT_FOUND', `no route ${path.slice(0, 200)}; see GET /v1/models and POST /v1/chat/completions`);
}
