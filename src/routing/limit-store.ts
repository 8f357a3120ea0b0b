import { closeSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RateLimiter } from './rate-limiter.js';

/** How often the whole limiter state is written and the journal emptied. */
const SNAPSHOT_MS = 5_000;

export interface LimitStoreLog {
  warn(obj: object, msg: string): void;
}

/**
 * Keeps rate-limit state across restarts, including a hard kill: every charge is appended to a
 * journal (`ratelimits.journal`, one `entry\ttat` line, written once per event-loop turn with one
 * write call, so a `kill -9` loses at most the current turn; a turn that charged one entry many
 * times writes its last value only), and every few seconds the whole state
 * goes to `ratelimits.json` and the journal starts over. Start-up reads the snapshot, then replays
 * the journal.
 */
export class LimitStore {
  readonly #limiter: RateLimiter;
  readonly #snapshotFile: string;
  readonly #journalFile: string;
  readonly #log: LimitStoreLog;
  #fd: number | null = null;
  /** Entries charged since the last write, with their latest TAT. */
  #pending = new Map<string, number>();
  #flushQueued = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(home: string, limiter: RateLimiter, log: LimitStoreLog) {
    this.#limiter = limiter;
    this.#snapshotFile = path.join(home, 'ratelimits.json');
    this.#journalFile = path.join(home, 'ratelimits.journal');
    this.#log = log;
  }

  /** Restores the saved state, opens the journal and starts the periodic snapshot. */
  open(): void {
    this.#restore();
    try {
      this.#fd = openSync(this.#journalFile, 'a', 0o600);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot open the rate limiter journal; limits survive restarts only through snapshots');
    }
    this.#limiter.journal((entry, tat) => this.#append(entry, tat));
    this.#timer = setInterval(() => this.snapshot(), SNAPSHOT_MS);
    this.#timer.unref();
  }

  /** Writes the whole state and empties the journal (everything in it is in the snapshot now). */
  snapshot(): void {
    this.#flush();
    try {
      this.#limiter.prune();
      const tmp = `${this.#snapshotFile}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(this.#limiter.snapshot()), { mode: 0o600 });
      renameSync(tmp, this.#snapshotFile);
      if (this.#fd !== null) ftruncateSync(this.#fd, 0);
    } catch (err) {
      this.#log.warn({ err: (err as Error).message }, 'cannot save the rate limiter state');
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
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushQueued = false;
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

  #restore(): void {
    const read = (file: string): string | null => {
      try {
        return readFileSync(file, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.#log.warn({ err: (err as Error).message, file }, 'ignoring an unreadable rate limiter file');
        return null;
      }
    };
    const snapshot = read(this.#snapshotFile);
    if (snapshot !== null) {
      try {
        this.#limiter.restore(JSON.parse(snapshot) as Record<string, number>);
      } catch (err) {
        this.#log.warn({ err: (err as Error).message }, 'ignoring an unreadable rate limiter state');
      }
    }
    const journal = read(this.#journalFile);
    if (journal === null) return;
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
  }
}
