/**
 * Every message that crosses a thread boundary between the ingress and the provider actors.
 *
 * Frames are compact arrays `[kind, id, ...]` (no object per frame, integer request ids), posted in
 * batches: one `postMessage(Frame[])` per event-loop turn per direction. `kind` discriminates.
 */
import type { ErrorCode, PlainError } from '../errors/index.js';

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
} as const;

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

/** Token usage as `[prompt, completion, cached, reasoning]`. */
export type UsageTuple = [number, number, number, number];

/** The upstream wire protocols (kept in sync with `WireProtocol` in src/providers/adapter.ts). */
export type ProtocolName = 'openai' | 'anthropic' | 'gemini' | 'ollama' | 'cohere';

/** What a request asks of a provider; the body is OpenAI-dialect JSON. */
export type OperationName = 'chat' | 'models' | 'embeddings' | 'completions';

/** A provider as the actors need it: secrets already resolved (they never leave the process). */
export interface ProviderRuntime {
  name: string;
  /** The preset type (for prices). */
  type: string;
  protocol: ProtocolName;
  /** Price overrides by model id, USD per million tokens (see `PriceOverride` in the config). */
  prices: Record<string, { input_per_mtok: number; output_per_mtok: number; cached_input_per_mtok?: number; cache_write_per_mtok?: number; reasoning_per_mtok?: number }>;
  baseUrl: string;
  apiKey: string | null;
  headers: Record<string, string>;
  connectTimeoutMs: number;
  /** Until the response headers arrive. */
  firstByteTimeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
}

/**
 * What the ingress asks an actor to do: one operation, tried against each candidate in order until
 * one succeeds or a failure is not worth retrying (fallback happens only before the first byte).
 */
export interface UpstreamCall {
  /** Flattened `[provider, model, provider, model, ...]`; the model is the id the upstream knows ('' for `models`). */
  candidates: string[];
  op: OperationName;
  /** OpenAI-dialect JSON with `model` set to the first candidate's model; null for `models`. */
  body: string | null;
  flags: number;
  /** JSON object merged into the translation context (what a client dialect needs to echo back); null if none. */
  meta: string | null;
}

export type RequestFrame = [typeof FRAME.REQUEST, id: number, candidates: string[], op: OperationName, body: string | null, flags: number, meta: string | null];
export type CancelFrame = [typeof FRAME.CANCEL, id: number];
export type PauseFrame = [typeof FRAME.PAUSE, id: number];
export type ResumeFrame = [typeof FRAME.RESUME, id: number];
export type ProvidersFrame = [typeof FRAME.PROVIDERS, id: 0, providers: ProviderRuntime[]];
export type ToActorFrame = RequestFrame | CancelFrame | PauseFrame | ResumeFrame | ProvidersFrame;

/** Start of a streamed response (status 200, SSE). */
export type HeadFrame = [typeof FRAME.HEAD, id: number, status: number, contentType: string];
/** Part of a streamed body, as text (undici's pooled buffers are never transferred). */
export type ChunkFrame = [typeof FRAME.CHUNK, id: number, text: string];
/** End of a streamed response, with the upstream's real usage when it reported any, and its cost in USD when priced. */
export type EndFrame = [typeof FRAME.END, id: number, usage: UsageTuple | null, costUsd: number | null];
/** The call failed; before HEAD the client gets an HTTP error, after it an error event. */
export type ErrorFrame = [typeof FRAME.ERROR, id: number, error: PlainError];
/** A whole non-streamed response in one frame. */
export type FullFrame = [typeof FRAME.FULL, id: number, status: number, contentType: string, body: string, usage: UsageTuple | null, costUsd: number | null];
export type ReadyFrame = [typeof FRAME.READY, id: 0];
/**
 * One try against one candidate. Failed tries are reported as they happen; the successful one just
 * before the response is committed (HEAD or FULL), so the ingress knows who answered.
 */
export type AttemptFrame = [typeof FRAME.ATTEMPT, id: number, provider: string, model: string,
  /** Upstream HTTP status; 0 when none (transport error, untranslatable request). */
  status: number,
  /** Error code of a failed try; null on success. */
  code: ErrorCode | null,
  durationMs: number,
  /** The upstream's Retry-After, in ms; 0 when absent. */
  retryAfterMs: number];
export type FromActorFrame = HeadFrame | ChunkFrame | EndFrame | ErrorFrame | FullFrame | ReadyFrame | AttemptFrame;

/** workerData handed to each provider actor thread at spawn. */
export interface ActorWorkerData {
  actorIndex: number;
  providers: ProviderRuntime[];
  testHooks: boolean;
}
