// `npm run build`: compiles src/ to dist/ (tsc, incremental) and stamps the build, so that
// bin/localrouter can tell a current build from one older than the sources.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const root = new URL('../', import.meta.url);
const result = spawnSync(process.execPath, [tsc, '-p', new URL('tsconfig.build.json', root).pathname], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(new URL('dist/', root), { recursive: true });
writeFileSync(new URL('dist/.built', root), `${new Date().toISOString()}\n`);
