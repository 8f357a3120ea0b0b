import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { openMonitoringDb, type Monitoring } from '../../src/metrics/index.js';

/**
 * Temp data directories and open Monitoring instances of one test file, all closed and removed after
 * each test. Call once at the top level of the file.
 */
export function monitoringHomes(prefix: string): { home(): string; track(m: Monitoring): Monitoring; forget(m: Monitoring): void } {
  const dirs: string[] = [];
  const open = new Set<Monitoring>();
  afterEach(async () => {
    for (const m of open) await m.close();
    open.clear();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  return {
    home() {
      const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
      dirs.push(d);
      return d;
    },
    track(m) {
      open.add(m);
      return m;
    },
    forget(m) {
      open.delete(m);
    },
  };
}

/** Rows in the request log of the store at `file`, read through a read-only connection. */
export function countRows(file: string): number {
  const db = openMonitoringDb(file, { readonly: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM requests').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
