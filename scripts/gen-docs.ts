// `npm run docs`: writes docs/cli.md from the CLI's own help (commander) and docs/configuration.md
// from the config schema (zod, with the comments written beside its fields). tests/unit/docs checks
// that both files are what this script writes, so the reference cannot drift from the code.
// `--check` only compares, exiting 1 when a file differs.
import { readFileSync, writeFileSync } from 'node:fs';
import { cliReference, configurationReference } from './docs-reference.js';

const root = new URL('../', import.meta.url);
const targets: [string, string][] = [['docs/cli.md', cliReference()], ['docs/configuration.md', configurationReference()]];
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, text] of targets) {
  const url = new URL(file, root);
  let current = '';
  try {
    current = readFileSync(url, 'utf8');
  } catch { /* not written yet */ }
  if (current === text) continue;
  if (check) {
    console.error(`${file} is out of date: run npm run docs`);
    stale++;
  } else {
    writeFileSync(url, text);
    console.error(`wrote ${file}`);
  }
}
process.exit(stale > 0 ? 1 : 0);
