import type { AnthropicStopReason } from './wire-types.js';

/** OpenAI `finish_reason` values. */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/**
 * Anthropic `stop_reason` → OpenAI `finish_reason`. `pause_turn` only follows server tools (which
 * this adapter never sends) and ends the turn like `end_turn`; running out of context window is a
 * length stop. A missing reason (an upstream that never said) reads as `stop`.
 */
export function mapAnthropicFinishReason(reason: AnthropicStopReason | string | null | undefined): OpenAIFinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * OpenAI `finish_reason` → Anthropic `stop_reason`, for the Anthropic-compatible ingress. OpenAI does
 * not say which stop sequence matched, so `stop` is always `end_turn`.
 */
export function mapOpenAIFinishReason(reason: string | null | undefined): AnthropicStopReason {
  switch (reason) {
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
    case 'function_call':
      return 'tool_use';
    case 'content_filter':
      return 'refusal';
    default:
      return 'end_turn';
  }
}
