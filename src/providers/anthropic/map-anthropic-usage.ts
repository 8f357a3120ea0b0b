import type { Usage } from '../../model/index.js';
import type { AnthropicUsage, OpenAIUsage } from './wire-types.js';

/** Anthropic's usage counters, accumulated (a stream reports them in `message_start` and `message_delta`). */
export interface UsageCounters {
  input: number;
  cacheRead: number;
  cacheWrite: number;
  output: number;
  thinking: number;
}

export function emptyCounters(): UsageCounters {
  return { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, thinking: 0 };
}

/** Overwrites the counters the upstream reported (each is a cumulative total; null or absent means "not reported"). */
export function mergeUsage(c: UsageCounters, u: AnthropicUsage | null | undefined): void {
  if (!u) return;
  if (isCount(u.input_tokens)) c.input = u.input_tokens;
  if (isCount(u.cache_read_input_tokens)) c.cacheRead = u.cache_read_input_tokens;
  if (isCount(u.cache_creation_input_tokens)) c.cacheWrite = u.cache_creation_input_tokens;
  if (isCount(u.output_tokens)) c.output = u.output_tokens;
  if (isCount(u.output_tokens_details?.thinking_tokens)) c.thinking = u.output_tokens_details.thinking_tokens;
}

/**
 * OpenAI usage: the prompt is every input token, cached or not (Anthropic's total input is the sum of
 * `input_tokens`, `cache_read_input_tokens` and `cache_creation_input_tokens`); `cached_tokens` are
 * the cache reads; `cache_write_tokens` (OpenRouter's name) the cache writes, when there were any.
 */
export function toOpenAIUsage(c: UsageCounters): OpenAIUsage {
  const prompt = c.input + c.cacheRead + c.cacheWrite;
  const details: { cached_tokens: number; cache_write_tokens?: number } = { cached_tokens: c.cacheRead };
  if (c.cacheWrite > 0) details.cache_write_tokens = c.cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: c.output,
    total_tokens: prompt + c.output,
    prompt_tokens_details: details,
    completion_tokens_details: { reasoning_tokens: c.thinking },
  };
}

/** Anthropic's counters as a `Usage`: its `input_tokens` excludes cache reads and writes, so they are added. */
export function toUsage(c: UsageCounters): Usage {
  return { input: c.input + c.cacheRead + c.cacheWrite, output: c.output, cacheRead: c.cacheRead, cacheWrite: c.cacheWrite, reasoning: c.thinking };
}

/** OpenAI usage → Anthropic usage, for the Anthropic-compatible ingress: cached tokens leave `input_tokens`. */
export function fromOpenAIUsage(u: OpenAIUsage | null | undefined): Required<Pick<AnthropicUsage, 'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'>> {
  const prompt = count(u?.prompt_tokens);
  const cacheRead = Math.min(prompt, count(u?.prompt_tokens_details?.cached_tokens));
  const cacheWrite = Math.min(prompt - cacheRead, count(u?.prompt_tokens_details?.cache_write_tokens));
  return {
    input_tokens: prompt - cacheRead - cacheWrite,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: count(u?.completion_tokens),
  };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

function count(v: unknown): number {
  return isCount(v) ? v : 0;
}
