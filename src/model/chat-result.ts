import type { ThinkingBlock } from './chat-request.js';
import type { PlainError } from './plain-error.js';
import type { FinishReason, TokenLogprob } from './stream-part.js';
import type { Usage } from './usage.js';

/** A tool call of a whole answer. */
export interface ResultToolCall {
  id: string;
  name: string;
  /** JSON text. */
  arguments: string;
  /** Gemini's thought signature of the call. */
  signature?: string;
}

/** One candidate of a whole answer. */
export interface ResultChoice {
  index: number;
  /** The answer text; null when the answer is only tool calls (or nothing, for a blocked prompt). */
  content: string | null;
  refusal: string | null;
  /** All reasoning text, joined; null when there was none. */
  reasoning: string | null;
  /** Signed and redacted reasoning blocks in order (Anthropic); empty for unsigned reasoning. */
  thinking: ThinkingBlock[];
  toolCalls: ResultToolCall[];
  finishReason: FinishReason;
  logprobs: TokenLogprob[] | null;
}

/**
 * A whole (non-streamed) chat answer, as every adapter produces it and every client dialect encodes
 * it: the counterpart of a stream of parts.
 */
export interface ChatResult {
  id: string;
  model: string;
  /** Unix seconds. */
  created: number;
  /** The upstream's backend fingerprint (OpenAI `system_fingerprint`), when it gave one. */
  systemFingerprint?: string;
  choices: ResultChoice[];
  usage: Usage | null;
  /**
   * A 2xx answer that is an error object instead of a completion (some OpenAI-compatible servers):
   * `choices` is empty and `error.upstreamBody` holds the body, relayed as is where the dialect's
   * error shape is OpenAI's.
   */
  error?: PlainError;
}
