import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = path.resolve(import.meta.dirname, '../../../dist');

/** Every file of dist/ that `file` loads through static imports (dynamic `import()` excluded), itself included. */
function staticClosure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  const text = readFileSync(path.join(DIST, file), 'utf8');
  for (const m of text.matchAll(/(?:^|[;\s}])import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+)["']/g)) staticClosure(m[1]!, seen);
  return seen;
}

/** The sources bundled into `file`, from its source map. */
function bundledSources(file: string): string[] {
  const map = JSON.parse(readFileSync(path.join(DIST, `${file}.map`), 'utf8')) as { sources: string[] };
  return map.sources;
}

/**
 * What every start of the gateway and every CLI command compiles before doing anything: the
 * compiled entry's static import closure. Libraries a default config never uses are loaded when
 * first needed, not here (each costs tens of milliseconds of launch time).
 */
describe('the compiled entry point loads only what a start needs', () => {
  it('has no JSONata, Ajv or zod locale files (English aside) in its static import closure', () => {
    expect(existsSync(path.join(DIST, 'localrouter.js')), 'dist/ is missing: run npm run build').toBe(true);
    const sources = [...staticClosure('localrouter.js')].flatMap(bundledSources);
    expect(sources.length).toBeGreaterThan(50);
    const heavy = sources.filter((s) => /node_modules\/(jsonata|ajv|ajv-formats)\/|(zod\/v4\/locales\/(?!en\.js))/.test(s));
    expect(heavy).toEqual([]);
  });

  it('starts the MCP actor without the provider adapters (it shares only the SSE framing, from the model)', () => {
    const sources = [...staticClosure('mcp-actor.js')].flatMap(bundledSources);
    expect(sources.some((s) => s.includes('src/mcp/mcp-actor.ts'))).toBe(true);
    expect(sources.filter((s) => s.includes('src/providers/'))).toEqual([]);
  });
});
