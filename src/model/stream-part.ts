import type { PlainError } from './plain-error.js';
import type { Usage } from './usage.js';

/**
 * One piece of a streamed answer, as every provider adapter produces it and every client dialect
 * encodes it (vercel/ai's LanguageModelV3 stream parts are the model). Adapters turn upstream wire
 * traffic into parts exactly once; encoders never see another dialect's text.
 *
 * Order: `response-start` first; then content parts; each tool call as `tool-call-start`, any
 * `tool-call-delta`s and `tool-call-end`; `finish` last, once per answer. `choice` (absent = 0)
 * keeps the extra candidates of `n > 1` apart; dialects that carry one answer read choice 0 only.
 */
export type StreamPart =
  | ResponseStartPart
  | TextDeltaPart
  | RefusalDeltaPart
  | ReasoningDeltaPart
  | ReasoningEndPart
  | RedactedReasoningPart
  | ToolCallStartPart
  | ToolCallDeltaPart
  | ToolCallEndPart
  | FinishPart
  | ErrorPart;

/** Why an answer ended, in OpenAI's terms (the widest set every dialect maps from). */
export type FinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** The answer's identity, before any content. */
export interface ResponseStartPart {
  type: 'response-start';
  /** The upstream's answer id (or one made up when it has none). */
  id: string;
  /** The model that answered, as the upstream names it. */
  model: string;
  /** Unix seconds. */
  created: number;
}

/** One token's log probability (OpenAI's shape; passed on where a dialect carries logprobs). */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[] | null;
  top_logprobs: { token: string; logprob: number; bytes: number[] | null }[];
}

export interface TextDeltaPart {
  type: 'text-delta';
  text: string;
  choice?: number;
  logprobs?: TokenLogprob[];
}

/** The model refused: the refusal's text (OpenAI's `refusal` delta). */
export interface RefusalDeltaPart {
  type: 'refusal-delta';
  text: string;
  choice?: number;
}

export interface ReasoningDeltaPart {
  type: 'reasoning-delta';
  text: string;
  choice?: number;
}

/**
 * A signed reasoning block ended (Anthropic thinking): its whole text and the signature a client
 * sends back on the next turn. Reasoning without signatures (DeepSeek, Gemini thoughts) has no end part.
 */
export interface ReasoningEndPart {
  type: 'reasoning-end';
  text: string;
  signature: string;
  choice?: number;
}

/** Reasoning the upstream encrypted (Anthropic `redacted_thinking`): opaque data to send back as is. */
export interface RedactedReasoningPart {
  type: 'redacted-reasoning';
  data: string;
  choice?: number;
}

export interface ToolCallStartPart {
  type: 'tool-call-start';
  /** The call's position in the answer (0, 1, ...), which later deltas refer to. */
  index: number;
  id: string;
  name: string;
  /** Arguments (JSON text) known at the start: the whole of them for upstreams that send calls whole. */
  args: string;
  /** Gemini's thought signature of the call, sent back with it on the next turn. */
  signature?: string;
  choice?: number;
}

export interface ToolCallDeltaPart {
  type: 'tool-call-delta';
  index: number;
  /** More argument text (JSON, in pieces). */
  args: string;
  /** The call's name, when the start had none (some upstreams send it after the first delta). */
  name?: string;
  choice?: number;
}

export interface ToolCallEndPart {
  type: 'tool-call-end';
  index: number;
  choice?: number;
}

/**
 * The answer (or, with `choice` > 0, one extra candidate) ended. The answer's finish comes last and
 * carries its usage, null when the upstream reported none; an extra candidate's carries null.
 */
export interface FinishPart {
  type: 'finish';
  reason: FinishReason;
  usage: Usage | null;
  choice?: number;
}

/**
 * The upstream reported an error inside the stream, to be relayed in the client's dialect; nothing
 * follows it. `upstreamBody` holds the upstream's own error object when it came as one.
 */
export interface ErrorPart {
  type: 'error';
  error: PlainError;
}
