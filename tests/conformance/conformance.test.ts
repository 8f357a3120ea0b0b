import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcpGateway, type McpGatewayFixture } from '../helpers/mcp-fixture.js';
import { listScenarios, NODE22, notPassing, readExpected, REPO, SUITE, type Check } from './suite-helpers.js';

/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, every server scenario) run
 * against LocalRouter's /mcp, which fronts one STDIO server (fixture-server.ts) providing the names the
 * scenarios ask for, with `mcp.prefix: never` so those names reach the suite unchanged. The suite runs
 * under Node 22 (see suite-helpers.ts).
 */
const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixture-server.ts');

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

const SCENARIOS = listScenarios('server');
const EXPECTED = readExpected(['server']);

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
