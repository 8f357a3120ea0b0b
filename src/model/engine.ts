import type { Attempt } from './attempt.js';
import type { PlainError } from './plain-error.js';
import type { Operation, ProviderRuntime } from './provider-runtime.js';
import type { Usage } from './usage.js';

/** The client-facing API an answer is written for; `chat` (OpenAI chat completions) needs no conversion. */
export type ClientDialectName = 'chat' | 'anthropic' | 'responses' | 'completions';

/** One provider and the model id it knows, tried in order. */
export interface CallCandidate {
  provider: string;
  /** The id the upstream knows ('' for `models`). */
  model: string;
}

/**
 * One operation for the engine: tried against each candidate in order until one answers or a
 * failure is not worth another candidate (fallback happens only before anything reached the caller).
 */
export interface CallRequest {
  candidates: CallCandidate[];
  op: Operation;
  /**
   * OpenAI-dialect JSON with `model` set to the first candidate's model; null for `models`. As
   * UTF-8 bytes when it is the client's own body with edits spliced in (sent upstream as is by
   * adapters that speak OpenAI's dialect), as text when the gateway wrote it. Bytes own their
   * ArrayBuffer and are handed over: the engine may transfer that buffer to another thread.
   */
  body: string | Uint8Array | null;
  /** The upstream answers with an SSE stream. */
  stream: boolean;
  /** The client asked for the usage chunk (`stream_options.include_usage`); otherwise it is stripped. */
  clientWantsUsage: boolean;
  /** The dialect answers are converted to. */
  dialect: ClientDialectName;
  /** JSON object merged into the translation context (what a client dialect needs to echo back); null if none. */
  meta: string | null;
  /** Test hook, honoured only by an engine built with test hooks on: its thread dies mid-call. */
  testCrash?: boolean;
  /**
   * The id the answer carries to the client (the gateway's generation id) in place of the
   * upstream's; absent, the engine makes one up. The answer's `model` is the `provider/model` that served it.
   */
  answerId?: string;
}

/**
 * Receives one call's events, in order: any number of `onAttempt`, then either a stream
 * (`onStart`, `onChunk`..., `onEnd`) or one `onResponse`; `onError` may end the call at any point
 * instead. A stream that fails after its start reports its try once more, as failed (an `onAttempt`
 * with the error code, just before `onError`), so breakers learn of failures mid-stream. Exactly one of `onEnd`, `onResponse` and `onError` ends a call, and nothing arrives after
 * it or after `abort()`. A call that fails at once (an unknown provider) may end before `call`
 * returns its controller.
 */
export interface CallHandler {
  /** One try against one candidate: failed ones as they happen, the one that answers just before its answer. */
  onAttempt(attempt: Attempt): void;
  /** The head of a streamed answer. */
  onStart(status: number, contentType: string): void;
  /** Part of a streamed answer, as text in the client's dialect. */
  onChunk(text: string): void;
  /**
   * The stream ended, with the upstream's usage when it reported any and its USD cost when priced;
   * `upstreamId` is the id the upstream gave its answer (the client saw the gateway's), when it gave one.
   */
  onEnd(usage: Usage | null, costUsd: number | null, upstreamId?: string | null): void;
  /** A whole answer that was not streamed (an upstream 4xx passed through included). */
  onResponse(status: number, contentType: string, body: string, usage: Usage | null, costUsd: number | null, upstreamId?: string | null): void;
  /** The call failed: before `onStart` the caller answers with an HTTP error, after it with an error event. */
  onError(error: PlainError): void;
}

/** The caller's side of a call in flight. */
export interface CallController {
  /** Stops reading the upstream (backpressure) until `resume`. */
  pause(): void;
  resume(): void;
  /** The caller went away: the upstream request is aborted and the handler hears nothing more. */
  abort(): void;
}

export interface EngineStats {
  mode: 'auto' | 'workers' | 'inline';
  /** Actor threads (0 inline). */
  actors: number;
  inflight: number;
  /** Actor restarts after a crash. */
  restarts: number;
}

/**
 * What the ingress drives upstream calls through, undici-style: `call(request, handler)` returns a
 * controller. `workers` runs calls on actor threads, `inline` on the calling thread.
 */
export interface UpstreamEngine {
  readonly mode: 'auto' | 'workers' | 'inline';
  call(request: CallRequest, handler: CallHandler): CallController;
  /** Replaces the provider table (config reload); pools whose settings did not change are kept. */
  setProviders(list: ProviderRuntime[]): void;
  /** Resolves once the engine can take calls. */
  ready(): Promise<void>;
  stats(): EngineStats;
  close(): Promise<void>;
}
