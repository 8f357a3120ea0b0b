import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(new URL('../../../src', import.meta.url).pathname);
/**
 * Thread plumbing every side of a hop shares: the message types (architecture.md: they live only in
 * protocol.ts), their codecs and the per-turn frame batcher, imported directly by worker entries so
 * that a worker thread does not load the whole workers module (and the provider engine with it).
 */
const SHARED = new Set(['workers/protocol.js', 'workers/frame-batcher.js', 'workers/classifier-codec.js', 'workers/mcp-codec.js']);

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

describe('module boundaries', () => {
  it('each src/<area> is entered only through its index.ts (style: one public door per folder)', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const area = path.relative(SRC, file).split(path.sep)[0];
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), m[1]!));
        const [targetArea, ...rest] = target.split(path.sep);
        if (targetArea === area || targetArea === '..' || rest.length === 0) continue;
        const inner = rest.join('/');
        if (inner === 'index.js' || SHARED.has(`${targetArea}/${inner}`)) continue;
        violations.push(`${path.relative(SRC, file)} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('the HTTP folders are layered: ingress below the fronts, the fronts below the composition root (gateway)', () => {
    // Who each folder may not import: the ingress knows no front; a front knows no other front (but
    // MCP sampling runs on the LLM front) and not the root; only the serve command reaches the root.
    const forbidden: Record<string, string[]> = {
      ingress: ['llm-api', 'mcp-api', 'admin-api', 'gateway'],
      'llm-api': ['mcp-api', 'admin-api', 'gateway'],
      'mcp-api': ['admin-api', 'gateway'],
      'admin-api': ['llm-api', 'mcp-api', 'gateway'],
    };
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const area = path.relative(SRC, file).split(path.sep)[0]!;
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from |import\()'(\.{1,2}\/[^']+)'/g)) {
        const target = path.relative(SRC, path.resolve(path.dirname(file), m[1]!)).split(path.sep)[0]!;
        if (target === area) continue;
        const gatewayFromElsewhere = target === 'gateway' && area !== 'cli';
        if ((forbidden[area] ?? []).includes(target) || gatewayFromElsewhere) violations.push(`${path.relative(SRC, file)} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('frames stay inside src/workers: every other folder speaks typed interfaces (codecs next to protocol.ts build and read frames)', () => {
    const violations: string[] = [];
    const areas = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'workers').map((e) => e.name);
    for (const area of areas) {
      for (const file of sourceFiles(path.join(SRC, area))) {
        const rel = path.relative(SRC, file);
        const text = fs.readFileSync(file, 'utf8');
        // A positional read of a frame array: `frame[0]`, `f[2]`, `fr[4]`, `frames[i][1]`...
        for (const m of text.matchAll(/\b(?:frame|frames|f|fr)(?:\[\w+\])?\[\d+\]/g)) violations.push(`${rel} indexes a frame: ${m[0]}`);
        for (const m of text.matchAll(/\b(?:MCP_|CLASSIFIER_)?FRAME\.[A-Z_]+/g)) violations.push(`${rel} uses a frame kind: ${m[0]}`);
        for (const m of text.matchAll(/import\s[^;]*?\b(FRAME|MCP_FRAME|CLASSIFIER_FRAME|REQ_FLAG|CLIENT_DIALECT)\b[^;]*?from\s+'([^']+)'/g)) {
          violations.push(`${rel} imports ${m[1]} from ${m[2]}`);
        }
        for (const m of text.matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
          const target = path.relative(SRC, path.resolve(path.dirname(file), m[1]!));
          if (area === 'providers' && target.split(path.sep)[0] === 'workers') violations.push(`${rel} imports ${target} (providers must not depend on workers)`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('src/model is the bottom layer: it imports no other folder and no package (node: builtins only)', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(path.join(SRC, 'model'))) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) continue;
        if (spec.startsWith('./')) continue;
        violations.push(`${path.relative(SRC, file)} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('uses named exports only', () => {
    const defaults = sourceFiles(SRC).filter((f) => /^export default /m.test(fs.readFileSync(f, 'utf8')));
    expect(defaults.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
