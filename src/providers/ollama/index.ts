/**
 * @module providers/ollama
 * Ollama's native API (`/api/chat` with NDJSON streaming, `/api/embed`, `/api/tags`): chat requests
 * translated to it, its answers to parts and `ChatResult`, streaming or not.
 */
export { ollamaAdapter } from './ollama-adapter.js';
export { toOllamaChatRequest } from './to-ollama-request.js';
export { fromOllamaChatResponse, fromOllamaModelList } from './from-ollama-response.js';
export { createOllamaPartStream, createOllamaStreamState, feedOllamaStream, endOllamaStream, type OllamaStreamState } from './from-ollama-stream.js';
export { mapOllamaFinishReason, type OllamaFinishReason } from './map-ollama-finish-reason.js';
export { mapOllamaError } from './map-ollama-error.js';
export { toOllamaEmbedRequest, fromOllamaEmbedResponse, float32Base64, type EmbeddingsContext } from './ollama-embeddings.js';
export type { OllamaChatRequest, OllamaChatChunk, OllamaMessage, OllamaTool } from './ollama-types.js';
