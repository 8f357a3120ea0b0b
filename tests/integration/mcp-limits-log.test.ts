import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { runCli } from '../helpers/cli-run.js';
import { connectClient, EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    strategies: [{ name: 'tooly', mcp: { tool_limits: [{ tool: 'every__get-sum', window: 'minute', max: 2 }] } }],
    clients: [
      { name: 'three', limits: [{ kind: 'requests', window: 'minute', max: 3 }] },
      { name: 'tooly', strategy: 'tooly' },
      { name: 'legacy', limits: [{ kind: 'requests', window: 'minute', max: 1 }] },
      { name: 'erring' },
    ],
    monitoring: { enabled: true, flush_interval_ms: 50, log_bodies: true },
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

async function admin(path: string): Promise<Response> {
  return fetch(`${fx.origin}${path}`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
}

async function callsOf(name: string, n: number, tool: string, args: Record<string, unknown>): Promise<(string | McpError)[]> {
  const client = await connectClient(fx, fx.keys[name]);
  const out: (string | McpError)[] = [];
  for (let i = 0; i < n; i++) {
    try {
      const r = await client.callTool({ name: tool, arguments: args });
      out.push((r.content as { text: string }[])[0]!.text);
    } catch (err) {
      out.push(err as McpError);
    }
  }
  await client.close();
  return out;
}

describe('MCP calls are limited, logged and measured', () => {
  it('a client limited to 3 requests/minute gets 3 tools/call through and a clear limit error for the rest', async () => {
    const results = await callsOf('three', 10, 'every__echo', { message: 'hi' });
    expect(results.slice(0, 3)).toEqual(['Echo: hi', 'Echo: hi', 'Echo: hi']);
    for (const r of results.slice(3)) {
      expect(r).toBeInstanceOf(McpError);
      const e = r as McpError;
      expect(e.code).toBe(-32029);
      expect(e.message).toMatch(/rate limit reached: 3 requests .* per minute; retry in \d+ s/);
      expect((e.data as { code: string; retry_after_s: number }).code).toBe('LR_ERR_RATE_LIMITED');
      expect((e.data as { retry_after_s: number }).retry_after_s).toBeGreaterThan(0);
    }
  });

  it('a per-tool limit of the strategy refuses that tool only', async () => {
    const results = await callsOf('tooly', 3, 'every__get-sum', { a: 1, b: 2 });
    expect(results.slice(0, 2).every((r) => typeof r === 'string')).toBe(true);
    expect((results[2] as McpError).message).toMatch(/2 calls of tool "every__get-sum" for this client per minute/);
    expect(await callsOf('tooly', 1, 'every__echo', { message: 'free' })).toEqual(['Echo: free']);
  });

  it('refuses over the legacy SSE transport the same way', async () => {
    const client = new Client({ name: 'legacy', version: '1' });
    await client.connect(new SSEClientTransport(new URL(`${fx.origin}/sse?token=${fx.keys.legacy}`)));
    expect((await client.callTool({ name: 'every__echo', arguments: { message: 'old' } })).content).toEqual([{ type: 'text', text: 'Echo: old' }]);
    const refused = await client.callTool({ name: 'every__echo', arguments: { message: 'old' } }).then(() => null, (err: McpError) => err);
    expect(refused?.code).toBe(-32029);
    expect(refused?.message).toMatch(/rate limit reached: 1 request for this client/);
    await client.close();
  });

  it('writes every call to the request log, shown by /api/logs with server and tool', async () => {
    const res = await admin('/api/logs?kind=mcp&client=three&limit=100');
    expect(res.status).toBe(200);
    const rows = (await res.json() as { data: Record<string, unknown>[] }).data;
    expect(rows).toHaveLength(10);
    const ok = rows.filter((r) => r.status === 200);
    const refused = rows.filter((r) => r.status === 429);
    expect(ok).toHaveLength(3);
    expect(refused).toHaveLength(7);
    for (const r of ok) {
      expect(r).toMatchObject({ op: 'mcp:tools/call', server: 'every', tool: 'echo', client: 'three', error_code: null, error_class: null });
      expect(r.bytes_in).toBeGreaterThan(20);
      expect(r.bytes_out).toBeGreaterThan(20);
      expect(r.latency_ms).toBeGreaterThan(0);
    }
    for (const r of refused) expect(r).toMatchObject({ error_code: 'LR_ERR_RATE_LIMITED', error_class: 'client', tool: 'every__echo' });
    expect(String(refused[0]!.error_message)).toMatch(/rate limit reached/);
    // Filterable by server and tool; bodies (arguments, results) with log_bodies.
    const byTool = (await (await admin('/api/logs?server=every&tool=echo&bodies=1')).json() as { data: Record<string, unknown>[] }).data;
    expect(byTool.length).toBeGreaterThanOrEqual(4);
    expect(byTool.every((r) => r.server === 'every' && r.tool === 'echo')).toBe(true);
    expect(String(byTool[0]!.request_body)).toContain('"arguments"');
    expect(String(byTool[0]!.response_body)).toContain('Echo: ');
    // `localrouter logs --mcp --server every --tool echo` reads the same rows.
    const cli = await runCli(['--home', fx.home, 'logs', '--mcp', '--server', 'every', '--tool', 'echo', '--json']);
    expect(cli.code).toBe(0);
    expect((JSON.parse(cli.stdout) as { op: string }[]).every((r) => r.op === 'mcp:tools/call')).toBe(true);
    const table = await runCli(['--home', fx.home, 'logs', '--mcp', '--client', 'three']);
    expect(table.stdout).toMatch(/three\s+mcp every\/echo\s+200/);
    expect(table.stdout).toMatch(/three\s+mcp \?\/every__echo\s+429 rate_limited/);
    // LLM-only views leave MCP calls out.
    const llm = (await (await admin('/api/logs?kind=llm')).json() as { data: unknown[] }).data;
    expect(llm).toHaveLength(0);
  });

  it('shows the calls in /api/stats with server and tool as dimensions, and in /metrics', async () => {
    const summary = await (await admin('/api/stats/summary?range=1h')).json() as Record<string, { key: string; requests: number; errors: number }[]> & { since_start: { mcp_calls: number } };
    const every = summary.by_server.find((s) => s.key === 'every');
    expect(every?.requests).toBeGreaterThanOrEqual(6);
    expect(summary.by_tool.find((s) => s.key === 'every/echo')?.requests).toBe(5);
    expect(summary.since_start.mcp_calls).toBeGreaterThanOrEqual(15);
    const series = await (await admin('/api/stats/timeseries?dimension=tool&id=every%2Fecho&range=1h')).json() as { points: { value: number }[] };
    expect(series.points.reduce((n, p) => n + p.value, 0)).toBe(5);
    const metrics = await (await fetch(`${fx.origin}/metrics`)).text();
    expect(metrics).toMatch(/localrouter_mcp_calls_total\{server="every",tool="every\/echo",status="200"\} 5/);
    expect(metrics).toMatch(/localrouter_mcp_calls_total\{server="none",tool="tools\/call",status="429"\} 9/);
    expect(metrics).toMatch(/localrouter_mcp_call_duration_seconds_count\{server="every",tool="every\/echo"\} 5/);
    expect(metrics).toMatch(/localrouter_mcp_call_errors_total\{server="none",tool="tools\/call",class="client"\} 9/);
  });

  it('counts a tool result with isError: true as a tool error in the log, the stats and /metrics', async () => {
    const client = await connectClient(fx, fx.keys.erring);
    for (let i = 0; i < 2; i++) {
      const r = await client.callTool({ name: 'every__get-sum', arguments: { a: 'x', b: 2 } });
      expect(r.isError).toBe(true);
    }
    expect((await client.callTool({ name: 'every__get-sum', arguments: { a: 1, b: 2 } })).isError).toBeFalsy();
    await client.close();
    await new Promise((r) => setTimeout(r, 300));
    const rows = (await (await admin('/api/logs?kind=mcp&client=erring')).json() as { data: Record<string, unknown>[] }).data;
    expect(rows).toHaveLength(3);
    const failed = rows.filter((r) => r.error_class === 'tool');
    expect(failed).toHaveLength(2);
    for (const r of failed) expect(r).toMatchObject({ status: 200, error_code: null, tool: 'get-sum', error_message: 'the tool reported an error (isError: true)' });
    const errorsOnly = (await (await admin('/api/logs?kind=mcp&client=erring&status=error')).json() as { data: unknown[] }).data;
    expect(errorsOnly).toHaveLength(2);
    const summary = await (await admin('/api/stats/summary?range=1h')).json() as { by_tool: { key: string; requests: number; errors: number }[] };
    expect(summary.by_tool.find((s) => s.key === 'every/get-sum')).toMatchObject({ errors: 2 });
    const metrics = await (await fetch(`${fx.origin}/metrics`)).text();
    expect(metrics).toMatch(/localrouter_mcp_call_errors_total\{server="every",tool="every\/get-sum",class="tool"\} 2/);
  });
});
