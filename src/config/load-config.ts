import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { ConfigSchema, type Config } from './schema.js';
import { parseConfig } from './parse-config.js';
import { configPath } from './paths.js';
import { createConfigIfMissing, writeConfig } from './save-config.js';
import { ioError } from './io-error.js';

/** The config with every default filled in. */
export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}

/** Reads and validates `file`; LR_ERR_CONFIG_IO if it cannot be read, LR_ERR_CONFIG_INVALID if bad. */
export function loadConfig(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw ioError(file, 'read config', err);
  }
  return parseConfig(text, file);
}

/** Loads `<home>/config.yaml`, first creating `home` (0700) and a default config if they are missing. */
export function loadOrCreateConfig(home: string): Config {
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw ioError(home, 'create data directory', err);
  }
  const file = configPath(home);
  // The defaults are built only for a file that is not there (a schema parse costs a few ms at start).
  if (!existsSync(file)) createConfigIfMissing(file, defaultConfig());
  return loadConfig(file);
}

/** Validates and atomically replaces `file`, keeping the previous versions as `.bak.1..3`. */
export function saveConfig(file: string, config: Config): void {
  writeConfig(file, config);
}
