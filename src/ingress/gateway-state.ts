import type { ErrorCode, LocalRouterError, PlainError } from '../errors/index.js';
import type { ServerConfig } from '../config/index.js';
import type { ModelDirectory, PriceBook } from '../providers/index.js';
import type { AutoDecision, CandidateCapabilities, CircuitBreakers, PromptScorers, RateLimiter } from '../routing/index.js';
import type { TokenSigner } from './oauth-tokens.js';
import type { Attempt, LiveSet, UpstreamEngine, Usage } from '../model/index.js';
import type { AuthedClient, ClientTable } from './client-table.js';
import type { RequestGuards } from './guards.js';

/** One try against one upstream, as the request log keeps it. */
export interface AttemptRecord {
  provider: string;
  model: string;
  /** Upstream status; 0 when there was none. */
  status: number;
  /** Error code of a failed try; null for the one that answered. */
  code: ErrorCode | null;
  durationMs: number;
}

/** What a finished client request reports, for metrics and the request log. */
export interface RequestOutcome {
  /** The generation id returned to the client (`x-localrouter-generation-id`). */
  id: string;
  /** The API the client used (`chat`, `embeddings`, ...). */
  op: string;
  attempts: AttemptRecord[];
  /** The classifier's choice, for requests routed by one. */
  route?: AutoDecision | null;
  status: number;
  startMs: number;
  durationMs: number;
  ttftMs: number;
  streamed: boolean;
  usage: Usage | null;
  /** USD, when the model's price is known. */
  costUsd: number | null;
  /** The error code when the gateway answered with one of its own errors. */
  errorCode: ErrorCode | null;
  client: string | null;
  provider: string | null;
  model: string | null;
  /** The strategy the client followed (the series' `strategy` dimension). */
  strategy?: string | null;
  /** The client's stable id (`clients[].id`): generation records are matched by it, not by the name. */
  clientId?: string | null;
  /** Request and response bodies, only when `monitoring.log_bodies` is on (capped at `logBodyBytes`). */
  requestBody?: string | null;
  responseBody?: string | null;
  /** The id the upstream gave its answer (the client got `id`); `/v1/generation` finds the record by either. */
  upstreamId?: string | null;
}

/** A client request in flight, as shutdown sees it. */
export interface OpenExchange {
  /** Ends the request now with `err` (an HTTP error before the first byte, an error event after). */
  terminate(err: PlainError): void;
}

/**
 * What the request handlers read of the config, built from one config by one pure function and
 * never changed afterwards (the object is frozen). A config reload builds new tables and swaps them
 * in with one assignment to {@link GatewayState.tables}: a handler reads `state.tables` once and
 * sees one config whole for the rest of its request, never half an old and half a new one.
 */
export interface GatewayTables {
  readonly server: Readonly<ServerConfig>;
  readonly clients: ClientTable;
  /** Host and Origin policy. */
  readonly guards: RequestGuards;
  /** Provider name → preset type, for catalog lookups. */
  readonly providerTypes: ReadonlyMap<string, string>;
  /** The catalog's capabilities of a provider's model (by its preset type); undefined when unknown. Candidate planning reads it. */
  readonly capabilities: (provider: string, model: string) => CandidateCapabilities | undefined;
  /** Model prices (catalog plus the config's overrides), for `/v1/models`. */
  readonly prices: PriceBook;
  /**
   * Every enabled provider speaks OpenAI's wire protocol: an OpenAI chat request is passed upstream
   * as its own bytes whatever it routes to, and its messages are never all read.
   */
  readonly openAIOnly: boolean;
}

/**
 * The live state the request handlers read: the config's tables (swapped whole on reload) and the
 * runtime parts that outlive a reload (engine, breakers, limiter, classifiers, open requests).
 */
export interface GatewayState {
  /** The current config's tables; replaced, never changed, by a reload. Read once per request. */
  tables: GatewayTables;
  /** Providers and their model lists (fetched from each provider; told about reloads). */
  directory: ModelDirectory;
  /** Runs upstream calls (actor threads or inline, per `server.execution`). */
  engine: UpstreamEngine;
  limiter: RateLimiter;
  /** The classifier threads auto routing scores prompts with. */
  classifiers: PromptScorers;
  /** Signs the tokens `POST /oauth/token` issues (the client table verifies them). */
  tokens: TokenSigner;
  breakers: CircuitBreakers;
  testHooks: boolean;
  /** Logs an unexpected error (a bug, never a client's fault) with its stack; the client gets LR_ERR_INTERNAL. */
  reportInternal(err: unknown, context: string): void;
  /** Errors that reached the process's last-resort handlers (logged with their stack; the process stays up). */
  faults: number;
  shuttingDown: boolean;
  /** Client requests being served; shutdown waits for them, then terminates the rest. */
  open: LiveSet<OpenExchange>;
  startedAt: number;
  version: string;
  onRequestDone(outcome: RequestOutcome): void;
  /** Most bytes of each request and response body to capture for the request log; 0 or absent: none. Set at start, like the monitoring store. */
  logBodyBytes?: number;
  /** Every try against an upstream (breakers and metrics listen here). */
  onAttempt(attempt: Attempt): void;
  /**
   * An LLM request for a model its strategy marks `ask` (`ask.models`): null to go on at once, else a
   * wait for a person's approval that ends with null or the error to answer with (`drop`: the
   * client went away). Set once the MCP side, which holds the approvals, exists.
   */
  askModel?(client: AuthedClient, model: string, bytes?: number): { decided: Promise<LocalRouterError | null>; drop(): void } | null;
}
