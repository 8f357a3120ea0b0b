import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { runCli } from '../helpers/cli-run.js';
import { connectClient, startMcpGateway, type McpGatewayFixture, toolText, shapedGatewayOptions } from '../helpers/mcp-fixture.js';

let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway(shapedGatewayOptions());
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

describe('tool shaping per strategy', () => {
  it('lists renamed, retitled and redescribed tools, with fixed arguments gone from the schema', async () => {
    const client = await connectClient(fx, fx.keys.shaped);
    const tools = (await client.listTools()).tools;
    const names = tools.map((t) => t.name);
    expect(names).toContain('say');
    expect(names).toContain('add_to_forty');
    expect(names).toContain('every__get-env');
    expect(names).not.toContain('every__echo');
    expect(names).not.toContain('every__get-sum');
    const say = tools.find((t) => t.name === 'say')!;
    expect(say).toMatchObject({ title: 'Say it', description: 'Repeats what you say.' });
    expect(Object.keys(say.inputSchema.properties ?? {})).toEqual(['message']);
    const add = tools.find((t) => t.name === 'add_to_forty')!;
    expect(Object.keys(add.inputSchema.properties ?? {})).toEqual(['b']);
    expect(add.inputSchema.required ?? []).not.toContain('a');
    await client.close();
  });

  it('routes calls of the shaped names upstream with the original name and the fixed arguments (which a client cannot override)', async () => {
    const client = await connectClient(fx, fx.keys.shaped);
    expect(toolText(await client.callTool({ name: 'say', arguments: { message: 'shaped' } }))).toBe('Echo: shaped');
    expect(toolText(await client.callTool({ name: 'add_to_forty', arguments: { b: 2 } }))).toMatch(/\b42\b/);
    expect(toolText(await client.callTool({ name: 'add_to_forty', arguments: { a: 1, b: 2 } }))).toMatch(/\b42\b/);
    await expect(client.callTool({ name: 'every__echo', arguments: { message: 'x' } })).rejects.toThrow(/Unknown tool: every__echo/);
    await client.close();
  });

  it('leaves other strategies\' clients with the upstream tools as they are', async () => {
    const client = await connectClient(fx);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('every__echo');
    expect(names).not.toContain('say');
    expect(toolText(await client.callTool({ name: 'every__get-sum', arguments: { a: 1, b: 2 } }))).toMatch(/\b3\b/);
    await client.close();
  });

  it('serves a virtual server at /mcp/<name>: only its tools, shaped as the strategy says, and its sessions only there', async () => {
    const open = async (key: string, path: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
      const client = new Client({ name: 'vs', version: '1' });
      const transport = new StreamableHTTPClientTransport(new URL(`${fx.origin}${path}`), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
      await client.connect(transport);
      return { client, transport };
    };
    const plain = await open(fx.key, '/mcp/maths');
    expect((await plain.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['every__echo', 'every__get-sum']);
    expect(toolText(await plain.client.callTool({ name: 'every__get-sum', arguments: { a: 2, b: 3 } }))).toMatch(/\b5\b/);
    await expect(plain.client.callTool({ name: 'every__get-env', arguments: {} })).rejects.toThrow(/Unknown tool/);
    // A session of /mcp/maths is unknown on /mcp.
    const elsewhere = await fetch(fx.mcpUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': plain.transport.sessionId! },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(elsewhere.status).toBe(404);
    await plain.client.close();
    const shaped = await open(fx.keys.shaped!, '/mcp/maths');
    expect((await shaped.client.listTools()).tools.map((t) => t.name).sort()).toEqual(['add_to_forty', 'say']);
    await shaped.client.close();
    const none = await fetch(`${fx.origin}/mcp/nope`, { method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { message: string } }).error.message).toMatch(/not a virtual server/);
  });

  it('adds, lists and removes a virtual server from the CLI, and the running gateway serves it at once', async () => {
    const add = await runCli(['--home', fx.home, 'mcp', 'virtual', 'add', 'sums', '--server', 'every', '--tool', 'every/get-sum']);
    expect(add.code).toBe(0);
    expect(add.stdout).toMatch(/added virtual MCP server "sums" at http:\/\/127\.0\.0\.1:\d+\/mcp\/sums/);
    const list = await runCli(['--home', fx.home, 'mcp', 'virtual', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toContainEqual({ name: 'sums', servers: ['every'], tools: ['every/get-sum'] });
    const tools = async (): Promise<string[] | number> => {
      const client = new Client({ name: 'vs', version: '1' });
      try {
        await client.connect(new StreamableHTTPClientTransport(new URL(`${fx.origin}/mcp/sums`), { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
        return (await client.listTools()).tools.map((t) => t.name);
      } catch (err) {
        return (err as { code?: number }).code ?? -1;
      } finally {
        await client.close();
      }
    };
    let seen: string[] | number = -1;
    for (let i = 0; i < 50 && !Array.isArray(seen); i++) {
      seen = await tools();
      if (!Array.isArray(seen)) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toEqual(['every__get-sum']);
    expect((await runCli(['--home', fx.home, 'mcp', 'virtual', 'add', 'bad/name'])).code).not.toBe(0);
    expect((await runCli(['--home', fx.home, 'mcp', 'virtual', 'add', 'sse'])).stderr).toMatch(/legacy endpoints/);
    const removed = await runCli(['--home', fx.home, 'mcp', 'virtual', 'remove', 'sums']);
    expect(removed.code).toBe(0);
    const again = await runCli(['--home', fx.home, 'mcp', 'virtual', 'remove', 'sums']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/no virtual MCP server named "sums"/);
    let gone = false;
    for (let i = 0; i < 50 && !gone; i++) {
      const res = await fetch(`${fx.origin}/mcp/sums`, { method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' }, body: '{}' });
      gone = res.status === 404;
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    expect(gone).toBe(true);
  });
});
