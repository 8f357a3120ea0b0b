/**
 * @module providers/gemini
 * The Gemini wire protocol: chat requests → `generateContent` (streamed and not), its answers →
 * parts and `ChatResult`; OpenAI embeddings ⇄ `embedContent` / `batchEmbedContents`; the model list.
 */
export { geminiAdapter } from './gemini-adapter.js';
export { toGeminiRequest } from './to-gemini-request.js';
export { toGeminiSchema, type SchemaOptions } from './to-gemini-schema.js';
export { fromGeminiResponse } from './from-gemini-response.js';
export { createGeminiPartStream, feedGeminiStream, endGeminiStream, type GeminiStreamState } from './from-gemini-stream.js';
export { mapGeminiFinishReason, type OpenAIFinishReason } from './map-gemini-finish-reason.js';
export { mapGeminiError } from './map-gemini-error.js';
export { geminiUsage } from './gemini-usage.js';
export { toGeminiEmbedRequest, fromGeminiEmbedResponse, type GeminiEmbeddingsContext } from './gemini-embeddings.js';
export { fromGeminiModelList } from './gemini-models.js';
export { GEMINI_PATHS, geminiHeaders, isGemini3OrLater, SKIP_SIGNATURE } from './api.js';
export type { GeminiRequest, GeminiResponse, GeminiContent, GeminiPart } from './gemini-types.js';
