import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    strategies: [{
      name: 'shaped',
      mcp: {
        tools: {
          every__echo: { name: 'say', title: 'Say it', description: 'Repeats what you say.' },
          'every__get-sum': { name: 'add_to_forty', fixed_arguments: { a: 40 } },
          // A new name another tool has is not applied.
          'every__get-env': { name: 'say' },
        },
        tool_limits: [{ tool: 'say', window: 'minute', max: 100 }],
      },
    }],
    clients: [{ name: 'shaped', strategy: 'shaped' }],
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

function textOf(result: unknown): string {
  return ((result as { content: { text?: string }[] }).content).map((c) => c.text ?? '').join('\n');
}

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
    expect(textOf(await client.callTool({ name: 'say', arguments: { message: 'shaped' } }))).toBe('Echo: shaped');
    expect(textOf(await client.callTool({ name: 'add_to_forty', arguments: { b: 2 } }))).toMatch(/\b42\b/);
    expect(textOf(await client.callTool({ name: 'add_to_forty', arguments: { a: 1, b: 2 } }))).toMatch(/\b42\b/);
    await expect(client.callTool({ name: 'every__echo', arguments: { message: 'x' } })).rejects.toThrow(/Unknown tool: every__echo/);
    await client.close();
  });

  it('leaves other strategies\' clients with the upstream tools as they are', async () => {
    const client = await connectClient(fx);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('every__echo');
    expect(names).not.toContain('say');
    expect(textOf(await client.callTool({ name: 'every__get-sum', arguments: { a: 1, b: 2 } }))).toMatch(/\b3\b/);
    await client.close();
  });
});
