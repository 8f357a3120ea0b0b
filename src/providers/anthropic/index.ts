/**
 * @module providers/anthropic
 * The Anthropic Messages API both ways. Upstream: `anthropicAdapter` translates typed chat
 * requests to `POST /messages` and answers (JSON and SSE) into a `ChatResult` and parts. Ingress:
 * Anthropic-SDK clients use any provider through `POST /v1/messages` (`fromAnthropicRequest`; the
 * `anthropicDialect` encodes parts and results back; `toAnthropicError` shapes errors). An Anthropic
 * upstream's answer reaches them as its own bytes (`createAnthropicPassStream`), usage read on the way.
 */
export { anthropicAdapter } from './anthropic-adapter.js';
export { ANTHROPIC_VERSION, ANTHROPIC_PATHS, anthropicHeaders } from './api.js';
export { toAnthropicRequest } from './to-anthropic-request.js';
export { toAnthropicMessages } from './to-anthropic-messages.js';
export { fromAnthropicResponse, fromAnthropicModels, parseMessage, anthropicMessageUsage } from './from-anthropic-response.js';
export {
  createAnthropicPartStream, createAnthropicStreamState, feedAnthropicStream, endAnthropicStream, anthropicStreamUsage, type AnthropicStreamState,
} from './from-anthropic-stream.js';
export { mapAnthropicFinishReason, mapOpenAIFinishReason, type OpenAIFinishReason } from './map-anthropic-finish-reason.js';
export { mapAnthropicError, mapAnthropicStreamError, readAnthropicError } from './map-anthropic-error.js';
export {
  planReasoning, usesAdaptiveThinking, claudeVersion, DEFAULT_MAX_TOKENS, THINKING_BUDGETS, MIN_THINKING_BUDGET, type ReasoningPlan,
} from './map-reasoning-effort.js';
export { fromAnthropicRequest, type FromAnthropicOptions } from './from-anthropic-request.js';
export { toAnthropicResponse } from './to-anthropic-response.js';
export { createAnthropicPartEncoder, type AnthropicClientContext } from './to-anthropic-stream.js';
export { createAnthropicPassStream, type PassStream } from './pass-anthropic-stream.js';
export { toAnthropicError, anthropicErrorEvent, anthropicErrorType, anthropicUpstreamError } from './to-anthropic-error.js';
export { anthropicDialect } from './anthropic-dialect.js';
export type * from './wire-types.js';
