/**
 * Token usage of one answer, in one convention for every provider:
 * - `input`: every input token, cache reads and writes included (OpenAI `prompt_tokens`);
 * - `output`: every output token, reasoning included (OpenAI `completion_tokens`);
 * - `cacheRead`: the part of `input` read from the provider's prompt cache;
 * - `cacheWrite`: the part of `input` written into it (disjoint from `cacheRead`);
 * - `reasoning`: the part of `output` spent on reasoning.
 * Adapters whose upstream counts these apart add them up (Anthropic's `input_tokens` excludes cache
 * reads and writes; Gemini's `candidatesTokenCount` excludes thoughts). New counters are added as
 * optional fields, so a `Usage` from an older actor still reads.
 */
export interface Usage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

export function emptyUsage(): Usage {
  return { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
}

/** `input + output`, the total a `total_tokens` field reports. */
export function totalTokens(u: Usage): number {
  return u.input + u.output;
}
