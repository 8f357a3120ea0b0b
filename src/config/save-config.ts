import { randomBytes } from 'node:crypto';
import {
  closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, copyFileSync,
} from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { validateConfig } from './parse-config.js';
import { errCode, ioError } from './io-error.js';
import type { Config } from './schema.js';

/** How many previous versions are kept as `config.yaml.bak.1` (newest) .. `.bak.N`. */
export const BACKUP_COUNT = 3;

const HEADER = [
  '# LocalRouter configuration. Edit by hand or with `localrouter` commands; a running gateway',
  '# reloads this file when it changes. API keys never go here: set `api_key_env: VAR` on a',
  '# provider, or store the key with `localrouter providers add <name> --api-key-stdin`.',
  '',
].join('\n');

/** The file text for a validated config: a fixed comment header, then the YAML. */
export function renderConfig(config: Config): string {
  return HEADER + stringify(config, { lineWidth: 0 });
}

/**
 * Validates, then replaces `file` atomically (temp file in the same dir, fsync, rename, fsync dir),
 * so readers and crashes only ever see the old or the new complete file. Returns what was saved.
 */
export function writeConfig(file: string, config: Config): Config {
  const valid = validateConfig(config, file);
  const text = renderConfig(valid);
  const current = readIfExists(file);
  // Same bytes: nothing to do, and rotating would push a real backup out for a no-op.
  if (current === text) return valid;
  const dir = path.dirname(file);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeFileSync(fd, text, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (current !== undefined) rotateBackups(file);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw ioError(file, 'save config', err);
  }
  fsyncDir(dir);
  return valid;
}

/** `.bak.2` → `.bak.3`, `.bak.1` → `.bak.2`, current file → `.bak.1` (a hard link: no copy, no gap). */
function rotateBackups(file: string): void {
  try {
    for (let i = BACKUP_COUNT; i > 1; i--) {
      try {
        renameSync(`${file}.bak.${i - 1}`, `${file}.bak.${i}`);
      } catch (err) {
        if (errCode(err) !== 'ENOENT') throw err;
      }
    }
    const first = `${file}.bak.1`;
    rmSync(first, { force: true });
    try {
      linkSync(file, first);
    } catch {
      copyFileSync(file, first);
    }
  } catch {
    // Backups are a convenience; failing to rotate them must not block saving the config itself.
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined;
    throw ioError(file, 'read config', err);
  }
}

/** Makes a finished rename durable; some filesystems refuse fsync on a directory, which is fine. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // See above: the rename already happened, only its durability is best-effort here.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Writes `config` to `file` only if no file exists there, atomically: a concurrent creator or an
 * existing file always wins and is never overwritten. Returns true when this call created it.
 */
export function createConfigIfMissing(file: string, config: Config): boolean {
  if (existsSync(file)) return false;
  const text = renderConfig(validateConfig(config, file));
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeFileSync(fd, text, 'utf8');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // link() fails with EEXIST instead of replacing, unlike rename().
    linkSync(tmp, file);
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw ioError(file, 'create config', err);
  } finally {
    rmSync(tmp, { force: true });
  }
  fsyncDir(path.dirname(file));
  return true;
}
