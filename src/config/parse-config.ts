import { LineCounter, parseDocument } from 'yaml';
import { LocalRouterError } from '../errors/index.js';
import { ConfigSchema, type Config } from './schema.js';
import { formatIssues } from './format-issues.js';
import { migrateConfig } from './migrate-config.js';

/** Parses and validates config YAML; every problem becomes one readable line naming `file`. */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const lines = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const where = pos === undefined ? '' : `:${pos.line}:${pos.col}`;
      // yaml appends " at line L, column C:" plus a source excerpt; we already print the position.
      const message = e.message.replace(/ at line \d+, column \d+:[\s\S]*$/, '').split('\n')[0];
      return `${file}${where}: YAML syntax error: ${message}`;
    });
    throw new LocalRouterError('LR_ERR_CONFIG_INVALID', lines.join('\n'));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new LocalRouterError('LR_ERR_CONFIG_INVALID',
      `${file}: YAML error: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`, { cause: err });
  }
  // An empty file (or one with only comments) means "all defaults".
  const input = migrateConfig(raw ?? {}, file);
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    throw new LocalRouterError('LR_ERR_CONFIG_INVALID',
      formatIssues(file, result.error.issues, input, { doc, lineCounter }));
  }
  return result.data;
}

/** Validates an in-memory config (before saving); errors name `file` like parse errors do. */
export function validateConfig(config: unknown, file: string): Config {
  const result = ConfigSchema.safeParse(config);
  if (!result.success) throw new LocalRouterError('LR_ERR_CONFIG_INVALID', formatIssues(file, result.error.issues, config));
  return result.data;
}

/** True for text whose YAML holds no value at all: empty, blank, or comments only. */
export function isEmptyYaml(text: string): boolean {
  if (text.trim().length === 0) return true;
  const doc = parseDocument(text);
  return doc.errors.length === 0 && (doc.contents === null || doc.toJS() === null);
}
