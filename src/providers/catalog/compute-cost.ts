import type { ModelPricing } from './catalog-types.js';

/**
 * Token counts of one request, in OpenAI's convention (the gateway's own usage shape):
 * - `prompt`: every input token, cached ones included (OpenAI `prompt_tokens`);
 * - `cached`: the part of `prompt` read from the provider's prompt cache
 *   (`prompt_tokens_details.cached_tokens`; Anthropic `cache_read_input_tokens`);
 * - `cache_write`: the part of `prompt` written into the cache (Anthropic
 *   `cache_creation_input_tokens`), disjoint from `cached`;
 * - `completion`: every output token, reasoning included (OpenAI `completion_tokens`);
 * - `reasoning`: the part of `completion` spent on reasoning
 *   (`completion_tokens_details.reasoning_tokens`).
 * Adapters whose upstream counts these apart must add them up first: Anthropic's `input_tokens`
 * excludes cache reads and writes, Gemini's `candidatesTokenCount` excludes `thoughtsTokenCount`.
 */
export interface TokenUsage {
  prompt: number;
  completion: number;
  cached?: number;
  reasoning?: number;
  cache_write?: number;
}

/**
 * The price of one request in US dollars:
 *   (prompt - cached - cache_write) x input
 *   + cached x (cache_read, else input)
 *   + cache_write x (cache_write, else input)
 *   + (completion - reasoning) x output
 *   + reasoning x (reasoning, else output)
 * all divided by one million (prices are per million tokens). Reasoning tokens are counted once:
 * they are already inside `completion`. Sub-counts larger than their total are clamped to it, and
 * negative or non-finite counts count as zero. Rounded to 1e-12 USD so sums print cleanly.
 */
export function computeCost(pricing: ModelPricing, usage: TokenUsage): number {
  const prompt = count(usage.prompt);
  const completion = count(usage.completion);
  const cached = Math.min(count(usage.cached), prompt);
  const cacheWrite = Math.min(count(usage.cache_write), prompt - cached);
  const reasoning = Math.min(count(usage.reasoning), completion);
  const input = pricing.input_per_mtok;
  const output = pricing.output_per_mtok;
  const micro =
    (prompt - cached - cacheWrite) * input
    + cached * (pricing.cache_read_per_mtok ?? input)
    + cacheWrite * (pricing.cache_write_per_mtok ?? input)
    + (completion - reasoning) * output
    + reasoning * (pricing.reasoning_per_mtok ?? output);
  // Past 9e9 micro-dollars the rounding would lose integer precision; no request costs that much.
  return micro < 9e9 ? Math.round(micro * 1e6) / 1e12 : micro / 1e6;
}

function count(n: number | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}
