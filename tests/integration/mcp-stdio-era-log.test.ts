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

describe.each(['loglegacy', 'logmodern'])('%s, two sessions calling at once', (server) => {
  it('drops a log line it cannot tie to one session, and counts it', async () => {
    const statusOf = async () => {
      const res = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
      return ((await res.json()) as { servers: { name: string; droppedLogs: number }[] }).servers.find((s) => s.name === server)!;
    };
    const before = (await statusOf()).droppedLogs;
    const clients = await Promise.all([connectClient(fx), connectClient(fx)]);
    const lines: unknown[] = [];
    for (const c of clients) {
      c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { lines.push(n.params.data); });
      await c.setLoggingLevel('debug');
    }
    // The server logs only once both calls are under way: neither line can be told to be one session's.
    const results = await Promise.all(clients.map((c) => c.callTool({ name: `${server}__together`, arguments: {} })));
    expect(results.map(toolText)).toEqual(['said hello together', 'said hello together']);
    await new Promise((r) => setTimeout(r, 300));
    expect(lines).not.toContain('hello from together');
    expect((await statusOf()).droppedLogs).toBe(before + 2);
    await Promise.all(clients.map((c) => c.close()));
  }, 30_000);
});
