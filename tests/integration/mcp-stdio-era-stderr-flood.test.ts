import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectClient, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * A STDIO server that writes 50 MB of stderr without a newline before it serves: the gateway reads
 * it line by line with each line capped (the line-level byte counts are asserted in
 * tests/unit/mcp/stderr-lines.test.ts); here the server, probed in `auto` mode, is served all the same.
 */
const SERVER = path.resolve('tests/helpers/stdio/stderr-flood-server.mjs');
let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({ servers: [{ name: 'flood', transport: 'stdio', command: process.execPath, args: [SERVER, '--flood-mb', '50'], timeout_ms: 20_000 }] });
}, 60_000);
afterAll(async () => { await fx?.close(); });

it('serves a server that flooded its stderr with one 50 MB line', async () => {
  const client = await connectClient(fx);
  const res = await client.callTool({ name: 'flood__hello', arguments: {} });
  expect(toolText(res)).toBe('still here');
  const status = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
  expect((await status.json() as { servers: { name: string; state: string }[] }).servers.find((s) => s.name === 'flood')?.state).toBe('ready');
  await client.close();
}, 60_000);
