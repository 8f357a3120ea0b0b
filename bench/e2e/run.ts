/**
 * `npm run bench`: the end-to-end rig. Per phase it starts a mock upstream with that phase's
 * delays, the null proxy and both gateway modes in front of it, then runs the phase's scenarios
 * with targets interleaved. Progress goes to stderr; stdout gets only the Markdown report.
 * Knobs: see bench/README.md (BENCH_QUICK, BENCH_ROUNDS, BENCH_DURATION_S, BENCH_TARGETS, ...).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ScenarioName, loadConfig, machineInfo } from './config.js';
import { type ExtendedFixtures, extendedSetup } from './extended-gateway.js';
import { LoadGenerator } from './load-generator.js';
import { ChildSet } from './processes.js';
import { renderMarkdown, writeJson } from './report.js';
import type { Check, Ctx, Row, ScenarioOutput } from './scenario-common.js';
import { p12 } from './scenario-accounting.js';
import { anthropic } from './scenario-anthropic.js';
import { p13 } from './scenario-cold-start.js';
import { p10 } from './scenario-fallback.js';
import { p11 } from './scenario-limits.js';
import { p15 } from './scenario-agent-body.js';
import { p8, p9 } from './scenario-memory.js';
import { m1 } from './scenario-monitoring.js';
import { p1, p6 } from './scenarios-latency.js';
import { p3, p4, p5 } from './scenarios-throughput.js';
import { type MockSettings, Stack, type StackOptions } from './stack.js';

type Scenario = (ctx: Ctx) => Promise<ScenarioOutput>;

interface Phase {
  label: string;
  mock: MockSettings;
  scenarios: [ScenarioName, Scenario][];
  stack?: StackOptions;
  /** Sets up what the phase's scenarios need before its stack starts. */
  extended?: boolean;
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

async function main(): Promise<number> {
  const cfg = loadConfig();
  const machine = machineInfo();
  const benchDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const started = Date.now();
  const children = new ChildSet();
  let current: Stack | null = null;
  let stopping = false;

  process.on('exit', () => children.killAllSync());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (stopping) return;
      stopping = true;
      log(`\n${sig}: stopping every process this run started`);
      void (async () => {
        await current?.close();
        await children.killAll();
        process.exit(130);
      })();
    });
  }

  const phases: Phase[] = [
    { label: '0 ms mock', mock: { ttfbMs: 0, deltaMs: 0, deltas: cfg.deltas }, scenarios: [['P1', p1], ['P6', p6], ['P5', p5], ['P4', p4], ['M1', m1], ['P15', p15]] },
    { label: `${cfg.slowTtfbMs} ms mock`, mock: { ttfbMs: cfg.slowTtfbMs, deltaMs: 0, deltas: cfg.deltas }, scenarios: [['P3', p3]] },
    { label: `${cfg.p9DeltaMs} ms between deltas`, mock: { ttfbMs: 0, deltaMs: cfg.p9DeltaMs, deltas: cfg.deltas }, scenarios: [['P9', p9]] },
    {
      label: '0 ms mock, extended gateway (Anthropic provider, failing providers, limits, prices)',
      mock: { ttfbMs: 0, deltaMs: 0, deltas: cfg.deltas },
      scenarios: [['anthropic', anthropic], ['P10', p10], ['P11', p11], ['P12', p12]],
      extended: true,
    },
    {
      label: `${cfg.p8Streams} slow streams (${cfg.p8Deltas} deltas ${cfg.p8DeltaMs} ms apart)`,
      mock: { ttfbMs: 0, deltaMs: cfg.p8DeltaMs, deltas: cfg.p8Deltas },
      scenarios: [['P8', p8]],
      // The gateway's default cap on connections to one provider (2,048) would queue the rest.
      stack: { extras: () => ({ cli: [], edit: (doc) => doc.setIn(['server', 'upstream_max_connections'], Math.max(2048, cfg.p8Streams + 100)) }) },
    },
    { label: 'cold start', mock: { ttfbMs: 0, deltaMs: 0, deltas: cfg.deltas }, scenarios: [['P13', p13]], stack: { mockOnly: true } },
  ];

  log(`bench: ${machine.cpu} × ${machine.cores}, Node ${machine.node}; targets ${cfg.targets.join(', ')}; ` +
    `scenarios ${cfg.scenarios.join(', ')}; ${cfg.rounds} rounds${cfg.quick ? ' (QUICK)' : ''}`);
  const rows: Row[] = [];
  const checks: Check[] = [];
  const errors: string[] = [];
  const raw: Record<string, unknown> = {};
  try {
    const load = await LoadGenerator.start(children, benchDir);
    for (const phase of phases) {
      const selected = phase.scenarios.filter(([name]) => cfg.scenarios.includes(name));
      if (selected.length === 0 || stopping) continue;
      log(`phase "${phase.label}": starting mock${phase.stack?.mockOnly ? '' : ', null proxy and gateways'}`);
      let extended: ExtendedFixtures | null = null;
      let options = phase.stack;
      if (phase.extended) {
        const setup = await extendedSetup(cfg);
        extended = setup.fixtures;
        options = { ...options, extras: setup.extras };
      }
      current = await Stack.start(phase.label, cfg, children, phase.mock, options);
      try {
        for (const [name, scenario] of selected) {
          const t0 = Date.now();
          log(`  ${name} ...`);
          const out = await scenario({ cfg, stack: current, load, log, children, extended });
          rows.push(...out.rows);
          checks.push(...out.checks);
          raw[name] = out.raw;
          log(`  ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        }
      } finally {
        await current.close();
        current = null;
      }
    }
  } catch (err) {
    errors.push((err as Error).stack ?? String(err));
    log(`\nbench failed: ${(err as Error).message}`);
  } finally {
    await children.killAll();
  }

  const wallS = (Date.now() - started) / 1000;
  const resultFile = writeJson(cfg, {
    kind: 'localrouter-e2e-bench', version: 1, machine, config: cfg, wallS, rows, checks, errors, raw,
  });
  process.stdout.write(`${renderMarkdown({ machine, cfg, rows, checks, errors, wallS, resultFile: path.relative(cfg.repoRoot, resultFile) })}\n`);
  return errors.length > 0 || checks.some((c) => !c.ok) ? 1 : 0;
}

process.exitCode = await main();
