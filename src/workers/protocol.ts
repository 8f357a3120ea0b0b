/**
 * Every message that crosses a thread boundary between the ingress and the provider actors.
 *
 * Frames are compact arrays `[kind, id, ...]` (no object per frame, integer request ids), posted in
 * batches: one `postMessage(Frame[])` per event-loop turn per direction. `kind` discriminates.
 * Provider frames are the wire encoding of the engine interface (`UpstreamEngine` in src/model);
 * provider-codec.ts is the only module that builds or reads them.
 */
import type { ErrorCode, Operation, PlainError, ProviderRuntime, Usage } from '../model/index.js';

export const FRAME = {
  // ingress → actor
  REQUEST: 1,
  CANCEL: 2,
  PAUSE: 3,
  RESUME: 4,
  PROVIDERS: 5,
  // actor → ingress
  HEAD: 20,
  CHUNK: 21,
  END: 22,
  ERROR: 23,
  FULL: 24,
  READY: 25,
  ATTEMPT: 26,
  MEMORY: 27,
} as const;

/**
 * Call ids are `sequence × CALL_ID_STRIDE + actor index`: one id space for the whole pool, and the
 * actor a frame belongs to is in the id.
 */
export const CALL_ID_STRIDE = 64;

/** Request flags, a bit set. */
export const REQ_FLAG = {
  /** The upstream answers with an SSE stream. */
  STREAM: 1,
  /** The client asked for the usage chunk (`stream_options.include_usage`); otherwise it is stripped. */
  CLIENT_WANTS_USAGE: 2,
  /** Test hook, honoured only when LOCALROUTER_TEST_HOOKS=1: the actor thread exits mid-request. */
  TEST_CRASH: 4,
  /** Bits 3-4: the client dialect answers are converted to (see `CLIENT_DIALECT`). */
  DIALECT_SHIFT: 3,
  DIALECT_MASK: 0b11 << 3,
} as const;

/** Client dialects, as encoded in the request flags: 0 is OpenAI chat (no conversion). */
export const CLIENT_DIALECT = { chat: 0, anthropic: 1, responses: 2, completions: 3 } as const;

/** `candidates` is flattened `[provider, model, provider, model, ...]`; `flags` is `REQ_FLAG` bits. */
export type RequestFrame = [typeof FRAME.REQUEST, id: number, candidates: string[], op: Operation, body: string | Uint8Array | null, flags: number, meta: string | null, answerId: string | null];
export type CancelFrame = [typeof FRAME.CANCEL, id: number];
export type PauseFrame = [typeof FRAME.PAUSE, id: number];
export type ResumeFrame = [typeof FRAME.RESUME, id: number];
export type ProvidersFrame = [typeof FRAME.PROVIDERS, id: 0, providers: ProviderRuntime[]];
export type ToActorFrame = RequestFrame | CancelFrame | PauseFrame | ResumeFrame | ProvidersFrame;

/** `onStart`: the head of a streamed answer. */
export type HeadFrame = [typeof FRAME.HEAD, id: number, status: number, contentType: string];
/** `onChunk`: part of a streamed body, as text (undici's pooled buffers are never transferred). */
export type ChunkFrame = [typeof FRAME.CHUNK, id: number, text: string];
/** `onEnd`. */
export type EndFrame = [typeof FRAME.END, id: number, usage: Usage | null, costUsd: number | null, upstreamId: string | null];
/** `onError`. */
export type ErrorFrame = [typeof FRAME.ERROR, id: number, error: PlainError];
/** `onResponse`: a whole non-streamed answer in one frame. */
export type FullFrame = [typeof FRAME.FULL, id: number, status: number, contentType: string, body: string, usage: Usage | null, costUsd: number | null, upstreamId: string | null];
export type ReadyFrame = [typeof FRAME.READY, id: 0];
/** `onAttempt`: the fields of an `Attempt`, in order. */
export type AttemptFrame = [typeof FRAME.ATTEMPT, id: number, provider: string, model: string, status: number,
  code: ErrorCode | null, durationMs: number, retryAfterMs: number, connectionLevel: boolean];
/**
 * A request body's memory, transferred back once the actor's call is over and its socket writes
 * have finished, for the ingress to read the next large body into (see src/providers/body-pool.ts).
 */
export type MemoryFrame = [typeof FRAME.MEMORY, id: 0, memory: ArrayBuffer];
export type FromActorFrame = HeadFrame | ChunkFrame | EndFrame | ErrorFrame | FullFrame | ReadyFrame | AttemptFrame | MemoryFrame;

/** workerData handed to each provider actor thread at spawn. */
export interface ActorWorkerData {
  actorIndex: number;
  providers: ProviderRuntime[];
  testHooks: boolean;
}

// ---------------------------------------------------------------------------------------------
// MCP: frames between the ingress and the MCP actor thread (src/mcp/mcp-actor.ts).
// Same shape as above, `[kind, id, ...]`, batched per event-loop turn; `id` is a client session
// number (MESSAGE, SEND, OPEN, CLOSE...), a request number (STATUS, SAMPLE) or 0.

export const MCP_FRAME = {
  // ingress → MCP actor
  /** The servers, settings and strategies' MCP rules (at start and on every config reload). */
  CONFIG: 101,
  /** A client session was initialized on /mcp (or the legacy SSE endpoint). */
  OPEN: 102,
  /** A JSON-RPC message from the client of a session. */
  MESSAGE: 103,
  /** The client session ended (DELETE, idle, shutdown). */
  CLOSE: 104,
  /** Asks for the state of every upstream server. */
  STATUS: 105,
  /** The answer to a SAMPLE request. */
  SAMPLED: 106,
  /** Metric ids the main thread assigned to names the actor asked about. */
  INTERNED: 107,
  /** The answer to a MODEL_CALL (a skill's `llm` step). */
  MODEL_ANSWER: 108,
  /** The answer to a TOOL_ADMIT: null, or why the client's limits refuse the call. */
  TOOL_ADMITTED: 109,
  // MCP actor → ingress
  /** A JSON-RPC message for the client of a session, with the client request it belongs to. */
  SEND: 120,
  /** The actor closed a session (it is gone on its side). */
  CLOSED: 121,
  STATUS_RESULT: 122,
  /** `sampling: gateway`: an upstream's sampling request to answer through LocalRouter's LLM routing. */
  SAMPLE: 123,
  /** Names (servers, tools) that need metric ids. */
  INTERN: 124,
  /** A log line for the gateway's logger (upstream stderr, upstream state changes). */
  LOG: 125,
  READY: 126,
  /** What the actor knows of a finished client call (tools/call, resources/read, prompts/get), sent before its response. */
  CALL: 127,
  /** A skill's `llm` step: a chat completion through LocalRouter's routing as the session's client. */
  MODEL_CALL: 128,
  /** The skill run that made a MODEL_CALL stopped (cancelled, timed out): abort it. */
  MODEL_CANCEL: 129,
  /** A skill's tool step, before it is called: admit it against the client's limits as its own tools/call would be. */
  TOOL_ADMIT: 130,
  /** An upstream's OAuth state changed (tokens refreshed): to be kept in the secret store. */
  OAUTH_SAVED: 140,
} as const;

/** A JSON-RPC 2.0 message as it crosses the thread (a plain object, validated by the MCP SDK on each side). */
export type McpJsonRpcMessage = { jsonrpc: '2.0' } & Record<string, unknown>;

/** An upstream MCP server as the actor needs it: secrets already resolved. */
export interface McpServerRuntime {
  name: string;
  /** The prefix of its tool and prompt names (`<namespace>__<name>`). */
  namespace: string;
  transport: 'stdio' | 'streamable-http' | 'sse';
  command: string | null;
  args: string[];
  env: Record<string, string>;
  cwd: string | null;
  url: string | null;
  headers: Record<string, string>;
  connect: 'lazy' | 'start';
  perSession: boolean;
  timeoutMs: number;
  maxTotalTimeoutMs: number;
  /** `auto`: probed with `server/discover` on each connect; `legacy`: `initialize` at once. */
  protocol: 'auto' | 'legacy';
  /** OAuth for a Streamable HTTP or SSE server (from the secret store); null = none. */
  oauth: McpOAuthState | null;
}

/**
 * What the gateway keeps of an upstream's OAuth (secret store entry `mcp:<name>`, key `oauth`):
 * a login by authorization code (`localrouter mcp login`), or client credentials.
 */
export type McpOAuthState =
  | {
    grant: 'authorization_code';
    /** The client registered with (or pre-registered at) the authorization server. */
    client: Record<string, unknown> & { client_id: string };
    /** The client metadata and redirect the login used (refreshes present the same client). */
    clientMetadata: Record<string, unknown>;
    redirectUrl: string;
    /** `access_token`, `refresh_token`, `expires_in`... as the token endpoint gave them. */
    tokens: Record<string, unknown> & { access_token: string };
    /** When the tokens were obtained (epoch ms), to know when they expire. */
    obtainedAt: number;
    scope: string | null;
    /** The wider scope the server asked for since (step-up): the next `mcp login` asks for it. */
    stepUpScope?: string;
  }
  | {
    grant: 'client_credentials'; clientId: string; clientSecret: string; scope: string | null;
    /** The authorization server the credentials belong to (they are sent to no other). */
    issuer: string | null;
    /** private_key_jwt (RFC 7523 §2.2): the client signs an assertion with this key instead of sending a secret (`clientSecret` is then empty). */
    jwtKey?: { pem: string; algorithm: string };
  }
  | {
    /**
     * Enterprise-managed authorization (cross-app access): the user's ID token from the enterprise
     * identity provider is exchanged there for an ID-JAG (RFC 8693), which the server's authorization
     * server takes as a JWT bearer grant (RFC 7523) from this client.
     */
    grant: 'cross_app_access'; clientId: string; clientSecret: string; scope: string | null;
    /** The server's authorization server (the ID-JAG's audience; the client secret is sent to no other). */
    issuer: string;
    idp: { issuer: string; tokenEndpoint: string; clientId: string; clientSecret?: string };
    idToken: string;
  };

/** A pattern rule set (see `McpRuleSchema` in the config). */
export interface McpRuleRuntime { allow: string[]; deny: string[] }

/** A strategy's MCP access rules; null = everything. */
export interface McpAccessRuntime {
  servers: string[];
  denyServers: string[];
  perServer: Record<string, { tools?: McpRuleRuntime; prompts?: McpRuleRuntime; resources?: McpRuleRuntime }>;
  /** Tool shaping by the tool's exposed name (see `tools` in the strategy's `mcp` config). */
  tools?: Record<string, McpToolShape>;
  /** Skill name patterns allowed and denied (absent: all skills). */
  skills?: string[];
  denySkills?: string[];
}

/** How one tool is shown to a strategy's clients: renamed, retitled, described, some arguments fixed. */
export interface McpToolShape {
  name?: string;
  title?: string;
  description?: string;
  fixed_arguments: Record<string, unknown>;
}

export interface McpActorConfig {
  servers: McpServerRuntime[];
  prefix: 'always' | 'never';
  sampling: 'forward' | 'gateway';
  pageSize: number;
  restartInitialMs: number;
  restartMaxMs: number;
  /** Health-check period (0 = none) and `ping` timeout. */
  healthIntervalMs: number;
  healthTimeoutMs: number;
  /** Deepest nesting of objects and arrays accepted in a message from an upstream (`server.max_json_depth`). */
  maxJsonDepth: number;
  /** Strategy name → its MCP rules (null = all allowed). */
  access: Record<string, McpAccessRuntime | null>;
  /** The gateway version, reported to clients and upstreams. */
  version: string;
  /** Virtual servers (`/mcp/<name>`) by name: server patterns and `<server>/<tool>` patterns. */
  virtualServers?: Record<string, { servers: string[]; tools: string[] }>;
  /** Skill folders (`skills.paths`, absolute): the actor loads, watches and runs them. */
  skillPaths?: string[];
}

/** Who a client session belongs to. */
export interface McpSessionInfo {
  client: string;
  strategy: string;
  /** Metric ids of the client and strategy names (0 = none). */
  clientMetricId: number;
  strategyMetricId: number;
  /** The virtual server (`/mcp/<name>`) the session was opened on; absent or null for `/mcp` itself. */
  endpoint?: string | null;
  /**
   * A session the ingress opened for one stateless (protocol 2026-07-28) request or listen stream:
   * it starts no per-session server (a process per request), it sees the shared ones only.
   */
  stateless?: boolean;
  /** The client capabilities a stateless request declared (in its `_meta`): what an upstream may ask its client mid-call. */
  clientCapabilities?: Record<string, unknown>;
  /** The least severe log level a stateless request asked for (in its `_meta`): its upstreams are asked for that level. */
  logLevel?: string;
}

/** One upstream server's state, for `mcp list` and the admin API. */
export interface McpServerStatus {
  name: string;
  transport: McpServerRuntime['transport'];
  /** `idle` (lazy, not connected yet), `connecting`, `ready`, `backoff` (restarting after a failure), `closed`. */
  state: 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';
  perSession: boolean;
  /** Connected instances (1 for a shared server; one per session with `per_session`). */
  instances: number;
  tools: number | null;
  prompts: number | null;
  resources: number | null;
  restarts: number;
  /** The last failure seen (kept after a recovery, with its time), null if none. */
  lastError: string | null;
  lastErrorAt: string | null;
  /** When a request to it last succeeded (ISO time), null if none yet. */
  lastSuccessAt: string | null;
  /** Log notifications tied to no client request of a shared instance, dropped rather than sent to sessions that did not cause them. */
  droppedLogs: number;
  /** The server wants an OAuth login the gateway does not have (or can no longer refresh): `localrouter mcp login <name>`. */
  needsLogin: boolean;
  /** The protocol revision negotiated with it. */
  protocolVersion: string | null;
  serverInfo: { name: string; version: string } | null;
  /** `modern`: answered `server/discover` (2026-07-28), called statelessly; `legacy`: an `initialize` session; null before it first connected. */
  era: 'modern' | 'legacy' | null;
}

export type McpConfigFrame = [typeof MCP_FRAME.CONFIG, id: 0, config: McpActorConfig];
export type McpOpenFrame = [typeof MCP_FRAME.OPEN, session: number, info: McpSessionInfo];
export type McpMessageFrame = [typeof MCP_FRAME.MESSAGE, session: number, message: McpJsonRpcMessage];
export type McpCloseFrame = [typeof MCP_FRAME.CLOSE, session: number];
export type McpStatusFrame = [typeof MCP_FRAME.STATUS, request: number];
/** The OpenAI-dialect chat completion body of the answer, or an error message. */
export type McpSampledFrame = [typeof MCP_FRAME.SAMPLED, request: number, completion: string | null, error: string | null];
export type McpInternedFrame = [typeof MCP_FRAME.INTERNED, id: 0, names: string[], ids: number[]];
/** The model's answer to MODEL_CALL `request`, or why there is none. */
export type McpModelAnswerFrame = [typeof MCP_FRAME.MODEL_ANSWER, request: number, answer: SkillModelAnswer | null, error: string | null];
export type McpToolAdmittedFrame = [typeof MCP_FRAME.TOOL_ADMITTED, request: number, refusal: string | null];
export type ToMcpFrame = McpConfigFrame | McpOpenFrame | McpMessageFrame | McpCloseFrame | McpStatusFrame | McpSampledFrame | McpInternedFrame | McpModelAnswerFrame
  | McpToolAdmittedFrame;

/**
 * A message for the client of a session as JSON text, serialized in the actor and written by the
 * ingress as it is: a string, or for a large cached result its UTF-8 bytes in shared memory (no copy
 * across the thread, no conversion on the ingress). `related` is the client request whose stream it
 * goes on (a response's own id; null for the session's own stream), and `final` marks that request's
 * response, which ends its stream.
 */
export type McpSendFrame = [typeof MCP_FRAME.SEND, session: number, json: McpJsonText, related: string | number | null, final: boolean];
/** JSON text as a string, or as UTF-8 bytes (over a SharedArrayBuffer). */
export type McpJsonText = string | Uint8Array;
export type McpClosedFrame = [typeof MCP_FRAME.CLOSED, session: number];
export type McpStatusResultFrame = [typeof MCP_FRAME.STATUS_RESULT, request: number, servers: McpServerStatus[]];
/** `body` is an OpenAI-dialect chat completion request (JSON text) made from the sampling request. */
export type McpSampleFrame = [typeof MCP_FRAME.SAMPLE, request: number, session: number, body: string];
export type McpInternFrame = [typeof MCP_FRAME.INTERN, id: 0, names: string[]];
export type McpLogFrame = [typeof MCP_FRAME.LOG, id: 0, level: 'debug' | 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string];
export type McpReadyFrame = [typeof MCP_FRAME.READY, id: 0];
export type McpCallFrame = [typeof MCP_FRAME.CALL, session: number, request: string | number, call: McpCallInfo];
export type McpOAuthSavedFrame = [typeof MCP_FRAME.OAUTH_SAVED, id: 0, server: string, state: McpOAuthState];
/** `body` is an OpenAI-dialect chat completion request (JSON text) made by a skill's `llm` step. */
export type McpModelCallFrame = [typeof MCP_FRAME.MODEL_CALL, request: number, session: number, body: string];
export type McpModelCancelFrame = [typeof MCP_FRAME.MODEL_CANCEL, request: number];
/** `tool` is the name the client would call it by. */
export type McpToolAdmitFrame = [typeof MCP_FRAME.TOOL_ADMIT, request: number, session: number, tool: string];
export type FromMcpFrame = McpSendFrame | McpClosedFrame | McpStatusResultFrame | McpSampleFrame | McpInternFrame | McpLogFrame | McpReadyFrame | McpCallFrame
  | McpModelCallFrame | McpModelCancelFrame | McpToolAdmitFrame | McpOAuthSavedFrame;

/** A chat completion made for a skill's `llm` step: the assistant's text, the model that answered, and what it cost. */
export interface SkillModelAnswer {
  text: string;
  /** `provider/model` of the candidate that answered. */
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** One step of a skill run, as the request log keeps it. */
export interface SkillStepRecord {
  id: string;
  kind: 'tool' | 'llm' | 'value';
  status: 'ok' | 'error' | 'skipped' | 'cancelled';
  duration_ms: number;
  /** The tool called, or the model that answered. */
  target: string | null;
  /** Elements run (foreach), else 1; 0 when skipped. */
  items: number;
  error: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/** A finished skill run (a `skills__<name>` call), for the request log and the metrics. */
export interface SkillRunInfo {
  skill: string;
  status: 'ok' | 'error' | 'cancelled';
  /** The step that failed, if one did, and why the run failed (null when it worked). */
  failedStep: string | null;
  error: string | null;
  steps: SkillStepRecord[];
}

/** Where a client call went and how it ended, as the actor saw it (the request log's server, tool and error). */
export interface McpCallInfo {
  /** The upstream server; null when the call was refused before reaching one (unknown tool...). */
  server: string | null;
  /** The upstream's own name of the tool or prompt, or the resource URI. */
  target: string;
  /** JSON-RPC error code and message; null on success. */
  errorCode: number | null;
  errorMessage: string | null;
  /** A tool result with `isError: true` (the call worked, the tool failed). */
  toolError: boolean;
  /** The call ran a skill: its run. */
  skill?: SkillRunInfo;
}

/** workerData of the MCP actor thread. */
export interface McpWorkerData {
  config: McpActorConfig;
  /** The actor's metrics ring (SharedArrayBuffer of a `MetricsRing`); null when monitoring is off. */
  metricsBuffer: SharedArrayBuffer | null;
  testHooks: boolean;
}

// ---------------------------------------------------------------------------------------------
// Classifier actor (src/classifier): the ingress asks one worker thread holding the router for
// the router score of a prompt. Same framing as above: compact arrays `[kind, id, ...]`, integer ids,
// batched per event-loop turn (`postMessage(Frame[])`).
// ---------------------------------------------------------------------------------------------

export const CLASSIFIER_FRAME = {
  // ingress → classifier
  SCORE: 1,
  /** Test hook (honoured only with `testHooks`): the worker thread throws, as a crash would. */
  TEST_CRASH: 2,
  /** Test hook (honoured only with `testHooks`): the worker blocks its event loop for `ms`. */
  TEST_STALL: 3,
  // classifier → ingress
  READY: 20,
  RESULT: 21,
  ERROR: 22,
} as const;

export type ClassifierScoreFrame = [typeof CLASSIFIER_FRAME.SCORE, id: number, prompt: string];
export type ClassifierTestCrashFrame = [typeof CLASSIFIER_FRAME.TEST_CRASH, id: 0];
export type ClassifierTestStallFrame = [typeof CLASSIFIER_FRAME.TEST_STALL, id: 0, ms: number];
export type ToClassifierFrame = ClassifierScoreFrame | ClassifierTestCrashFrame | ClassifierTestStallFrame;

/** The model loaded; `featurizer` is the version it was trained with. */
export type ClassifierReadyFrame = [typeof CLASSIFIER_FRAME.READY, id: 0, featurizer: string];
export type ClassifierResultFrame = [typeof CLASSIFIER_FRAME.RESULT, id: number, score: number];
/** Scoring failed for this request (id 0: the model could not be loaded at all). */
export type ClassifierErrorFrame = [typeof CLASSIFIER_FRAME.ERROR, id: number, error: PlainError];
export type FromClassifierFrame = ClassifierReadyFrame | ClassifierResultFrame | ClassifierErrorFrame;

/** workerData of the classifier thread. */
export interface ClassifierWorkerData {
  /** Absolute path of the `.bin` router file. */
  modelPath: string;
  testHooks: boolean;
}

// ---------------------------------------------------------------------------------------------
// Monitoring store writer (src/metrics/store-writer.ts): the thread that owns the SQLite store's
// writing connection. One message per operation (each already carries a whole batch of rows),
// answered in order by one reply with the same `seq`; the thread also posts events unasked (seq 0).
// ---------------------------------------------------------------------------------------------

/** A request log row as insert parameters, in the column order of the store's insert statement (sql-writer.ts). */
export type LogRow = (string | number | null)[];

/** A time-series rollup row as it crosses to the writer thread (histograms encoded: class instances do not clone). */
export interface RollupWire {
  res: number;
  dim: string;
  key: string;
  t: number;
  requests: number;
  errors: number;
  errorsByClass: number[];
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  costNano: number;
  unpricedRequests: number;
  unpricedPromptTokens: number;
  unpricedCompletionTokens: number;
  latency: Uint8Array;
  ttft: Uint8Array;
}

/**
 * A rollup batch's place in its writer's sequence, stored with the batch in one transaction, so a
 * reader knows which batches its reads already hold.
 */
export interface RollupMark {
  /** The time series' name for itself (one per process). */
  writer: string;
  seq: number;
}

/** Which side a routing classifier picked, as the request log keeps it. */
export interface RouteChoice {
  classifier: string;
  side: 'strong' | 'weak';
  score: number | null;
  threshold: number;
}

/** An attempt as request log rows show it. */
export interface RowAttempt {
  provider: string;
  model: string;
  /** Upstream status; 0 when there was none. */
  status: number;
  /** Null for the try that answered. */
  error_code: string | null;
  duration_ms: number;
}

/** A request log row as the APIs and the CLI show it (and as the writer thread answers reads). */
export interface RequestLogRow {
  /** Insertion order; 0 for a record not written yet. */
  seq: number;
  id: string;
  /** Start, epoch ms. */
  ts: number;
  client: string | null;
  /** The client's stable id; only on single-record lookups (`RequestLogStore.lookup`); null on rows written before it was kept. */
  client_id?: string | null;
  /** The id the upstream gave its answer; only on single-record lookups. */
  upstream_id?: string | null;
  provider: string | null;
  model: string | null;
  op: string;
  status: number;
  error_code: string | null;
  error_class: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  cached_tokens: number | null;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  streamed: boolean;
  attempts: RowAttempt[];
  route: RouteChoice | null;
  /** MCP calls (`op` is `mcp:<method>`): the upstream server, the tool or prompt (its upstream name) or resource URI; null on LLM rows. */
  server: string | null;
  tool: string | null;
  /** MCP calls: bytes of the JSON-RPC request and response; null on LLM rows. */
  bytes_in: number | null;
  bytes_out: number | null;
  /** MCP calls: the JSON-RPC error (`<code>: <message>`), or that the tool reported an error. */
  error_message: string | null;
  /** Skill runs (`server` is `skills`): each step with its status, duration, tokens and cost; null on other rows. */
  steps?: SkillStepRecord[] | null;
  request_body?: string | null;
  response_body?: string | null;
}

/** Which rows a request log query returns. `status`: an HTTP status, or all `ok` / `error` ones. */
export interface RequestLogFilter {
  sinceMs?: number;
  untilMs?: number;
  client?: string;
  provider?: string;
  model?: string;
  /** MCP calls of this upstream server, or of this tool / prompt / resource URI. */
  server?: string;
  tool?: string;
  /** Only MCP calls, or only LLM requests. */
  kind?: 'mcp' | 'llm';
  status?: number | 'ok' | 'error';
  /** At most 1000 (default 100). */
  limit?: number;
  /** Rows older than this seq (paging back), newest first. */
  beforeSeq?: number;
  /** Rows newer than this seq (following the log), oldest first. */
  afterSeq?: number;
  /** Include the stored bodies (when body logging was on). */
  bodies?: boolean;
  /**
   * Rows whose id, model, MCP tool, error code or message, or logged request or response body contains this text
   * (case-insensitive for ASCII; at most `MAX_LOG_TEXT_QUERY` characters).
   */
  text?: string;
}

/** Test faults: `throw` inside the writer's message handling; `crash` the writer thread with an uncaught exception. */
export type StoreFault = 'throw' | 'crash';

/** An error as it crosses to the main thread: message and stack (Error objects lose their stack in a clone). */
export interface WireError {
  message: string;
  stack?: string;
}

/** What the store tells its owner besides answers (the writer thread posts these unasked). */
export type StoreEvent =
  /**
   * The file at the store's path is not the one open any more (deleted or replaced): the `lost` log
   * rows written into it since the store opened it went with it.
   */
  | { type: 'file-lost'; reason: 'deleted' | 'replaced'; lost: number }
  /** A fresh store is open at the path again (after `file-lost`). */
  | { type: 'reopened' }
  /** The size cap deleted this many of the oldest log rows. */
  | { type: 'trimmed'; rows: number }
  /**
   * Background work of the store failed: `what` it was doing, as "cannot <what>" reads (default:
   * the periodic file check or a reopen).
   */
  | { type: 'error'; error: WireError; what?: string };

/** Messages to the writer thread; each is answered with one {@link WriterReply} of the same seq, in order. */
export type WriterMessage =
  /** `commitAt`: the thread may keep the rows for a later transaction until this many log rows wait (see store-writer-worker.ts). */
  | { seq: number; type: 'log'; rows: LogRow[]; commitAt?: number }
  | { seq: number; type: 'rollups'; rows: RollupWire[]; mark?: RollupMark }
  | { seq: number; type: 'retention'; logBefore: number; series: [number, number][] }
  | { seq: number; type: 'query'; filter: RequestLogFilter }
  | { seq: number; type: 'get'; id: string; clientId?: string }
  | { seq: number; type: 'sync' }
  | { seq: number; type: 'test-fault'; fault: StoreFault }
  | { seq: number; type: 'close' };

/** An answer (seq > 0), or an event the thread posts unasked (seq 0, `event` set). */
export interface WriterReply {
  seq: number;
  error?: WireError;
  more?: boolean;
  rows?: RequestLogRow[];
  row?: RequestLogRow | null;
  event?: StoreEvent;
}

/** workerData of the writer thread. */
export interface WriterWorkerData {
  file: string;
  logMaxBytes: number;
  testHooks: boolean;
  fileCheckMs: number;
}
