import { closeSync, ftruncateSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RateLimiter } from './rate-limiter.js';

/** The home directory's folder for state written while serving (see {@link LimitStore}). */
const STATE_DIR = 'state';

/**
 * The longest a charge waits before it is in the journal. A write per event-loop turn would cost a
 * system call per charge at low concurrency (a request charges twice: when admitted, when its usage
 * is known), as much as a tenth of the gateway's added latency there.
 */
const JOURNAL_WRITE_MS = 10;

/** How often the whole limiter state is written and the journal emptied. */
const SNAPSHOT_MS = 5_000;

export interface LimitStoreLog {
  warn(obj: object, msg: string): void;
}

/**
 * Keeps rate-limit state across restarts, including a hard kill: every charge is appended to a
 * journal (`ratelimits.journal`, one `entry\ttat` line, written at most every
 * {@link JOURNAL_WRITE_MS} ms with one write call, so a `kill -9` loses at most the charges of that
 * long; an entry charged many times meanwhile is written once, with its last value), and every few
 * seconds the whole state goes to `ratelimits.json` and the journal starts over. Start-up reads the
 * snapshot, then replays the journal.
 *
 * Both live in `<home>/state/`, not in the home directory itself: the config watcher watches that
 * directory, and every journal write there would wake the event loop with a file-change event.
 * Files an older version left in the home directory are read once, then removed.
 */
export class LimitStore {
  readonly #limiter: RateLimiter;
  readonly #snapshotFile: string;
  readonly #journalFile: string;
  readonly #legacyFiles: readonly [snapshot: string, journal: string];
  readonly #log: LimitStoreLog;
  #fd: number | null = null;
  /** Entries charged since the last write, with their latest TAT. */
  #pending = new Map<string, number>();
  #flushTimer: NodeJS.Timeout | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(home: string, limiter: RateLimiter, log: LimitStoreLog) {
    this.#limiter = limiter;
    const dir = path.join(home, STATE_DIR);
    this.#snapshotFile = path.join(dir, 'ratelimits.json');
    this.#journalFile = path.join(dir, 'ratelimits.journal');
    this.#legacyFiles = [path.join(home, 'ratelimits.json'), path.join(home, 'ratelimits.journal')];
    this.#log = log;
  }

  /** Restores the saved state, opens the journal and starts the periodic snapshot. */
  open(): void {
    const legacy = this.#restore(...this.#legacyFiles);
    this.#restore(this.#snapshotFile, this.#journalFile);
    try {
      mkdirSync(path.dirname(this.#journalFile), { recursive: true, mode: 0o700 });
      this.#fd = openSync(this.#journalFile, 'a', 0o600);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot open the rate limiter journal; limits survive restarts only through snapshots');
    }
    this.#limiter.journal((entry, tat) => this.#append(entry, tat));
    this.#timer = setInterval(() => this.snapshot(), SNAPSHOT_MS);
    this.#timer.unref();
    // What the old files held is in the new snapshot once it is written.
    if (legacy && this.snapshot()) for (const file of this.#legacyFiles) rmSync(file, { force: true });
  }

  /** Writes the whole state and empties the journal (everything in it is in the snapshot now); false when it could not. */
  snapshot(): boolean {
    this.#flush();
    try {
      this.#limiter.prune();
      const tmp = `${this.#snapshotFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.#limiter.snapshot()), { mode: 0o600 });
      renameSync(tmp, this.#snapshotFile);
      if (this.#fd !== null) ftruncateSync(this.#fd, 0);
      return true;
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot save the rate limiter state');
      return false;
    }
  }

  close(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.snapshot();
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }

  #append(entry: string, tat: number): void {
    if (this.#fd === null) return;
    this.#pending.set(entry, tat);
    if (this.#flushTimer !== null) return;
    this.#flushTimer = setTimeout(() => this.#flush(), JOURNAL_WRITE_MS);
  }

  #flush(): void {
    if (this.#flushTimer !== null) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#pending.size === 0 || this.#fd === null) return;
    let text = '';
    for (const [entry, tat] of this.#pending) text += `${entry}\t${Math.ceil(tat)}\n`;
    this.#pending.clear();
    try {
      writeSync(this.#fd, text);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot append to the rate limiter journal');
    }
  }

  /** Restores from a snapshot file, then its journal; true when either existed. */
  #restore(snapshotFile: string, journalFile: string): boolean {
    const read = (file: string): string | null => {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn({ err: (err as Error).message, file }, 'ignoring an unreadable rate limiter file');
        return null;
      }
    };
    const snapshot = read(snapshotFile);
    if (snapshot !== null) {
      try {
        this.#limiter.restore(JSON.parse(snapshot) as Record<string, number>);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'ignoring an unreadable rate limiter state');
      }
    }
    const journal = read(journalFile);
    if (journal === null) return snapshot !== null;
    const entries: Record<string, number> = {};
    // A line cut off by a kill mid-write has no tab or no number: skipped.
    for (const line of journal.split('\n')) {
      const tab = line.lastIndexOf('\t');
      if (tab <= 0) continue;
      const tat = Number(line.slice(tab + 1));
      const entry = line.slice(0, tab);
      if (Number.isFinite(tat) && tat > (entries[entry] ?? 0)) entries[entry] = tat;
    }
    this.#limiter.restore(entries);
    return true;
  }
}
