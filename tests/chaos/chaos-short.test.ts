/**
 * The chaos suite's short form and a ~20 s soak, as part of `npm test`. Both run as child processes
 * (`tests/chaos/chaos.ts --short`, `tests/chaos/soak.ts`) against a real gateway and the chaos mock;
 * this file reads their JSON reports and holds every fault row to: nothing lost, no restart, every
 * answer correct, and the soak to no error and every request counted exactly once.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChaosReport, FaultResult } from './chaos.js';
import { FAULTS } from './faults.js';
import type { SoakReport } from './soak.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'lr-chaos-test-'));

interface Run<T> {
  code: number | null;
  output: string;
  report: T | null;
}

/** Runs one of the suite's scripts under tsx with a hard time limit; its JSON report is read back. */
function runScript<T>(script: string, args: string[], timeoutMs: number): Promise<Run<T>> {
  const json = path.join(dir, `${path.basename(script, '.ts')}.json`);
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', path.join(HERE, script), ...args, '--json', json], {
      cwd: ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024, env: { ...process.env, LOCALROUTER_LOG_LEVEL: 'info' },
    }, (err, stdout, stderr) => {
      let report: T | null = null;
      try {
        report = JSON.parse(readFileSync(json, 'utf8')) as T;
      } catch {
        // no report: the run failed before writing one (see output)
      }
      const code = err ? ((err as { code?: unknown }).code as number | null) ?? 1 : 0;
      resolve({ code: typeof code === 'number' ? code : 1, output: `${stdout}\n${stderr}`, report });
    });
  });
}

let chaos: Run<ChaosReport>;
let soak: Run<SoakReport>;

beforeAll(async () => {
  // The chaos run stops starting faults after 65 s (the rest are reported as not run), so it always
  // ends with a report well before it would be killed.
  chaos = await runScript<ChaosReport>('chaos.ts', ['--short', '--budget-s', '65'], 100_000);
  soak = await runScript<SoakReport>('soak.ts', ['--seconds', '20', '--concurrency', '32'], 60_000);
}, 170_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function row(name: string): FaultResult {
  expect(chaos.report, `chaos run wrote no report (exit ${chaos.code}):\n${chaos.output.slice(-3000)}`).not.toBeNull();
  const r = chaos.report!.results.find((x) => x.name === name);
  expect(r, `no row "${name}" in the chaos report`).toBeDefined();
  return r!;
}

function explain(r: FaultResult): string {
  const lines = [`${r.name}: ${r.correct}/${r.sent} correct, ${r.lost} lost, ${r.restarts} restarts`];
  for (const n of r.notes) lines.push(`  ! ${n}`);
  for (const f of r.failures) lines.push(`  ✗ ${f.label}: ${f.observed} — ${f.problems.join('; ')}`);
  return lines.join('\n');
}

describe('chaos suite, short form', () => {
  it('ran to the end', () => {
    expect(chaos.report, `exit ${chaos.code}:\n${chaos.output.slice(-3000)}`).not.toBeNull();
    expect(chaos.report!.results.length).toBe(FAULTS.length + 1);
  });

  it.each(FAULTS.map((f) => f.name))('%s: nothing lost, no restart, every answer correct', (name) => {
    const r = row(name);
    expect(r.sent).toBeGreaterThan(0);
    expect({ lost: r.lost, restarts: r.restarts, incorrect: r.sent - r.correct, notes: r.notes }, explain(r))
      .toEqual({ lost: 0, restarts: 0, incorrect: 0, notes: [] });
  });

  it('the gateway log holds no provider key', () => {
    const r = row('gateway log holds no provider key');
    expect(r.notes).toEqual([]);
  });
});

describe('soak, 20 s', () => {
  it('every request answered correctly and counted exactly once, gateway alive', () => {
    expect(soak.report, `soak wrote no report (exit ${soak.code}):\n${soak.output.slice(-3000)}`).not.toBeNull();
    const s = soak.report!;
    expect(s.sent).toBeGreaterThan(0);
    expect({ errors: s.errors, lost: s.lost, restarted: s.gatewayRestarted, counts: s.counts }, s.problems.join('\n'))
      .toEqual({ errors: 0, lost: 0, restarted: false, counts: { client: s.sent, gatewaySummary: s.sent, gatewayMetrics: s.sent, upstream: s.sent } });
  });
});
