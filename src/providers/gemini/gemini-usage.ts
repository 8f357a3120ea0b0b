import type { Usage } from '../../model/index.js';
import type { GeminiUsageMetadata } from './gemini-types.js';

/**
 * Gemini `usageMetadata` → `Usage`. Gemini counts thoughts apart from the candidates, the gateway
 * inside the output: output = candidates + thoughts (reasoning = thoughts). Input = prompt +
 * tool-use prompt (both billed as input); cache reads = cachedContentTokenCount, part of the prompt
 * count. Gemini reports no cache writes.
 */
export function geminiUsage(u: GeminiUsageMetadata): Usage {
  const thoughts = count(u.thoughtsTokenCount);
  return {
    input: count(u.promptTokenCount) + count(u.toolUsePromptTokenCount),
    output: count(u.candidatesTokenCount) + thoughts,
    cacheRead: count(u.cachedContentTokenCount),
    cacheWrite: 0,
    reasoning: thoughts,
  };
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}
