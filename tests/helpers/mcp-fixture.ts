import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { generateClientKey } from '../../src/secrets/index.js';

/** Paths of the real MCP servers from npm (run with node, never downloaded at test time). */
export const EVERYTHING = path.resolve('node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM = path.resolve('node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');

export interface McpClientSpec {
  name: string;
  strategy?: string;
  limits?: Record<string, unknown>[];
  /** `oauth_login` of the client (the browser login). */
  oauthLogin?: { redirect_uris: string[] };
}

export interface McpGatewayFixture {
  gw: Gateway;
  home: string;
  /** `http://127.0.0.1:<port>` */
  origin: string;
  mcpUrl: URL;
  /** Keys by client name (the first client is `test`). */
  keys: Record<string, string>;
  key: string;
  close(): Promise<void>;
}

/** A real gateway on port 0 in a temp home, with the given MCP servers, strategies and clients. */
export async function startMcpGateway(opts: {
  servers: Record<string, unknown>[];
  mcp?: Record<string, unknown>;
  strategies?: Record<string, unknown>[];
  clients?: McpClientSpec[];
  env?: Record<string, string>;
  /** Monitoring settings (default: off). */
  monitoring?: Record<string, unknown>;
}): Promise<McpGatewayFixture> {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcp-'));
  const keys: Record<string, string> = {};
  const clients = [{ name: 'test' }, ...(opts.clients ?? [])].map((c, i) => {
    const k = generateClientKey();
    keys[c.name] = k.key;
    return {
      id: `c_mcpclient${String(i).padStart(2, '0')}`, name: c.name, key_hash: k.hash, key_prefix: k.prefix, enabled: true,
      created_at: new Date().toISOString(), ...((c as McpClientSpec).strategy ? { strategy: (c as McpClientSpec).strategy } : {}),
      ...((c as McpClientSpec).limits ? { limits: (c as McpClientSpec).limits } : {}),
      ...((c as McpClientSpec).oauthLogin ? { oauth_login: (c as McpClientSpec).oauthLogin } : {}),
    };
  });
  const config = {
    server: { shutdown_grace_ms: 500 },
    monitoring: opts.monitoring ?? { enabled: false },
    mcp_servers: opts.servers,
    mcp: { restart_initial_ms: 100, ...opts.mcp },
    strategies: opts.strategies ?? [],
    clients,
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const gw = await startGateway({ home, host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${gw.port}`;
  return {
    gw, home, origin, mcpUrl: new URL(`${origin}/mcp`), keys, key: keys.test!,
    close: async () => { await gw.close(); fs.rmSync(home, { recursive: true, force: true }); },
  };
}

/** The SDK's own client connected to the gateway's /mcp with `key`. */
export async function connectClient(fx: McpGatewayFixture, key = fx.key, capabilities: Record<string, unknown> = {}): Promise<Client> {
  const client = new Client({ name: 'test-client', version: '1.0.0' }, { capabilities });
  await client.connect(new StreamableHTTPClientTransport(fx.mcpUrl, { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** server-everything in Streamable HTTP mode on `port` (a free one by default); resolves once it listens. */
export async function startEverythingHttp(port?: number): Promise<{ url: string; port: number; proc: ChildProcess; stop(): Promise<void> }> {
  port ??= await freePort();
  const proc = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server-everything did not start')), 15_000);
    proc.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('listening')) { clearTimeout(timer); resolve(); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server-everything exited (${code})`)); });
  });
  return {
    url: `http://127.0.0.1:${port}/mcp`, port, proc,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    }),
  };
}

/** The text of a tool result's content items, one per line. */
export function toolText(result: unknown): string {
  return ((result as { content: { text?: string }[] }).content).map((c) => c.text ?? '').join('\n');
}

/**
 * A gateway over server-everything whose `shaped` client's strategy renames `echo` to `say`, fixes
 * `get-sum`'s `a` at 40 as `add_to_forty` (a rename onto a taken name is not applied), limits `say`,
 * and whose virtual server `maths` offers those two tools.
 */
export function shapedGatewayOptions(): Parameters<typeof startMcpGateway>[0] {
  return {
    servers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    strategies: [{
      name: 'shaped',
      mcp: {
        tools: {
          every__echo: { name: 'say', title: 'Say it', description: 'Repeats what you say.' },
          'every__get-sum': { name: 'add_to_forty', fixed_arguments: { a: 40 } },
          'every__get-env': { name: 'say' },
        },
        tool_limits: [{ tool: 'say', window: 'minute', max: 100 }],
      },
    }],
    clients: [{ name: 'shaped', strategy: 'shaped' }],
    mcp: { virtual_servers: [{ name: 'maths', servers: ['every'], tools: ['every/get-sum', 'every/echo'] }] },
  };
}
