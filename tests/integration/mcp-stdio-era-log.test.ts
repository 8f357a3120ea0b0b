import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * A log line a STDIO server sends during one client's tool call reaches that client, whatever the
 * server's era: a 1.x session (`protocol: legacy`) attributes it to the only session with a call in
 * flight; a 2026-07-28 connection over the same process must do no worse.
 */
const SERVER = path.resolve('tests/helpers/stdio/logging-server.mjs');
let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [
      { name: 'logmodern', transport: 'stdio', command: process.execPath, args: [SERVER], timeout_ms: 20_000 },
      { name: 'loglegacy', transport: 'stdio', command: process.execPath, args: [SERVER], timeout_ms: 20_000, protocol: 'legacy' },
    ],
  });
}, 60_000);
afterAll(async () => { await fx?.close(); });

describe.each(['loglegacy', 'logmodern'])('%s', (server) => {
  it('relays the log line of a call to the calling client', async () => {
    const client = await connectClient(fx);
    const lines: unknown[] = [];
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { lines.push(n.params.data); });
    await client.setLoggingLevel('debug');
    const res = await client.callTool({ name: `${server}__chatty`, arguments: {} });
    expect(toolText(res)).toBe('said hello');
    const status = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
    const era = ((await status.json()) as { servers: { name: string; era: string | null }[] }).servers.find((s) => s.name === server)?.era;
    expect(era).toBe(server === 'logmodern' ? 'modern' : 'legacy');
    await new Promise((r) => setTimeout(r, 300));
    expect(lines).toContain('hello from chatty');
    await client.close();
  }, 30_000);
});
