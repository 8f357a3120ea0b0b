import { readFileSync } from 'node:fs';
import path from 'node:path';
import { installRoot } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { writeError, writeResponse, type RouteHandler } from '../ingress/index.js';

/** Where the HTTP API's OpenAPI document ships: docs/openapi.json beside dist/ (in the checkout and in the package). */
export function openApiPath(): string {
  return path.join(installRoot(), 'docs', 'openapi.json');
}

/**
 * `GET /api/openapi.json`: the OpenAPI document of every route, read once. It says nothing secret,
 * so it needs no token (tools fetch it before they have one); Host/Origin guards apply as everywhere.
 */
export function openApiRoute(): RouteHandler {
  let body: string | null = null;
  return (_state, res, _req, cors) => {
    try {
      body ??= readFileSync(openApiPath(), 'utf8');
    } catch (err) {
      writeError(res, new LocalRouterError('LR_ERR_NOT_FOUND', `the OpenAPI document is missing from this installation (${(err as Error).message})`), cors);
      return;
    }
    writeResponse(res, 200, 'application/json', body, cors);
  };
}
