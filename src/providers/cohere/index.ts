/**
 * @module providers/cohere
 * Cohere's v2 API (`/chat` with SSE or NDJSON streaming, `/embed`) and its v1 model list: chat
 * requests translated to it, its answers to parts and `ChatResult`, streaming or not.
 */
export { cohereAdapter, type CohereUpstreamRequest } from './cohere-adapter.js';
export { coherePaths, cohereHeaders, type CoherePaths } from './api.js';
export { toCohereChatRequest, THINKING_BUDGETS } from './to-cohere-request.js';
export { fromCohereChatResponse, fromCohereModelList, cohereUsage } from './from-cohere-response.js';
export { createCoherePartStream, createCohereStreamState, feedCohereStream, endCohereStream, type CohereStreamState } from './from-cohere-stream.js';
export { mapCohereFinishReason, type CohereFinishReason } from './map-cohere-finish-reason.js';
export { mapCohereError } from './map-cohere-error.js';
export { toCohereEmbedRequest, fromCohereEmbedResponse, DEFAULT_INPUT_TYPE, type EmbeddingsContext } from './cohere-embeddings.js';
export type { CohereChatRequest, CohereChatResponse, CohereMessage, CohereStreamEvent, CohereTool } from './cohere-types.js';
