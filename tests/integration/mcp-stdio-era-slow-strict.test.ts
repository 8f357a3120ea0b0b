import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectClient, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * A server that exits on the probe is to be served without it (README: "One that exits on the probe is
 * started again at once without it"). One that starts slower than the probe's 3 s bound reads the probe
 * only after the gateway gave up on it and queued `initialize`: it exits then, and it must still end up served.
 */
const SERVER = path.resolve('tests/helpers/stdio/slow-strict-legacy-server.mjs');
let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({ servers: [{ name: 'strict', transport: 'stdio', command: process.execPath, args: [SERVER, '--start-delay-ms', '3500'], timeout_ms: 20_000 }] });
}, 60_000);
afterAll(async () => { await fx?.close(); });

it('serves a slow-starting server that exits on a request before initialize', async () => {
  const client = await connectClient(fx);
  let names: string[] = [];
  const until = Date.now() + 40_000;
  while (Date.now() < until && !names.includes('strict__hello')) {
    names = (await client.listTools()).tools.map((t) => t.name);
    if (!names.includes('strict__hello')) await new Promise((r) => setTimeout(r, 1_000));
  }
  const res = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
  const status = ((await res.json()) as { servers: { name: string; era: string | null; lastError: string | null }[] }).servers.find((s) => s.name === 'strict');
  expect(names).toContain('strict__hello');
  expect(status?.era).toBe('legacy');
  // The operator is told why, and how to skip the probe.
  expect(status?.lastError).toContain('server/discover');
  expect(status?.lastError).toContain('protocol: legacy');
  await client.close();
}, 60_000);
