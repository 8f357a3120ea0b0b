import { LocalRouterError } from '../errors/index.js';

/** The config format this LocalRouter writes and reads (`version:` in config.yaml). */
export const CONFIG_VERSION = 1;

/** Rewrites a parsed config of version `from` into version `from + 1` (plain YAML data in, plain data out). */
export type ConfigMigration = (raw: Record<string, unknown>) => Record<string, unknown>;

/**
 * Steps from each older format to the next, by the version they read. Empty while there is only
 * format 1: a format change adds its step here, a test beside the others, and an upgrade note in
 * CHANGELOG.md.
 */
export const CONFIG_MIGRATIONS: Readonly<Record<number, ConfigMigration>> = {};

/**
 * Brings parsed config data to `current`: a file without `version` is the current format; an older
 * one is migrated step by step; a newer one (written by a later LocalRouter) is refused with what to
 * do, rather than read wrongly. Anything not an object, or a version that is not a whole number, is
 * left for the schema to report.
 */
export function migrateConfig(raw: unknown, file: string, current = CONFIG_VERSION,
  steps: Readonly<Record<number, ConfigMigration>> = CONFIG_MIGRATIONS): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  let data = raw as Record<string, unknown>;
  const version = data.version;
  if (version === undefined || typeof version !== 'number' || !Number.isInteger(version) || version === current) return data;
  if (version > current) {
    throw new LocalRouterError('LR_ERR_CONFIG_INVALID', `${file}: version: ${version} is a config format of a newer LocalRouter; `
      + `this one (format ${current}) cannot read it. Upgrade LocalRouter, or restore an older copy (${file}.bak.1..3).`);
  }
  for (let v = version; v < current; v++) {
    const step = steps[v];
    if (step === undefined) {
      throw new LocalRouterError('LR_ERR_CONFIG_INVALID', `${file}: version: ${version} is too old to migrate (no step from format ${v}); `
        + 'recreate the file (localrouter config validate shows what is wrong).');
    }
    data = { ...step(data), version: v + 1 };
  }
  return data;
}
