/**
 * @module model
 * The bottom layer: plain vocabulary and checks every other folder may use. Imports nothing.
 */
export { closingQuote, DEFAULT_MAX_JSON_DEPTH, withinJsonDepth, withinValueDepth } from './json-budget.js';
export { headerSafe, labelSafe, modelIdProblem } from './safe-text.js';
export { countOf, limitAmount } from './count-text.js';
export { IdTable } from './id-table.js';
export { LiveSet } from './live-set.js';
export { createSseState, endSse, feedSse, MAX_SSE_EVENT_CHARS, type SseEvent, type SseState } from './parse-sse.js';
export { emptyUsage, totalTokens, type Usage } from './usage.js';
export type { ModelPrice, Operation, ProviderRuntime, WireProtocol } from './provider-runtime.js';
export type { ErrorCode, PlainError, UpstreamErrorDetail } from './plain-error.js';
export type { Attempt } from './attempt.js';
export {
  requestFields,
  type AudioPart, type CacheControl, type ChatMessage, type ChatRequest, type ChatRole, type ContentPart, type FilePart, type ImagePart,
  type JsonObject, type OutputConfig, type RefusalPart, type ResponseFormat, type TextPart, type ThinkingBlock, type ThinkingConfig,
  type ToolCall, type ToolChoice, type ToolDefinition,
} from './chat-request.js';
export type { EmbeddingsRequest } from './embeddings-request.js';
export type {
  ErrorPart, FinishPart, FinishReason, ReasoningDeltaPart, ReasoningEndPart, RedactedReasoningPart, RefusalDeltaPart, ResponseStartPart,
  StreamPart, TextDeltaPart, TokenLogprob, ToolCallDeltaPart, ToolCallEndPart, ToolCallStartPart,
} from './stream-part.js';
export type { ChatResult, ResultChoice, ResultToolCall } from './chat-result.js';
export type {
  CallCandidate, CallController, CallHandler, CallRequest, ClientDialectName, EngineStats, UpstreamEngine,
} from './engine.js';
