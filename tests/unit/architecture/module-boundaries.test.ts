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
/**
 * Folders whose threads talk in frames only through the codecs next to protocol.ts. The provider
 * frames' folders (ingress, providers) join once their frames have a codec too; then this is all of
 * src/ but workers/.
 */
const FRAME_FREE = ['mcp', 'classifier', 'metrics'];

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

  it('no module outside src/workers/ reads or builds a frame array (codecs next to protocol.ts do)', () => {
    const violations: string[] = [];
    for (const file of FRAME_FREE.flatMap((dir) => sourceFiles(path.join(SRC, dir)))) {
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (/\b(?:f|fr|frame|frames\[\w+\])\[\d+\]|\b(?:MCP_|CLASSIFIER_)?FRAME\.[A-Z_]+/.test(line)) violations.push(`${path.relative(SRC, file)}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(violations).toEqual([]);
  });

  it('uses named exports only', () => {
    const defaults = sourceFiles(SRC).filter((f) => /^export default /m.test(fs.readFileSync(f, 'utf8')));
    expect(defaults.map((f) => path.relative(SRC, f))).toEqual([]);
  });
});
