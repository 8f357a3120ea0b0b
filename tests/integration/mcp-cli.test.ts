import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { BIN, runCli, type CliResult } from '../helpers/cli-run.js';

/** Runs `localrouter --home <home> ...args` in this process, with the file secret store. */
function run(home: string, args: string[], input?: string): Promise<CliResult> {
  return runCli(['--home', home, ...args], { input });
}

describe('localrouter mcp add / list / tools / remove', () => {
  it('manages servers in the config, secrets in the store, and lists tools directly', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcpcli-'));
    try {
      const add = await run(home, ['mcp', 'add', 'every', '--stdio', `"${process.execPath}" ${EVERYTHING} stdio`, '--env', 'A=1', '--secret-env', 'TOKEN'], 'sekret\n');
      expect(add.code, add.stderr).toBe(0);
      const add2 = await run(home, ['mcp', 'add', 'remote', '--url', 'http://127.0.0.1:9/mcp', '--header', 'X-Team: blue', '--transport', 'sse']);
      expect(add2.code, add2.stderr).toBe(0);
      const cfg = parse(fs.readFileSync(path.join(home, 'config.yaml'), 'utf8')) as { mcp_servers: Record<string, unknown>[] };
      expect(cfg.mcp_servers[0]).toMatchObject({ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], env: { A: '1' } });
      expect(cfg.mcp_servers[1]).toMatchObject({ name: 'remote', transport: 'sse', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Team': 'blue' } });
      expect(JSON.stringify(cfg)).not.toContain('sekret');
      expect(JSON.parse(openSecretStore(home, { backend: 'file' }).get('mcp:every')!)).toEqual({ env: { TOKEN: 'sekret' } });

      expect((await run(home, ['mcp', 'add', 'bad__name', '--url', 'http://x/'])).code).toBe(2);
      expect((await run(home, ['mcp', 'add', 'both', '--url', 'http://x/', '--stdio', 'x'])).code).toBe(2);

      const list = await run(home, ['mcp', 'list', '--json']);
      expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'every', state: 'gateway not running' }, { name: 'remote', transport: 'sse' }]);

      const tools = await run(home, ['mcp', 'tools', 'every', '--json']);
      expect(tools.code, tools.stderr).toBe(0);
      const names = (JSON.parse(tools.stdout) as { name: string }[]).map((t) => t.name);
      expect(names).toContain('echo');
      expect(names).toContain('get-env');

      expect((await run(home, ['mcp', 'remove', 'every'])).code).toBe(0);
      expect(openSecretStore(home, { backend: 'file' }).get('mcp:every')).toBeUndefined();
      expect((await run(home, ['mcp', 'remove', 'every'])).code).toBe(1);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('localrouter mcp bridge and mcp list against a running gateway', () => {
  let fx: McpGatewayFixture;
  beforeAll(async () => {
    fx = await startMcpGateway({ servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }] });
  }, 60_000);
  afterAll(async () => { await fx?.close(); });

  /**
   * The SDK's client on a `mcp bridge` process, with every message the bridge wrote, in the order
   * read. The SDK's `Client` calls a handler already set on its transport first, for each message
   * as it is read, before its own dispatch (which runs notification handlers a microtask later).
   */
  async function bridgeClient(): Promise<{ client: Client; wire: JSONRPCMessage[] }> {
    const transport = new StdioClientTransport({
      command: process.execPath, args: [BIN, '--home', fx.home, 'mcp', 'bridge', '--url', fx.mcpUrl.href],
      env: { ...process.env, LOCALROUTER_API_KEY: fx.key } as Record<string, string>, stderr: 'pipe',
    });
    const wire: JSONRPCMessage[] = [];
    transport.onmessage = (message) => { wire.push(message); };
    const client = new Client({ name: 'stdio-client', version: '1' });
    await client.connect(transport);
    return { client, wire };
  }

  /** The token and value of a progress notification; null for any other message. */
  function progressOf(m: JSONRPCMessage): { token: unknown; value: unknown } | null {
    if (!('method' in m) || m.method !== 'notifications/progress') return null;
    return { token: m.params?.progressToken, value: m.params?.progress };
  }

  /** For each answered request that had progress on the wire: its progress values before the answer, and any after it. */
  function progressAroundAnswers(wire: JSONRPCMessage[]): { before: unknown[]; after: unknown[] }[] {
    return wire.flatMap((m, at) => {
      if (!('result' in m)) return [];
      const values = (ms: JSONRPCMessage[]): unknown[] => ms.flatMap((n) => {
        const p = progressOf(n);
        return p !== null && p.token === m.id ? [p.value] : [];
      });
      return [{ before: values(wire.slice(0, at)), after: values(wire.slice(at + 1)) }];
    }).filter((c) => c.before.length > 0 || c.after.length > 0);
  }

  it('writes every progress notification of a call before its result, also when the upstream sends the last one right before it', async () => {
    const { client, wire } = await bridgeClient();
    const calls = 40;
    for (let i = 0; i < calls; i++) {
      // 1 ms steps: the upstream writes its last progress notification and the result back to back.
      const result = await client.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.003, steps: 3 } }, undefined, { onprogress: () => undefined });
      expect(JSON.stringify(result)).toContain('completed');
    }
    await client.close();
    expect(progressAroundAnswers(wire)).toEqual(Array.from({ length: calls }, () => ({ before: [1, 2, 3], after: [] })));
  }, 60_000);

  it('relays a STDIO client to /mcp both ways, notifications included', async () => {
    const { client, wire } = await bridgeClient();
    let listChanged = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => { listChanged++; });
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toContain('every__echo');
    const progress: number[] = [];
    const result = await client.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(JSON.stringify(result)).toContain('completed');
    // The bridge writes all three before the result. The SDK client hands a notification to its
    // handler a microtask later but settles a response at once, so when the last progress and the
    // result come in one read of the pipe, it drops that progress ("unknown token",
    // modelcontextprotocol/typescript-sdk#2580): the same happens with the upstream run directly.
    expect(progressAroundAnswers(wire)).toEqual([{ before: [1, 2, 3], after: [] }]);
    expect([[1, 2, 3], [1, 2]]).toContainEqual(progress);
    await client.close();
    void listChanged;
  }, 60_000);

  it('mcp list shows the live state from the running gateway', async () => {
    fs.writeFileSync(path.join(fx.home, 'config.yaml'), fs.readFileSync(path.join(fx.home, 'config.yaml'), 'utf8').replace(/port: \d+/, ''));
    const list = await runCli(['--home', fx.home, 'mcp', 'list', '--json'], { env: { LOCALROUTER_PORT: String(fx.gw.port) } });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'every', state: 'ready', tools: expect.any(Number) }]);
  }, 60_000);
});
