/**
 * @module providers
 * Upstream adapters and client dialects: the engine that calls providers over pooled undici
 * connections (`UpstreamEngine`), each wire protocol's adapter (upstream traffic → typed parts and
 * results), each client dialect's encoder (parts and results → the client's wire format), the
 * answer pipeline that picks byte pass-through or parts once per call, and the shared SSE framing.
 */
export type { ProviderEngine } from './provider-engine.js';
export { loadProviderEngine } from './load-provider-engine.js';
export { createSseState, feedSse, endSse, type SseEvent, type SseState } from '../model/index.js';
export { createOpenAIStreamState, passOpenAIStream, endOpenAIStream, type OpenAIStreamState } from './openai-compatible/from-openai-stream.js';
export { extractUsage, usageOf } from './openai-compatible/usage.js';
export { mapStatusError, mapTransportError } from './map-upstream-error.js';
export { ModelDirectory, type DirectoryEntry } from './model-directory.js';
export { adapterFor, registerAdapter, dialectFor, registerDialect } from './adapters.js';
export type { ClientDialect, PartEncoder } from './client-dialect.js';
export { answerPipeline, type AnswerPipeline, type AnswerStream, type AnswerBody } from './answer-pipeline.js';
export { openAIChatDialect } from './openai-compatible/openai-chat-dialect.js';
export type { ProviderAdapter, WireProtocol, Operation, TranslateContext, UpstreamRequest, UpstreamBytesRequest, TranslatedBody, PartStream, CostOf, PassedError } from './adapter.js';
export { parseJsonSpan, parseTopLevelPieces, scanTopLevel, spliceTopLevel, spliceTopLevelText, withTopLevelValue, type TopLevelMember, type TopLevelObject } from './json-top-level.js';
export { acceptBody, adoptBody, assertNotGivenBack, bodyPoolStats, dropFreeBodies, giveBack, takeBody, watchBodyWrites } from './body-pool.js';
export { MessageRole, skimJsonBody, TOO_DEEP, type BodySkim, type MessageSpans } from './json-skim.js';
export { PRESETS, PROVIDER_TYPES, getPreset, isProviderType, detectLocalProviders, modelsUrl, parseModelList, type ProviderPreset, type ProviderType, type DetectedProvider } from './presets/index.js';
export { lookupModel, computeCost, PriceBook, CATALOG_INFO, listCatalogModels } from './catalog/index.js';
export { fromResponsesRequest, responsesDialect } from './responses/index.js';
export { fromCompletionsRequest, completionsDialect } from './completions/index.js';
export { createNdjsonState, feedNdjson, endNdjson } from './ndjson/parse-ndjson.js';
export { anthropicDialect, fromAnthropicRequest, toAnthropicError, anthropicErrorEvent, anthropicUpstreamError } from './anthropic/index.js';
