/** The OpenAI finish reasons an Ollama answer can end with. */
export type OllamaFinishReason = 'stop' | 'length' | 'tool_calls';

/**
 * Ollama's `done_reason` → OpenAI's `finish_reason`. Ollama reports `stop` even when the answer is
 * tool calls, so their presence decides; `load`/`unload` only end requests that generate nothing.
 */
export function mapOllamaFinishReason(doneReason: unknown, hasToolCalls: boolean): OllamaFinishReason {
  if (hasToolCalls) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}
