import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LocalRouterError } from '../errors/index.js';
import { ERROR_ROWS_SQL, MCP_ROWS_SQL, upstreamKey } from './request-log-query.js';

/** The embedded store's file name inside the data dir. */
export const MONITORING_DB_FILE = 'localrouter.db';
const SCHEMA_VERSION = 7;

/** `<home>/localrouter.db`. */
export function monitoringDbPath(home: string): string {
  return path.join(path.resolve(home), MONITORING_DB_FILE);
}

export type MonitoringDb = Database.Database;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS requests (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  id_key INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  client TEXT,
  provider TEXT,
  model TEXT,
  op TEXT NOT NULL,
  status INTEGER NOT NULL,
  error_code TEXT,
  error_class TEXT,
  latency_ms REAL NOT NULL,
  ttft_ms REAL,
  prompt_tokens INTEGER,
  completion_tokens INTEGER,
  cached_tokens INTEGER,
  reasoning_tokens INTEGER,
  cost_usd REAL,
  streamed INTEGER NOT NULL,
  attempts TEXT NOT NULL,
  request_body TEXT,
  response_body TEXT,
  route TEXT,
  client_id TEXT,
  server TEXT,
  tool TEXT,
  bytes_in INTEGER,
  bytes_out INTEGER,
  error_message TEXT,
  steps TEXT,
  upstream_id TEXT,
  upstream_key INTEGER
);
CREATE INDEX IF NOT EXISTS requests_id_key ON requests(id_key);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
-- The log filtered to errors or to MCP calls, newest first, without reading every row: both are
-- usually a small share of a full store, which a filter otherwise scans whole (80-100 ms for 256 MB
-- from the page cache, seconds from disk) on the thread that writes the log.
CREATE INDEX IF NOT EXISTS requests_errors ON requests(seq) WHERE ${ERROR_ROWS_SQL};
CREATE INDEX IF NOT EXISTS requests_mcp ON requests(seq) WHERE ${MCP_ROWS_SQL};
CREATE TABLE IF NOT EXISTS series (
  res INTEGER NOT NULL,
  dim TEXT NOT NULL,
  key TEXT NOT NULL,
  t INTEGER NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  errors_by_class TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cached_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  cost_nano INTEGER NOT NULL,
  latency BLOB,
  ttft BLOB,
  unpriced_requests INTEGER NOT NULL DEFAULT 0,
  unpriced_prompt_tokens INTEGER NOT NULL DEFAULT 0,
  unpriced_completion_tokens INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (res, dim, key, t)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_marks (
  writer TEXT PRIMARY KEY,
  seq INTEGER NOT NULL
);
`;

/**
 * Opens (creating if needed) the monitoring store with a rollback journal (`journal_mode =
 * TRUNCATE`), never WAL: a WAL database maps its `-shm` wal-index into memory, and a `-shm` that
 * another process truncates or replaces then kills the whole process with SIGBUS. With a rollback
 * journal SQLite maps nothing (mmap_size is 0) and only reads and writes through file descriptors,
 * so a damaged file is an error, never a signal. Readers in other processes (the CLI) still read
 * beside the gateway: they wait out a commit (busy_timeout) instead of reading a snapshot.
 * `synchronous = NORMAL` (fine for metrics), the file 0600. `readonly` opens an existing store for
 * the CLI and never creates; `writer` is the connection that does all the writing, on its own thread,
 * so it may wait longer for a lock.
 */
export function openMonitoringDb(file: string, opts: { readonly?: boolean; writer?: boolean } = {}): MonitoringDb {
  try {
    if (opts.readonly) {
      if (!existsSync(file)) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no monitoring data yet (${file} does not exist; start the gateway with "localrouter serve")`);
      const db = new Database(file, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 2000');
      return db;
    }
    const memory = file === ':memory:';
    if (!memory) {
      if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    const db = new Database(file);
    try {
      // A store written by an older LocalRouter is in WAL mode: leaving it checkpoints the WAL and
      // removes the -wal and -shm files (the busy timeout covers a CLI reading at that moment).
      db.pragma(`busy_timeout = ${opts.writer ? 5000 : 1000}`);
      if (!memory) {
        const mode = db.pragma('journal_mode = TRUNCATE', { simple: true });
        if (mode !== 'truncate') throw new Error(`cannot leave journal mode ${String(mode)}`);
      }
      db.pragma('synchronous = NORMAL');
      // Index pages of a large log stay cached (inserts into the id index land anywhere in it).
      db.pragma('cache_size = -16000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new LocalRouterError('LR_ERR_INTERNAL', `${file} was written by a newer LocalRouter (schema ${version}, this one knows ${SCHEMA_VERSION})`);
      }
      // One transaction: a new store is created with one journal sync instead of one per statement.
      db.transaction(() => {
        db.exec(SCHEMA);
        // Version 2 added the auto-routing choice to the request log, version 3 the client's id,
        // version 4 the MCP call's server and tool (or prompt, or resource URI), sizes and error text,
        // version 5 the steps of a skill run.
        if (version === 1) db.exec('ALTER TABLE requests ADD COLUMN route TEXT');
        if (version >= 1 && version < 3) db.exec('ALTER TABLE requests ADD COLUMN client_id TEXT');
        if (version >= 1 && version < 4) {
          for (const column of ['server TEXT', 'tool TEXT', 'bytes_in INTEGER', 'bytes_out INTEGER', 'error_message TEXT']) db.exec(`ALTER TABLE requests ADD COLUMN ${column}`);
        }
        // Version 5: skill runs' steps, and the id the upstream gave an answer (found by its integer key, see `idKey`).
        if (version >= 1 && version < 5) for (const column of ['steps TEXT', 'upstream_id TEXT', 'upstream_key INTEGER']) db.exec(`ALTER TABLE requests ADD COLUMN ${column}`);
        // Version 6: rollups count the requests whose model had no known price (and their tokens) apart,
        // and rollup_marks (created above) records each writer's last committed rollup batch.
        // (An older store without a series table got it just now, already with them.)
        if (version >= 1 && version < 6) {
          const has = new Set((db.prepare('PRAGMA table_info(series)').all() as { name: string }[]).map((c) => c.name));
          for (const column of ['unpriced_requests', 'unpriced_prompt_tokens', 'unpriced_completion_tokens']) {
            if (!has.has(column)) db.exec(`ALTER TABLE series ADD COLUMN ${column} INTEGER NOT NULL DEFAULT 0`);
          }
        }
        // Version 7: an upstream id's key starts with its row's bucket (see `upstreamKey`): the keys a
        // version 5 or 6 store holds are computed again, and the index built once over them.
        if (version >= 5 && version < 7) {
          db.exec('DROP INDEX IF EXISTS requests_upstream_key');
          db.function('lr_upstream_key', { deterministic: true }, (seq, id) => upstreamKey(seq as number, id as string));
          // Only text ids are keyed (as the writer keys them): a cell of another type, which only a
          // damaged or hand-edited store holds, keeps no key instead of failing the migration.
          db.exec("UPDATE requests SET upstream_key = CASE WHEN typeof(upstream_id) = 'text' THEN lr_upstream_key(seq, upstream_id) END WHERE upstream_id IS NOT NULL");
        }
        db.exec('CREATE INDEX IF NOT EXISTS requests_upstream_key ON requests(upstream_key) WHERE upstream_key IS NOT NULL');
        if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
      return db;
    } catch (err) {
      db.close();
      throw err;
    }
  } catch (err) {
    if (err instanceof LocalRouterError) throw err;
    throw new LocalRouterError('LR_ERR_INTERNAL', `cannot open the monitoring store ${file}: ${(err as Error).message}`, { cause: err });
  }
}

/** Whether the store holds no request log rows and no rollups (a fresh one): there is nothing to expire. */
export function storeIsEmpty(db: MonitoringDb): boolean {
  const row = db.prepare('SELECT NOT EXISTS (SELECT 1 FROM requests) AND NOT EXISTS (SELECT 1 FROM series) AS empty').get() as { empty: number };
  return row.empty === 1;
}

/** Which file a path names now (device and inode), or null when there is none. */
export interface StoreFileIdentity {
  dev: number;
  ino: number;
}

/** The identity of the file at `file` now; null when it does not exist (one stat call). */
export function storeFileIdentity(file: string): StoreFileIdentity | null {
  const st = statSync(file, { throwIfNoEntry: false });
  return st === undefined ? null : { dev: st.dev, ino: st.ino };
}
