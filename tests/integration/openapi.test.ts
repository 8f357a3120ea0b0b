import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, unknown> };
}

const DOC_FILE = new URL('../../docs/openapi.json', import.meta.url);
const doc = JSON.parse(fs.readFileSync(DOC_FILE, 'utf8')) as OpenApiDoc;

/** The document's path for a registered one: `/a/*` is a templated `/a/{name}`; an unprefixed `/v1` twin is the `/v1` route. */
function documentedPath(route: string): string | undefined {
  if (route.endsWith('/*')) return Object.keys(doc.paths).find((p) => p.startsWith(route.slice(0, -1)) && /\/\{[^/]+\}$/.test(p));
  if (doc.paths[route] !== undefined) return route;
  return doc.paths[`/v1${route}`] !== undefined ? `/v1${route}` : undefined;
}

describe('docs/openapi.json', () => {
  let fx: GatewayFixture;
  beforeAll(async () => {
    // The MCP side registers its routes with the config's first MCP server.
    fx = await startGatewayFixture('http://127.0.0.1:9/v1', { mcpServers: [{ name: 'noop', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp' }] });
  });
  afterAll(async () => { await fx?.close(); });

  it('describes every route and method the gateway registers, and nothing it does not', () => {
    const routes = fx.gw.routes;
    expect(routes.size).toBeGreaterThan(20);
    const missing: string[] = [];
    const served = new Set<string>();
    for (const [route, methods] of routes) {
      const documented = documentedPath(route);
      for (const method of methods) {
        if (documented === undefined || doc.paths[documented]![method] === undefined) missing.push(`${method.toUpperCase()} ${route}`);
        else served.add(`${method} ${documented}`);
      }
    }
    // A route added to the gateway is added here too: the failure names it.
    expect(missing, 'routes the gateway serves but docs/openapi.json does not describe').toEqual([]);
    const extra = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).filter((m) => m !== 'parameters').map((m) => `${m} ${p}`))
      .filter((op) => !served.has(op));
    expect(extra, 'operations docs/openapi.json describes but the gateway does not serve').toEqual([]);
  });

  it('is an OpenAPI 3.1 document whose operations have unique ids, responses and known security schemes', () => {
    expect(doc.openapi).toBe('3.1.0');
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const ops of Object.values(doc.paths)) {
      for (const op of Object.values(ops) as { responses?: object; security?: Record<string, unknown>[] }[]) {
        expect(Object.keys(op.responses ?? {}).length).toBeGreaterThan(0);
        for (const s of op.security ?? []) for (const name of Object.keys(s)) expect(doc.components.securitySchemes).toHaveProperty(name);
      }
    }
  });

  it('is served at GET /api/openapi.json without a token', async () => {
    const res = await fetch(`http://127.0.0.1:${fx.gw.port}/api/openapi.json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(doc);
  });
});
