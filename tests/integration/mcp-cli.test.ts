import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ToolListChangedNotificationSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { EVERYTHING, startMcpGateway, toolText, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { BIN, runCli, type CliResult } from '../helpers/cli-run.js';
import { main, type CliIo } from '../../src/cli/index.js';

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

  /**
   * A TCP relay in front of the gateway that counts the connections made to it and the HTTP
   * requests sent on them, by their request line (a JSON body cannot hold one: its CR LF would be
   * escaped).
   */
  async function countingRelay(port: number): Promise<{ url: URL; connections: () => number; requests: () => string[]; close(): Promise<void> }> {
    let connections = 0;
    const requests: string[] = [];
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((inbound) => {
      connections++;
      const outbound = net.connect(port, '127.0.0.1');
      sockets.add(inbound).add(outbound);
      // What was read but may hold the start of a request line split across reads.
      let tail = '';
      inbound.on('data', (chunk: Buffer) => {
        const text = tail + chunk.toString('latin1');
        let end = 0;
        for (const m of text.matchAll(/(GET|POST|DELETE) \/mcp HTTP\/1\.1\r\n/g)) {
          requests.push(`${m[1]!} /mcp`);
          end = m.index + m[0].length;
        }
        tail = text.slice(Math.max(end, text.length - 32));
      });
      inbound.pipe(outbound).pipe(inbound);
      const drop = (): void => { inbound.destroy(); outbound.destroy(); };
      inbound.on('error', drop).on('close', drop);
      outbound.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const relayPort = (relay.address() as net.AddressInfo).port;
    return {
      url: new URL(`http://127.0.0.1:${relayPort}/mcp`), connections: () => connections, requests: () => [...requests],
      close: () => new Promise<void>((resolve) => { for (const sock of sockets) sock.destroy(); relay.close(() => resolve()); }),
    };
  }

  it('sends each client message as one HTTP request on kept-alive connections: no connection, session or extra request per call', async () => {
    const relay = await countingRelay(fx.gw.port);
    try {
      const transport = new StdioClientTransport({
        command: process.execPath, args: [BIN, '--home', fx.home, 'mcp', 'bridge', '--url', relay.url.href],
        env: { ...process.env, LOCALROUTER_API_KEY: fx.key } as Record<string, string>, stderr: 'pipe',
      });
      let sent = 0;
      const send = transport.send.bind(transport);
      transport.send = (message: JSONRPCMessage) => { sent++; return send(message); };
      const client = new Client({ name: 'stdio-client', version: '1' });
      await client.connect(transport);
      await client.listTools();
      const connectionsBefore = relay.connections();
      const calls = 30;
      for (let i = 0; i < calls; i++) {
        const progress = await client.callTool({ name: 'every__trigger-long-running-operation', arguments: { duration: 0.002, steps: 2 } }, undefined, { onprogress: () => undefined });
        expect(JSON.stringify(progress)).toContain('completed');
        expect(toolText(await client.callTool({ name: 'every__echo', arguments: { message: `m${i}` } }))).toContain(`m${i}`);
      }
      // Connections the calls opened: the pool may take a second one while a finished call's
      // response stream is still being read, but never one per call.
      expect(relay.connections() - connectionsBefore).toBeLessThanOrEqual(2);
      const posts = relay.requests().filter((r) => r === 'POST /mcp').length;
      expect(posts).toBe(sent);
      // The listen stream, opened once after initialize.
      expect(relay.requests().filter((r) => r === 'GET /mcp').length).toBeLessThanOrEqual(1);
      await client.close();
    } finally {
      await relay.close();
    }
  }, 60_000);

  /**
   * `mcp bridge` run in this process (with the gateway it talks to): JSON-RPC lines in on its
   * stdin, its stdout read line by line. `next(id)` resolves with the messages written up to and
   * including the answer to `id`, and fails after 10 s of the real clock (kept before any fake).
   */
  function inProcessBridge(): { send(message: JSONRPCMessage): void; next(id: number): Promise<JSONRPCMessage[]>; stop(): Promise<number> } {
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    const io: CliIo = { stdin, stdout, stderr: new PassThrough(), env: { LOCALROUTER_SECRETS_BACKEND: 'file', LOCALROUTER_API_KEY: fx.key }, onStopSignal: () => () => undefined };
    const exit = main(['node', 'localrouter', '--home', fx.home, 'mcp', 'bridge', '--url', fx.mcpUrl.href], io);
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const read: JSONRPCMessage[] = [];
    let waiting: (() => void) | undefined;
    let partial = '';
    stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) if (line !== '') read.push(JSON.parse(line) as JSONRPCMessage);
      waiting?.();
    });
    return {
      send: (message) => { stdin.write(`${JSON.stringify(message)}\n`); },
      next: async (id) => {
        const deadline = performance.now() + 10_000;
        for (;;) {
          const at = read.findIndex((m) => 'id' in m && m.id === id && !('method' in m));
          if (at >= 0) return read.splice(0, at + 1);
          const left = deadline - performance.now();
          if (left <= 0) throw new Error(`no answer to request ${id} within 10 s`);
          await new Promise<void>((resolve) => {
            const timer = realSetTimeout(resolve, left);
            waiting = () => { realClearTimeout(timer); resolve(); };
          });
        }
      },
      stop: () => { stdin.end(); return exit; },
    };
  }

  it('relays a call, its progress included, without waiting on any timer (timers frozen: the bridge and the gateway\'s ingress run in this process)', async () => {
    const bridge = inProcessBridge();
    bridge.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    expect(await bridge.next(1)).toMatchObject([{ id: 1, result: { serverInfo: expect.anything() } }]);
    bridge.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      for (let id = 2; id < 12; id += 2) {
        bridge.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'every__echo', arguments: { message: `m${id}` } } });
        const echo = await bridge.next(id);
        expect(JSON.stringify(echo.at(-1))).toContain(`m${id}`);
        // server-everything waits between its steps in its own process; nothing here may.
        bridge.send({ jsonrpc: '2.0', id: id + 1, method: 'tools/call', params: { name: 'every__trigger-long-running-operation', arguments: { duration: 0.002, steps: 2 }, _meta: { progressToken: `p${id}` } } });
        const long = await bridge.next(id + 1);
        expect(long.flatMap((m) => (progressOf(m)?.token === `p${id}` ? [progressOf(m)!.value] : []))).toEqual([1, 2]);
        expect(JSON.stringify(long.at(-1))).toContain('completed');
      }
    } finally {
      vi.useRealTimers();
    }
    expect(await bridge.stop()).toBe(0);
  }, 60_000);

  it('mcp list shows the live state from the running gateway', async () => {
    fs.writeFileSync(path.join(fx.home, 'config.yaml'), fs.readFileSync(path.join(fx.home, 'config.yaml'), 'utf8').replace(/port: \d+/, ''));
    const list = await runCli(['--home', fx.home, 'mcp', 'list', '--json'], { env: { LOCALROUTER_PORT: String(fx.gw.port) } });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'every', state: 'ready', tools: expect.any(Number) }]);
  }, 60_000);
});
