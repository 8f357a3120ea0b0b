import { chmodSync, closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LocalRouterError } from '../errors/index.js';

/** The embedded store's file name inside the data dir. */
export const MONITORING_DB_FILE = 'localrouter.db';
const SCHEMA_VERSION = 2;

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
  route TEXT
);
CREATE INDEX IF NOT EXISTS requests_id_key ON requests(id_key);
CREATE INDEX IF NOT EXISTS requests_ts ON requests(ts);
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
  PRIMARY KEY (res, dim, key, t)
) WITHOUT ROWID;
`;

/**
 * Opens (creating if needed) the monitoring store: WAL so the CLI can read while the gateway
 * writes, `synchronous = NORMAL` (a power cut may lose the last commits, never corrupt the file;
 * fine for metrics), the file 0600. `readonly` opens an existing store for the CLI and never creates.
 */
export function openMonitoringDb(file: string, opts: { readonly?: boolean } = {}): MonitoringDb {
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
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    // Index pages of a large log stay cached (inserts into the id index land anywhere in it).
    db.pragma('cache_size = -16000');
    // The gateway is the only writer; a wait here would stall the event loop, so keep it short.
    db.pragma('busy_timeout = 1000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      db.close();
      throw new LocalRouterError('LR_ERR_INTERNAL', `${file} was written by a newer LocalRouter (schema ${version}, this one knows ${SCHEMA_VERSION})`);
    }
    db.exec(SCHEMA);
    // Version 2 added the auto-routing choice to the request log.
    if (version === 1) db.exec('ALTER TABLE requests ADD COLUMN route TEXT');
    if (version < SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
    return db;
  } catch (err) {
    if (err instanceof LocalRouterError) throw err;
    throw new LocalRouterError('LR_ERR_INTERNAL', `cannot open the monitoring store ${file}: ${(err as Error).message}`, { cause: err });
  }
}
