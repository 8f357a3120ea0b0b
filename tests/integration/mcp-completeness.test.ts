import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, RELATED_TASK_META_KEY, ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * What the gateway passes on whole: the upstreams' instructions (one section per server, capped),
 * a resource URI two servers both list (the second one's namespaced, reads routed by it), and fields
 * no MCP revision defines yet, in their order, on list items and in results.
 */

const PROBE = path.resolve('tests/integration/fixtures/mcp-probe-server.mjs');
let fx: McpGatewayFixture;

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [
      { name: 'p1', transport: 'stdio', command: process.execPath, args: [PROBE, 'p1'] },
      { name: 'p2', transport: 'stdio', command: process.execPath, args: [PROBE, 'p2'] },
      { name: 'big', transport: 'stdio', command: process.execPath, args: [PROBE, 'big'], env: { PROBE_INSTRUCTIONS_BYTES: '20000' } },
      { name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] },
    ],
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
});

describe('MCP completeness', () => {
  it('merges the upstreams\' instructions into initialize: one section per server, each capped', async () => {
    const direct = new Client({ name: 'direct', version: '1' });
    await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
    const everything = direct.getInstructions()!;
    await direct.close();
    expect(everything.length).toBeGreaterThan(200);
    const client = await connectClient(fx);
    const text = client.getInstructions()!;
    expect(text).toContain('## p1');
    expect(text).toContain('Instructions of p1: call probe first.');
    expect(text).toContain('## p2');
    expect(text).toContain(everything.trim());
    const big = text.slice(text.indexOf('## big'), text.indexOf('## every'));
    expect(big).toContain('cut by LocalRouter');
    expect(big.length).toBeLessThan(9_000);
    await client.close();
  });

  it('namespaces a resource URI two servers list, and routes reads by the namespaced URI', async () => {
    const client = await connectClient(fx);
    const uris = (await client.listResources()).resources.map((r) => r.uri);
    expect(uris).toContain('shared://same');
    expect(uris).toContain('localrouter://p2/shared://same');
    expect(uris).toContain('localrouter://big/shared://same');
    expect(uris.filter((u) => u === 'shared://same')).toHaveLength(1);
    const read = async (uri: string): Promise<string> => {
      const r = await client.request({ method: 'resources/read', params: { uri } }, ResultSchema);
      const content = (r.contents as { uri: string; text: string }[])[0]!;
      // The upstream is asked for its own URI; the client gets back the one it asked for.
      expect(content.uri).toBe(uri);
      return content.text;
    };
    expect(await read('shared://same')).toBe('read from p1');
    expect(await read('localrouter://p2/shared://same')).toBe('read from p2');
    expect(await read('p2://own')).toBe('read from p2');
    await client.close();
  });

  it('namespaces a URI template two servers list, and routes reads of URIs matching it', async () => {
    const client = await connectClient(fx);
    const templates = (await client.listResourceTemplates()).resourceTemplates;
    const uris = templates.map((t) => t.uriTemplate);
    expect(uris.filter((u) => u === 'shared://items/{id}')).toHaveLength(1);
    expect(uris).toContain('localrouter://p2/shared://items/{id}');
    expect(uris).toContain('localrouter://big/shared://items/{id}');
    expect(templates.find((t) => t.uriTemplate === 'localrouter://p2/shared://items/{id}')).toMatchObject({ name: 'p2__item' });
    const read = async (uri: string): Promise<{ uri: string; text: string }> =>
      ((await client.request({ method: 'resources/read', params: { uri } }, ResultSchema)).contents as { uri: string; text: string }[])[0]!;
    expect(await read('shared://items/7')).toEqual({ uri: 'shared://items/7', text: 'read from p1: shared://items/7', futureContentField: 1 });
    expect(await read('localrouter://p2/shared://items/7')).toEqual({ uri: 'localrouter://p2/shared://items/7', text: 'read from p2: shared://items/7', futureContentField: 1 });
    expect(await read('localrouter://big/shared://items/x')).toMatchObject({ text: 'read from big: shared://items/x' });
    await client.close();
  });

  it('runs the task-augmented sampling and elicitation an upstream asks of its client: the *-async tools are listed and complete', async () => {
    const client = await connectClient(fx, fx.key, { sampling: {}, elicitation: { form: {} } });
    const asked: string[] = [];
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      // The client is asked a plain request: the gateway holds the task the upstream asked for.
      asked.push(`sampling task=${JSON.stringify((req.params as { task?: unknown }).task ?? null)}`);
      return { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled in a task' } };
    });
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(`elicitation task=${JSON.stringify((req.params as { task?: unknown }).task ?? null)}`);
      return { action: 'accept', content: { name: 'Grace Hopper' } };
    });
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toContain('every__trigger-sampling-request-async');
    expect(names).toContain('every__trigger-elicitation-request-async');
    const sampled = toolTextOf(await client.callTool({ name: 'every__trigger-sampling-request-async', arguments: { prompt: 'in a task' } }, undefined, { timeout: 30_000 }));
    expect(sampled).toMatch(/^\[COMPLETED\]/);
    expect(sampled).toContain('sampled in a task');
    expect(sampled).toMatch(/Task created: [0-9a-f]{32}/);
    const elicited = toolTextOf(await client.callTool({ name: 'every__trigger-elicitation-request-async', arguments: {} }, undefined, { timeout: 30_000 }));
    expect(elicited).toMatch(/^\[COMPLETED\]/);
    expect(elicited).toContain('- Name: Grace Hopper');
    expect(asked).toEqual(['sampling task=null', 'elicitation task=null']);
    await client.close();
  }, 40_000);

  it('fails an upstream task whose request the client refuses, and the upstream hears "failed"', async () => {
    const client = await connectClient(fx, fx.key, { sampling: {}, elicitation: { form: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async () => {
      throw new Error('no sampling today');
    });
    const text = toolTextOf(await client.callTool({ name: 'every__trigger-sampling-request-async', arguments: { prompt: 'refused' } }, undefined, { timeout: 30_000 }));
    expect(text).toMatch(/^\[FAILED\] .*no sampling today/);
    await client.close();
  }, 40_000);

  it('relays a task-augmented tool call and tasks/get, result, list and cancel, task ids namespaced and kept to their session', async () => {
    const a = await connectClient(fx);
    const b = await connectClient(fx);
    const tool = (await a.listTools()).tools.find((t) => t.name === 'every__simulate-research-query');
    expect(tool?.execution?.taskSupport).toBe('required');
    const start = async (topic: string): Promise<string> => {
      const created = await a.request({ method: 'tools/call', params: { name: 'every__simulate-research-query', arguments: { topic }, task: { ttl: 60_000 } } }, ResultSchema);
      return (created.task as { taskId: string }).taskId;
    };
    const id = await start('gateways');
    expect(id).toMatch(/^every__/);
    const ids = async (c: Client): Promise<string[]> => ((await c.request({ method: 'tasks/list', params: {} }, ResultSchema)).tasks as { taskId: string }[]).map((t) => t.taskId);
    expect(await ids(a)).toContain(id);
    // Another session neither sees nor reaches it.
    expect(await ids(b)).toEqual([]);
    await expect(b.request({ method: 'tasks/get', params: { taskId: id } }, ResultSchema)).rejects.toThrow(/not found/i);
    let task: Record<string, unknown> = {};
    for (const end = Date.now() + 20_000; Date.now() < end;) {
      task = await a.request({ method: 'tasks/get', params: { taskId: id } }, ResultSchema);
      if (task.status !== 'working') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(task).toMatchObject({ taskId: id, status: 'completed' });
    const result = await a.request({ method: 'tasks/result', params: { taskId: id } }, ResultSchema);
    expect(JSON.stringify(result.content)).toContain('gateways');
    const second = await start('cancelled topic');
    const cancelled = await a.request({ method: 'tasks/cancel', params: { taskId: second } }, ResultSchema);
    expect(cancelled).toMatchObject({ taskId: second, status: 'cancelled' });
    await a.close();
    await b.close();
  }, 60_000);

  it('asks the client for input a task needs (input_required) naming the task by the id the session knows', async () => {
    const client = await connectClient(fx, fx.key, { elicitation: { form: {} } });
    const related: unknown[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (req) => {
      related.push((req.params._meta as Record<string, unknown> | undefined)?.[RELATED_TASK_META_KEY]);
      return { action: 'accept', content: { interpretation: 'technical' } };
    });
    const created = await client.request({ method: 'tools/call', params: { name: 'every__simulate-research-query', arguments: { topic: 'python', ambiguous: true }, task: { ttl: 60_000 } } }, ResultSchema);
    const id = (created.task as { taskId: string }).taskId;
    expect(id).toMatch(/^every__/);
    const result = await client.request({ method: 'tasks/result', params: { taskId: id } }, ResultSchema, { timeout: 30_000 });
    expect(related).toEqual([{ taskId: id }]);
    expect(JSON.stringify(result.content)).toContain('input_required');
    await client.close();
  }, 40_000);

  it('passes fields no revision defines yet, in their order, on tools, prompts, resources and in results', async () => {
    const client = await connectClient(fx);
    const tools = (await client.request({ method: 'tools/list', params: {} }, ResultSchema)).tools as Record<string, unknown>[];
    const tool = tools.find((t) => t.name === 'p1__probe')!;
    expect(Object.keys(tool)).toEqual(['zFuture', 'name', 'inputSchema', 'description', 'aNew', '_meta']);
    expect(tool.zFuture).toEqual({ nested: [1, { deep: true }] });
    const prompts = (await client.request({ method: 'prompts/list', params: {} }, ResultSchema)).prompts as Record<string, unknown>[];
    expect(prompts.find((p) => p.name === 'p1__ask')).toEqual({ zFuture: 'p', name: 'p1__ask', description: 'a prompt', arguments: [{ name: 'q', futureArg: true }], aNew: 2 });
    const resources = (await client.request({ method: 'resources/list', params: {} }, ResultSchema)).resources as Record<string, unknown>[];
    expect(Object.keys(resources.find((r) => r.uri === 'shared://same')!)).toEqual(['zFuture', 'uri', 'name', 'mimeType', 'aNew']);
    const called = await client.request({ method: 'tools/call', params: { name: 'p1__probe', arguments: {} } }, ResultSchema);
    expect(JSON.stringify(called)).toBe('{"zeta":1,"content":[{"type":"text","text":"called p1","futureBlockField":true}],"alpha":{"nested":true}}');
    const got = await client.request({ method: 'prompts/get', params: { name: 'p2__ask' } }, ResultSchema);
    expect(JSON.stringify(got)).toBe('{"zeta":"z","messages":[{"role":"user","content":{"type":"text","text":"from p2"},"futureMessageField":1}]}');
    const read = await client.request({ method: 'resources/read', params: { uri: 'p1://own' } }, ResultSchema);
    expect(JSON.stringify(read)).toBe('{"contents":[{"uri":"p1://own","text":"read from p1","futureContentField":1}],"zResult":"p1"}');
    await client.close();
  });
});

function toolTextOf(result: unknown): string {
  return (result as { content: { type: string; text?: string }[] }).content.filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

describe('MCP tasks/list paging', () => {
  it('pages a session\'s tasks outward by mcp.page_size with an opaque cursor', async () => {
    const paged = await startMcpGateway({
      servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
      mcp: { page_size: 2 },
    });
    try {
      const client = await connectClient(paged);
      const started: string[] = [];
      for (const topic of ['one', 'two', 'three']) {
        const created = await client.request({ method: 'tools/call', params: { name: 'every__simulate-research-query', arguments: { topic }, task: { ttl: 60_000 } } }, ResultSchema);
        started.push((created.task as { taskId: string }).taskId);
      }
      const first = await client.request({ method: 'tasks/list', params: {} }, ResultSchema);
      expect(first.tasks).toHaveLength(2);
      expect(typeof first.nextCursor).toBe('string');
      const second = await client.request({ method: 'tasks/list', params: { cursor: first.nextCursor as string } }, ResultSchema);
      expect(second.tasks).toHaveLength(1);
      expect(second.nextCursor).toBeUndefined();
      const seen = [...(first.tasks as { taskId: string }[]), ...(second.tasks as { taskId: string }[])].map((t) => t.taskId).sort();
      expect(seen).toEqual([...started].sort());
      await expect(client.request({ method: 'tasks/list', params: { cursor: 'not-a-cursor' } }, ResultSchema)).rejects.toThrow(/Invalid cursor/);
      await client.close();
    } finally {
      await paged.close();
    }
  }, 60_000);
});
