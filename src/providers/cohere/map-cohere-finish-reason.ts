/** The OpenAI finish reasons a Cohere answer can end with; `null` for the endings that are failures. */
export type CohereFinishReason = 'stop' | 'length' | 'tool_calls';

/**
 * Cohere's `finish_reason` → OpenAI's. `ERROR` and `TIMEOUT` have no OpenAI counterpart: they are
 * failures, and the caller turns them into errors (`null` here). Tool calls decide over `COMPLETE`.
 */
export function mapCohereFinishReason(reason: unknown, hasToolCalls: boolean): CohereFinishReason | null {
  const r = typeof reason === 'string' ? reason.toUpperCase() : '';
  if (r === 'ERROR' || r === 'TIMEOUT') return null;
  if (r === 'MAX_TOKENS') return 'length';
  if (r === 'TOOL_CALL' || hasToolCalls) return 'tool_calls';
  return 'stop';
}
