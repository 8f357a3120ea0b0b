import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { parse, stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { UpstreamEngine } from '../../src/model/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import { startGatewayFixture, startTestGateway, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { connectClient, EVERYTHING, startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

// A gateway starts only what its config uses: provider actors once a provider is configured, the MCP
// SDK and actor with the first MCP request, a classifier once a strategy auto-routes. These tests
// change the config under a running gateway and check that what starts late works like what starts early.

/** Rewrites `<home>/config.yaml` in one rename, as an editor does; the gateway reloads it. */
function rewriteConfig(home: string, mutate: (cfg: any) => void): void {
  const file = path.join(home, 'config.yaml');
  const cfg = parse(fs.readFileSync(file, 'utf8'));
  mutate(cfg);
  fs.writeFileSync(`${file}.edit`, stringify(cfg));
  fs.renameSync(`${file}.edit`, file);
}

const POLL = { timeout: 10_000, interval: 50 };

// `auto` planned for 8 cores, where it has provider actors (on 2 cores it runs every call on the
// main thread: tests/integration/auto-execution.test.ts).
describe('provider actors start with the first provider', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture | null = null;

  beforeAll(async () => { mock = await startMockOpenAI(); });
  afterEach(async () => { await fx?.close(); fx = null; });
  afterAll(async () => { await mock?.close(); });

  // On 8 cores the reload starts the actor pool; on 2 it loads the main thread's engine, and calls
  // made once it is there run on the main thread however many overlap.
  it.each([8, 2])('a gateway with no provider holds no actor thread; a provider added by a reload is served (%i cores)', async (cores) => {
    fx = await startTestGateway({ providers: [], cores });
    expect(fx.gw.state.engine.stats().actors).toBe(0);
    const chat = (content = 'late'): Promise<Response> => fetch(`${fx!.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx!.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content }] }),
    });
    expect((await chat()).status).not.toBe(200);

    openSecretStore(fx.home).set('provider:mock', 'sk-upstream-test');
    rewriteConfig(fx.home, (cfg) => { cfg.providers = [{ name: 'mock', type: 'openai-compatible', base_url: mock.url }]; });
    await expect.poll(async () => (await chat()).status, POLL).toBe(200);
    const body = await (await chat()).json() as { choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe('echo: late');
    if (cores === 8) {
      expect(fx.gw.state.engine.stats().actors).toBe(1);
      return;
    }
    const engine = fx.gw.state.engine as UpstreamEngine & { localReady(): Promise<boolean> };
    expect(await engine.localReady()).toBe(true);
    const before = engine.stats().actors;
    const burst = await Promise.all(Array.from({ length: 16 }, (_, i) => chat(`burst ${i}`)));
    expect(burst.map((r) => r.status)).toEqual(Array(16).fill(200));
    expect(engine.stats().actors).toBe(before);
  });

  it('a provider configured at start is served by its actor from the first request', async () => {
    fx = await startGatewayFixture(mock.url, { cores: 8 });
    expect(fx.gw.state.engine.stats().actors).toBe(1);
    const res = await fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'early' }] }),
    });
    expect(res.status).toBe(200);
  });
});

describe('MCP with no server configured, then one added', () => {
  let fx: McpGatewayFixture;

  beforeAll(async () => { fx = await startMcpGateway({ servers: [] }); });
  afterAll(async () => { await fx?.close(); });

  it('/mcp answers with no server (empty lists), and serves the tools of a server a reload adds', async () => {
    const empty = await connectClient(fx);
    expect((await empty.listTools()).tools).toEqual([]);
    await empty.close();

    rewriteConfig(fx.home, (cfg) => {
      cfg.mcp_servers = [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }];
    });
    await expect.poll(async () => {
      const client = await connectClient(fx);
      try {
        return (await client.listTools()).tools.map((t) => t.name);
      } finally {
        await client.close();
      }
    }, POLL).toContain('every__echo');
    const client = await connectClient(fx);
    const answer = await client.callTool({ name: 'every__echo', arguments: { message: 'added by reload' } }) as { content: { text: string }[] };
    expect(answer.content[0]!.text).toBe('Echo: added by reload');
    await client.close();
  });
});

describe('a strategy switched to auto routing by a reload', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;

  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startGatewayFixture(mock.url, {
      server: { classifier_timeout_ms: 5000 },
      providers: [{ name: 'weak', type: 'openai-compatible', base_url: mock.url }],
    });
  });
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
  });

  it('routes through the classifier it names', async () => {
    const ask = (): Promise<Response> => fetch(`${fx.baseURL}/chat/completions`, {
      method: 'POST', headers: { authorization: `Bearer ${fx.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'localrouter/auto', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect((await ask()).headers.get('x-localrouter-route')).toBeNull();

    rewriteConfig(fx.home, (cfg) => {
      // Threshold 1: every score is below it, so the weak side answers.
      cfg.strategies = [{ name: 'default', auto: { strong_models: ['mock/echo'], weak_models: ['weak/echo'], classifier: 'hashlr', threshold: 1 } }];
    });
    await expect.poll(async () => (await ask()).headers.get('x-localrouter-route'), POLL).toMatch(/^weak; classifier=hashlr; score=[\d.]+; threshold=1(\.0+)?$/);
    const res = await ask();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-localrouter-provider')).toBe('weak');
  });
});

describe('the compiled gateway with the default config and one client', () => {
  const BIN = path.resolve(import.meta.dirname, '../../bin/localrouter');
  let child: ChildProcess;
  let home: string;
  let origin: string;
  let key: string;

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-ondemand-'));
    const k = generateClientKey();
    key = k.key;
    fs.writeFileSync(path.join(home, 'config.yaml'), stringify({
      clients: [{ id: 'c_ondemand0001', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
    }), { mode: 0o600 });
    child = spawn(process.execPath, [BIN, '--home', home, 'serve', '--port', '0'], {
      env: { ...process.env, LOCALROUTER_LOG_LEVEL: 'error', LOCALROUTER_SECRETS_BACKEND: 'file' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr!.resume();
    origin = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
        if (url !== undefined) resolve(url);
      });
      child.once('exit', (code) => reject(new Error(`the gateway exited with code ${code}`)));
    });
  });
  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(home, { recursive: true, force: true });
  });

  const withKey = (): { headers: Record<string, string> } => ({ headers: { authorization: `Bearer ${key}` } });

  it('answers /mcp (Streamable HTTP) with empty lists, the MCP SDK loaded by the first request', async () => {
    const client = new Client({ name: 'on-demand', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${origin}/mcp`), { requestInit: withKey() }));
    expect((await client.listTools()).tools).toEqual([]);
    expect((await client.listPrompts()).prompts).toEqual([]);
    await client.close();
  });

  it('answers the legacy /sse + /messages endpoints with empty lists', async () => {
    const client = new Client({ name: 'on-demand-legacy', version: '1' });
    const { headers } = withKey();
    await client.connect(new SSEClientTransport(new URL(`${origin}/sse`), {
      requestInit: { headers },
      eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
    }));
    expect((await client.listTools()).tools).toEqual([]);
    await client.close();
  });

  it('answers /v1/models (an empty list) and /health with no provider', async () => {
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(200);
    const models = await fetch(`${origin}/v1/models`, withKey());
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: unknown[] }).data).toEqual([]);
  });
});
