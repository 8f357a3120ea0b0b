/**
 * @module providers
 * Upstream adapters: the engine that calls providers over pooled undici connections (`UpstreamEngine`),
 * the OpenAI-compatible protocol, and the shared SSE framing.
 */
export { ProviderEngine } from './provider-engine.js';
export { createSseState, feedSse, endSse, type SseEvent, type SseState } from './sse/parse-sse.js';
export { createOpenAIStreamState, passOpenAIStream, endOpenAIStream, type OpenAIStreamState } from './openai-compatible/from-openai-stream.js';
export { extractUsage, usageOf } from './openai-compatible/usage.js';
export { mapStatusError, mapTransportError } from './map-upstream-error.js';
export { ModelDirectory, type DirectoryEntry } from './model-directory.js';
export { adapterFor, registerAdapter, dialectFor, registerDialect } from './adapters.js';
export type { ClientDialect, DialectStream } from './client-dialect.js';
export type { ProviderAdapter, WireProtocol, Operation, TranslateContext, UpstreamRequest, StreamTranslator, TranslatedBody } from './adapter.js';
export { PRESETS, PROVIDER_TYPES, getPreset, isProviderType, detectLocalProviders, modelsUrl, parseModelList, type ProviderPreset, type ProviderType, type DetectedProvider } from './presets/index.js';
export { lookupModel, computeCost, PriceBook, CATALOG_INFO, listCatalogModels } from './catalog/index.js';
export { fromResponsesRequest, responsesDialect } from './responses/index.js';
export { fromCompletionsRequest, completionsDialect } from './completions/index.js';
export { createNdjsonState, feedNdjson, endNdjson } from './ndjson/parse-ndjson.js';
export { anthropicDialect, fromAnthropicRequest, toAnthropicError, anthropicErrorEvent, openAIErrorToAnthropic } from './anthropic/index.js';
