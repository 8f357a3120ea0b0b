/**
 * @module providers/completions
 * Legacy completions (`POST /v1/completions`) mapped onto chat, in front of any provider: one prompt
 * becomes one user message, chat answers and chunk streams become `text_completion` objects.
 */
export { fromCompletionsRequest, type CompletionsConversion, type ChatRequest } from './from-completions-request.js';
export { completionsDialect } from './completions-dialect.js';
export { toCompletionsBody, mapCompletionFinishReason } from './to-completions-response.js';
export {
  createCompletionsStreamState, feedCompletionsStream, endCompletionsStream, type CompletionsStreamState,
} from './to-completions-stream.js';
