import type { Usage } from '../../model/index.js';
import type { AnthropicUsage } from './wire-types.js';

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

/** Anthropic's counters as a `Usage`: its `input_tokens` excludes cache reads and writes, so they are added. */
export function toUsage(c: UsageCounters): Usage {
  return { input: c.input + c.cacheRead + c.cacheWrite, output: c.output, cacheRead: c.cacheRead, cacheWrite: c.cacheWrite, reasoning: c.thinking };
}

/** The usage an Anthropic client reads: `input_tokens` excludes cache reads and writes, which have fields of their own. */
export function anthropicUsageOf(u: Usage | null): Required<Pick<AnthropicUsage, 'input_tokens' | 'output_tokens' | 'cache_creation_input_tokens' | 'cache_read_input_tokens'>> {
  const input = u?.input ?? 0;
  const cacheRead = Math.min(input, u?.cacheRead ?? 0);
  const cacheWrite = Math.min(input - cacheRead, u?.cacheWrite ?? 0);
  return {
    input_tokens: input - cacheRead - cacheWrite,
    cache_creation_input_tokens: cacheWrite,
    cache_read_input_tokens: cacheRead,
    output_tokens: u?.output ?? 0,
  };
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}
