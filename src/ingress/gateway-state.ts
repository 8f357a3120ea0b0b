import type { ServerConfig } from '../config/index.js';
import type { ModelDirectory } from '../providers/index.js';
import type { UpstreamDispatcher, UsageTuple } from '../workers/index.js';
import type { ClientTable } from './client-table.js';
import type { RequestGuards } from './guards.js';

/** What a finished client request reports, for metrics. */
export interface RequestOutcome {
  status: number;
  startMs: number;
  durationMs: number;
  ttftMs: number;
  streamed: boolean;
  usage: UsageTuple | null;
  client: string | null;
  provider: string | null;
  model: string | null;
}

/**
 * The live state the request handlers read. Config reloads swap the tables in place, so a handler
 * always sees one consistent generation.
 */
export interface GatewayState {
  server: ServerConfig;
  clients: ClientTable;
  guards: RequestGuards;
  directory: ModelDirectory;
  dispatcher: UpstreamDispatcher;
  testHooks: boolean;
  shuttingDown: boolean;
  inflight: number;
  startedAt: number;
  version: string;
  onRequestDone(outcome: RequestOutcome): void;
}
