/** The OpenAI finish reasons a Gemini answer can end with. */
export type OpenAIFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

/** Candidates blocked by Google's filters (safety, recitation, blocklists, personal data, language). */
const FILTERED = new Set([
  'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'LANGUAGE',
  'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION',
]);

/**
 * Endings where the model failed rather than finished: no OpenAI finish reason says so, and
 * `stop` with an empty answer would hide it, so these become an upstream error.
 */
const FAILED = new Set(['MALFORMED_FUNCTION_CALL', 'UNEXPECTED_TOOL_CALL', 'TOO_MANY_TOOL_CALLS', 'NO_IMAGE', 'IMAGE_OTHER']);

/**
 * A Gemini `finishReason` → the OpenAI `finish_reason`, or null for a failed generation.
 * STOP → `stop` (`tool_calls` when the candidate called functions), MAX_TOKENS → `length`, the
 * filter reasons → `content_filter`; OTHER and reasons unknown today → `stop`.
 */
export function mapGeminiFinishReason(reason: string | undefined, calledFunctions: boolean): OpenAIFinishReason | null {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && FILTERED.has(reason)) return 'content_filter';
  if (reason !== undefined && FAILED.has(reason)) return null;
  return calledFunctions ? 'tool_calls' : 'stop';
}
