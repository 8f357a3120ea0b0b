#!/usr/bin/env node
// `npm run bench [-- --quick]`: runs the end-to-end rig (bench/e2e/run.ts) through tsx. The gateways
// it measures run `bin/localrouter`, which runs the TypeScript sources through tsx when dist/ is
// older than src/ (twice the CPU and ~70 MB more RSS): a stale or missing build is rebuilt first, so
// every figure is the compiled build's.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Newest modification time under `dir` (ms). */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = `${dir}/${e.name}`;
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

/** Whether bin/localrouter would run dist/, as it decides itself (dist/.built newer than every file in src/). */
function builtIsCurrent() {
  try {
    return newest(`${root}/src`) <= statSync(`${root}/dist/.built`).mtimeMs;
  } catch {
    return false;
  }
}

if (!builtIsCurrent()) {
  process.stderr.write('bench: dist/ is older than src/ (or missing): building it first (npm run build)\n');
  const built = spawnSync(process.execPath, [`${root}/scripts/build.mjs`], { stdio: 'inherit', cwd: root });
  if (built.status !== 0 || !builtIsCurrent()) {
    process.stderr.write('bench: the build failed; nothing measured (the gateways would run the sources through tsx)\n');
    process.exit(1);
  }
}

const args = process.argv.slice(2);
const env = { ...process.env };
if (args.includes('--quick')) env.BENCH_QUICK = '1';
const entry = fileURLToPath(new URL('./e2e/run.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
