import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string; version: string } | null = null;

/**
 * The LocalRouter checkout or package this code runs from: the nearest folder above this module with
 * LocalRouter's package.json. Found by walking up, because the module sits at a different depth in
 * the sources (src/config/) and in the bundled build (dist/).
 */
function installation(): { root: string; version: string } {
  if (cached) return cached;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'localrouter') return (cached = { root: dir, version: pkg.version ?? '0.0.0' });
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('LocalRouter package.json not found above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** The installation's root folder (where package.json, models/ and dist/ are). */
export function installRoot(): string {
  return installation().root;
}

/** LocalRouter's version, from its package.json. */
export function packageVersion(): string {
  return installation().version;
}
