// `npm run build`: bundles src/ into dist/ with esbuild and stamps the build, so that bin/localrouter
// can tell a current build from one older than the sources.
//
// One bundle per thread entry (the CLI and the gateway's main thread, the provider actor, the MCP
// actor, the classifier worker, the store writer), code they share split into chunks beside them.
// All files sit in dist/ itself: a worker entry is found beside the module that starts it
// (`moduleBeside`), whichever chunk that module ended up in. Bundled, a thread loads a handful of
// files instead of ~500 ES modules, which is most of its start time. Native addons stay outside.
// Types are checked by `tsc --noEmit` (`npm run typecheck`, part of `npm test`), not here.
// The web dashboard (ui/, React) is built by Vite into dist/ui, and only when ui/ changed since its
// last build (dist/ui survives the rebuild of the rest of dist/). Without Vite (an install without
// dev dependencies) the dashboard already built is kept.
// `--metafile <file>` also writes esbuild's metafile (which inputs went into which output, and which
// outputs each one imports statically): bench/micro/gateway/bundle-imports.mjs reads it.
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const metaAt = process.argv.indexOf('--metafile');
const metafile = metaAt >= 0 ? process.argv[metaAt + 1] : null;

const root = new URL('../', import.meta.url);
const dist = new URL('dist/', root).pathname;

const ENTRIES = {
  localrouter: 'src/cli/main.ts',
  'provider-actor': 'src/workers/provider-actor.ts',
  'mcp-actor': 'src/mcp/mcp-actor.ts',
  'classifier-worker': 'src/classifier/classifier-worker.ts',
  'store-writer-worker': 'src/metrics/store-writer-worker.ts',
};

/** Native addons (and the packages that load them by path) are required at run time from node_modules. */
const EXTERNAL = ['uWebSockets.js', 'better-sqlite3', '@napi-rs/keyring'];

const UI_OUT = 'ui';
for (const entry of existsSync(dist) ? readdirSync(dist) : []) {
  if (entry !== UI_OUT) rmSync(path.join(dist, entry), { recursive: true, force: true });
}
const result = await build({
  absWorkingDir: root.pathname,
  entryPoints: ENTRIES,
  outdir: dist,
  entryNames: '[name]',
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: EXTERNAL,
  // CommonJS packages inside an ES module bundle call `require`; give them one.
  banner: { js: "import { createRequire as __lrCreateRequire } from 'node:module'; const require = __lrCreateRequire(import.meta.url);" },
  // Each thread keeps its modules' source text in its heap (for lazy compilation): without the
  // whitespace that is about 7 MB less idle RSS with one provider actor. Names are kept, so stack
  // traces still name their functions; the linked source maps (read only with
  // `NODE_OPTIONS=--enable-source-maps`) give the src/ lines.
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  sourcesContent: false,
  logLevel: 'warning',
  metafile: metafile !== null,
});
if (metafile !== null) writeFileSync(metafile, JSON.stringify(result.metafile));
writeFileSync(new URL('.built', `file://${dist}`), `${new Date().toISOString()}\n`);
await buildUi();

/** Newest modification time under `dir` (ms). */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    max = Math.max(max, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return max;
}

async function buildUi() {
  const uiRoot = new URL('ui/', root).pathname;
  const stamp = path.join(dist, UI_OUT, '.built');
  if (!existsSync(uiRoot)) return;
  if (existsSync(stamp) && newest(uiRoot) <= statSync(stamp).mtimeMs) return;
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.warn('build: vite is not installed; the web dashboard in dist/ui is not rebuilt');
    return;
  }
  await vite.build({ configFile: path.join(uiRoot, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}
