/**
 * @module providers/completions
 * Legacy completions (`POST /v1/completions`) mapped onto chat, in front of any provider: one prompt
 * becomes one user message, whole answers and parts become `text_completion` objects.
 */
export { fromCompletionsRequest, type CompletionsConversion } from './from-completions-request.js';
export { completionsDialect } from './completions-dialect.js';
export { toCompletionsBody, mapCompletionFinishReason } from './to-completions-response.js';
export { createCompletionsPartEncoder } from './to-completions-stream.js';
