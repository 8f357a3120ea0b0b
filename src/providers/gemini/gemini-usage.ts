import type { Usage } from '../../model/index.js';
import type { GeminiUsageMetadata } from './gemini-types.js';

/** OpenAI's usage object, as the gateway returns it for Gemini answers. */
export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
}

/**
 * Gemini `usageMetadata` → OpenAI usage. OpenAI counts reasoning inside the completion, Gemini
 * apart from it, so completion = candidates + thoughts (and reasoning_tokens = thoughts).
 * Prompt = prompt + tool-use prompt (both billed as input); cached = cachedContentTokenCount,
 * which, like OpenAI's cached_tokens, is part of the prompt count.
 */
export function geminiUsage(u: GeminiUsageMetadata): OpenAIUsage {
  const prompt = count(u.promptTokenCount) + count(u.toolUsePromptTokenCount);
  const thoughts = count(u.thoughtsTokenCount);
  const completion = count(u.candidatesTokenCount) + thoughts;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: count(u.cachedContentTokenCount) },
    completion_tokens_details: { reasoning_tokens: thoughts },
  };
}

/** The OpenAI usage object as a `Usage` (Gemini reports no cache writes). */
export function usageOfOpenAI(u: OpenAIUsage): Usage {
  return { input: u.prompt_tokens, output: u.completion_tokens, cacheRead: u.prompt_tokens_details.cached_tokens, cacheWrite: 0, reasoning: u.completion_tokens_details.reasoning_tokens };
}

function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}
