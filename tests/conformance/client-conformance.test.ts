import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findChecks, listScenarios, NODE22, notPassing, readExpected, REPO, SUITE, type Check } from './suite-helpers.js';

/**
 * The official MCP conformance suite's client scenarios (`@modelcontextprotocol/conformance` 0.1.16)
 * against LocalRouter's upstream side: for each scenario the suite starts its server and runs
 * client-harness.ts, which puts a gateway in front of it (a config naming it, `localrouter mcp login`
 * for the auth scenarios, then tools listed and called through /mcp). Scenarios run a few at a time,
 * each with its own output directory. Failures are compared with the `client:` section (the suite is
 * wrong) and the `client_gaps:` section (the gateway lacks the feature) of expected-failures.yml,
 * like the server scenarios in conformance.test.ts.
 */
const HARNESS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'client-harness.ts');
/** Scenarios run at once: each starts a gateway (2 cores are shared with everything else). */
const CONCURRENCY = 4;
/** Scenarios that measure the client's timing (a reconnect within 500 ms ± 200): run alone, after the rest. */
const TIMING = new Set(['sse-retry']);
/** Per scenario: the harness starts a gateway and may wait for a login; loaded machines are slow. */
const SCENARIO_TIMEOUT_MS = 120_000;

function runScenario(scenario: string, outDir: string): Promise<{ checks: Check[] | undefined; log: string }> {
  const dir = path.join(outDir, scenario.replace(/\//g, '_'));
  fs.mkdirSync(dir, { recursive: true });
  const command = `${process.execPath} --import tsx ${HARNESS}`;
  return new Promise((resolve) => {
    execFile(NODE22, [SUITE, 'client', '--command', command, '--scenario', scenario, '--timeout', String(SCENARIO_TIMEOUT_MS), '--output-dir', dir],
      { cwd: REPO, timeout: SCENARIO_TIMEOUT_MS + 30_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => resolve({ checks: findChecks(dir), log: `${stdout}\n${stderr}${err ? `\n(exit: ${err.code ?? err.signal})` : ''}` }));
  });
}

const SCENARIOS = listScenarios('client');
const EXPECTED = readExpected(['client', 'client_gaps']);
const results = new Map<string, { checks: Check[] | undefined; log: string }>();
let outDir: string;

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-conformance-client-out-'));
  const queue = SCENARIOS.filter((s) => !TIMING.has(s));
  const worker = async (): Promise<void> => {
    for (let s = queue.shift(); s !== undefined; s = queue.shift()) results.set(s, await runScenario(s, outDir));
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  for (const s of SCENARIOS.filter((x) => TIMING.has(x))) results.set(s, await runScenario(s, outDir));
}, Math.ceil(26 / CONCURRENCY + 1) * (SCENARIO_TIMEOUT_MS + 30_000));

afterAll(() => {
  if (outDir !== undefined) fs.rmSync(outDir, { recursive: true, force: true });
});

describe('MCP conformance suite (client scenarios) against the gateway\'s upstream side', () => {
  it('lists client scenarios, including the auth ones', () => {
    expect(SCENARIOS.length).toBeGreaterThan(20);
    expect(SCENARIOS).toContain('auth/metadata-default');
  });

  it.each(SCENARIOS)('%s', (scenario) => {
    const result = results.get(scenario)!;
    expect(result.checks, `scenario did not run; suite output:\n${result.log.slice(-4000)}`).toBeDefined();
    const bad = notPassing(result.checks!).map((c) => ({ id: c.id, status: c.status, error: c.errorMessage ?? '' }));
    const expected = EXPECTED[scenario];
    if (expected === undefined) {
      expect(bad, `${scenario} does not pass and is not in expected-failures.yml; suite output:\n${result.log.slice(-3000)}`).toEqual([]);
      return;
    }
    expect(bad.length, `${scenario} now passes: remove it from expected-failures.yml`).toBeGreaterThan(0);
    expect(bad.map((c) => c.id).sort(), `${scenario}: the checks that do not pass are not the ones expected-failures.yml names`)
      .toEqual([...expected.checks].sort());
  });

  it('expected-failures.yml lists only client scenarios of the suite, each with a reason and its checks', () => {
    for (const [scenario, entry] of Object.entries(EXPECTED)) {
      expect(SCENARIOS, `expected-failures.yml names ${scenario}, which the suite no longer has`).toContain(scenario);
      expect(typeof entry?.reason === 'string' && entry.reason.trim().length > 20, `${scenario}: reason missing`).toBe(true);
      expect(Array.isArray(entry?.checks) && entry.checks.length > 0, `${scenario}: checks missing`).toBe(true);
    }
  });
});
