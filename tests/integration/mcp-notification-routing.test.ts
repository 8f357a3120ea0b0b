import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, EVERYTHING, startEverythingHttp, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * Every server-to-client notification reaches exactly the session it belongs to: a log line an
 * upstream sends outside any request goes to the session that owns that upstream instance
 * (`per_session`), and a shared instance's is dropped and counted rather than sent to sessions that
 * did not cause it. On legacy SSE, progress sent before a result reaches the client before it.
 */

let fx: McpGatewayFixture;
let web: Awaited<ReturnType<typeof startEverythingHttp>>;

beforeAll(async () => {
  web = await startEverythingHttp();
  fx = await startMcpGateway({
    servers: [
      { name: 'web', transport: 'streamable-http', url: web.url },
      { name: 'mine', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], per_session: true },
      { name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
    ],
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await web?.stop();
});

function logsOf(client: Client): string[] {
  const seen: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => { seen.push(JSON.stringify(n.params.data)); });
  return seen;
}

describe('notification routing', () => {
  it('sends client A\'s upstream log lines to A alone: B, logging at debug and calling the same servers, gets none', async () => {
    const a = await connectClient(fx);
    const b = await connectClient(fx);
    const aLogs = logsOf(a);
    const bLogs = logsOf(b);
    await a.setLoggingLevel('debug');
    await b.setLoggingLevel('debug');
    // A starts the servers' periodic log lines (every 5 s, sent outside any request).
    await a.callTool({ name: 'mine__toggle-simulated-logging', arguments: {} });
    await a.callTool({ name: 'web__toggle-simulated-logging', arguments: {} });
    // B keeps calls in flight on the same servers meanwhile, and sits idle in between.
    const until = Date.now() + 6_500;
    while (Date.now() < until) {
      await Promise.all([
        b.callTool({ name: 'web__echo', arguments: { message: 'b' } }),
        b.callTool({ name: 'mine__echo', arguments: { message: 'b' } }),
        b.callTool({ name: 'every__echo', arguments: { message: 'b' } }),
      ]);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(bLogs).toEqual([]);
    // A's own per-session upstream reaches A.
    expect(aLogs.length).toBeGreaterThan(0);
    // The shared upstream's lines, tied to no request, went nowhere, and were counted.
    const res = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
    const servers = ((await res.json()) as { servers: { name: string; droppedLogs: number }[] }).servers;
    expect(servers.find((s) => s.name === 'web')!.droppedLogs).toBeGreaterThan(0);
    await a.callTool({ name: 'web__toggle-simulated-logging', arguments: {} });
    await a.close();
    await b.close();
  }, 60_000);

  it('delivers every progress notification before the result on legacy /sse (20 calls, STDIO and HTTP upstreams)', async () => {
    const headers = { authorization: `Bearer ${fx.key}` };
    const client = new Client({ name: 'legacy', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`${fx.origin}/sse`), {
      requestInit: { headers },
      eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
    }));
    const incomplete: string[] = [];
    for (let i = 0; i < 20; i++) {
      for (const server of ['every', 'web']) {
        const seen: number[] = [];
        await client.callTool({ name: `${server}__trigger-long-running-operation`, arguments: { duration: 0.06, steps: 3 } }, undefined, {
          onprogress: (p) => seen.push(p.progress),
        });
        if (seen.join(',') !== '1,2,3') incomplete.push(`${server} #${i}: ${seen.join(',')}`);
      }
    }
    expect(incomplete).toEqual([]);
    await client.close();
  }, 120_000);
});
