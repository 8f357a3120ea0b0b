#!/usr/bin/env node
// `npm run bench [-- --quick]`: runs the end-to-end rig (bench/e2e/run.ts) through tsx, no build step.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const env = { ...process.env };
if (args.includes('--quick')) env.BENCH_QUICK = '1';
const entry = fileURLToPath(new URL('./e2e/run.ts', import.meta.url));
const child = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
