import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGatewayFixture, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { EVERYTHING } from '../helpers/mcp-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

let mock: MockOpenAI;
beforeAll(async () => { mock = await startMockOpenAI(); });
afterAll(async () => { await mock.close(); });

// `mcp.sampling: gateway`: an upstream MCP server's sampling request is answered by the gateway's
// own LLM path (the engine), as the client whose tool call caused it.
describe.each(['workers', 'inline'] as const)('MCP sampling through the gateway (%s)', (execution) => {
  let fx: GatewayFixture;
  beforeAll(async () => {
    fx = await startGatewayFixture(mock.url, {
      execution,
      mcpServers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
      mcp: { sampling: 'gateway', sampling_model: 'mock/echo' },
    });
  }, 60_000);
  afterAll(async () => { await fx?.close(); });

  it('answers an upstream sampling request through the engine, with the configured model', async () => {
    const client = new Client({ name: 'no-sampling', version: '1' }, { capabilities: {} });
    const origin = fx.baseURL.replace(/\/v1$/, '');
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${fx.key}` } } }));
    try {
      const before = mock.seen.length;
      const result = await client.callTool({ name: 'every__trigger-sampling-request', arguments: { prompt: 'ping-sample', maxTokens: 20 } });
      const text = (result.content as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
      expect(text).toContain('echo: ');
      expect(text).toContain('ping-sample');
      const upstream = mock.seen.slice(before).filter((r) => r.url === '/v1/chat/completions');
      expect(upstream.map((r) => [r.body.model, r.body.stream])).toEqual([['echo', false]]);
    } finally {
      await client.close();
    }
  });
});
