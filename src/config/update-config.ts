import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalRouterError } from '../errors/index.js';
import type { Config } from './schema.js';
import { defaultConfig, loadConfig } from './load-config.js';
import { writeConfig } from './save-config.js';
import { errCode, ioError } from './io-error.js';

/** A lock older than this is taken to belong to a crashed writer. */
export const LOCK_STALE_MS = 10_000;
/** Longer than the stale period, so a waiter can always outlive a dead holder. */
const LOCK_WAIT_MS = 15_000;

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Locks this process holds: a nested update on the same file would otherwise wait on itself. */
const held = new Set<string>();

/**
 * Read-modify-write of `file` under an exclusive lock (`<file>.lock`), so concurrent updaters (CLI
 * runs, the admin API) never lose each other's changes. `mutate` gets a private copy and may edit it
 * in place or return a new object. A missing file starts from the defaults. Returns the saved config.
 */
export function updateConfig(file: string, mutate: (cfg: Config) => Config | void): Config {
  const abs = path.resolve(file);
  const lock = `${abs}.lock`;
  if (held.has(lock)) {
    throw new LocalRouterError('LR_ERR_INTERNAL', `${abs}: updateConfig called again while already updating this file`);
  }
  mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
  const token = acquireLock(abs, lock);
  held.add(lock);
  try {
    const current = existsSync(abs) ? loadConfig(abs) : defaultConfig();
    const draft = structuredClone(current);
    const next = mutate(draft) ?? draft;
    markDeliberateEmpty(next);
    return writeConfig(abs, next);
  } finally {
    held.delete(lock);
    releaseLock(lock, token);
  }
}

function acquireLock(file: string, lock: string): string {
  const token = `${process.pid} ${os.hostname()} ${randomBytes(8).toString('hex')}`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      try {
        writeSync(fd, token);
      } finally {
        closeSync(fd);
      }
      return token;
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw ioError(lock, 'create lock file', err);
    }
    if (removeIfStale(lock)) continue;
    if (Date.now() > deadline) {
      throw new LocalRouterError('LR_ERR_CONFIG_IO',
        `${file}: timed out waiting for the lock ${lock} (held by: ${readLock(lock) ?? 'unknown'})`);
    }
    // Jitter keeps a crowd of waiters from retrying in lock step.
    Atomics.wait(sleepCell, 0, 0, Math.min(5 + attempt * 2, 40) + Math.floor(Math.random() * 10));
  }
}

/** True if `lock` was stale (too old, or its holder on this host is gone) and has been removed. */
function removeIfStale(lock: string): boolean {
  let stat;
  try {
    stat = statSync(lock);
  } catch (err) {
    return errCode(err) === 'ENOENT';
  }
  const content = readLock(lock);
  const tooOld = Date.now() - stat.mtimeMs > LOCK_STALE_MS;
  if (!tooOld && !holderIsDead(content)) return false;
  // Re-check right before removing so a lock that was just replaced by a live writer survives.
  // A tiny window remains; it only matters after a writer crashed while holding the lock.
  try {
    if (statSync(lock).ino !== stat.ino || readLock(lock) !== content) return false;
  } catch {
    return true;
  }
  rmSync(lock, { force: true });
  return true;
}

function holderIsDead(content: string | undefined): boolean {
  const [pidText, host] = content?.split(' ') ?? [];
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return errCode(err) === 'ESRCH';
  }
}

function readLock(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
}

function releaseLock(lock: string, token: string): void {
  // Only remove our own lock: if it was judged stale and taken over, the new holder keeps it.
  if (readLock(lock) === token) rmSync(lock, { force: true });
}

/**
 * An edit made through this function is deliberate, so one that empties the providers or clients
 * says so in the file (`allow_empty`), which a running gateway requires before it reloads such a file.
 */
function markDeliberateEmpty(next: Config): void {
  if (next.providers.length === 0 || next.clients.length === 0) next.allow_empty = true;
  else delete next.allow_empty;
}
