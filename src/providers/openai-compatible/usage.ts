import type { Usage } from '../../model/index.js';

interface OpenAIUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  /** `cache_write_tokens` is OpenRouter's name for Anthropic-style cache writes. */
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
}

/** OpenAI's usage object as a `Usage`. */
export function usageOf(u: OpenAIUsage | null | undefined): Usage | null {
  if (!u || typeof u !== 'object') return null;
  return {
    input: num(u.prompt_tokens),
    output: num(u.completion_tokens),
    cacheRead: num(u.prompt_tokens_details?.cached_tokens),
    cacheWrite: num(u.prompt_tokens_details?.cache_write_tokens),
    reasoning: num(u.completion_tokens_details?.reasoning_tokens),
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

/**
 * Reads `usage` from a whole chat-completion JSON body without parsing all of it: only the
 * `"usage": {...}` object (the last one, where OpenAI puts it) is parsed. Falls back to a full parse
 * when the shortcut does not apply.
 */
export function extractUsage(body: string): Usage | null {
  const key = body.lastIndexOf('"usage"');
  if (key === -1) return null;
  const open = body.indexOf('{', key + 7);
  if (open !== -1 && /^\s*:\s*$/.test(body.slice(key + 7, open))) {
    const close = matchBrace(body, open);
    if (close !== -1) {
      try {
        return usageOf(JSON.parse(body.slice(open, close + 1)) as OpenAIUsage);
      } catch { /* fall through to the full parse */ }
    }
  }
  try {
    return usageOf((JSON.parse(body) as { usage?: OpenAIUsage }).usage);
  } catch {
    return null;
  }
}

/** Index of the `}` closing the `{` at `open`, skipping braces inside strings; -1 if unbalanced. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */) {
      depth++;
    } else if (c === 125 /* } */) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/**
 * Adds `"cost": <usd>` to the last `usage` object in `text` (a chat.completion body or a usage
 * chunk), as OpenRouter reports it. Text without a usage object is returned unchanged.
 */
export function injectCost(text: string, costUsd: number): string {
  const key = text.lastIndexOf('"usage"');
  if (key === -1) return text;
  const open = text.indexOf('{', key + 7);
  if (open === -1 || !/^\s*:\s*$/.test(text.slice(key + 7, open))) return text;
  const close = matchBrace(text, open);
  if (close === -1) return text;
  const empty = text.slice(open + 1, close).trim().length === 0;
  return `${text.slice(0, close)}${empty ? '' : ','}"cost":${formatUsd(costUsd)}${text.slice(close)}`;
}

/** USD without float noise (costs are rounded to 1e-12 upstream of here). */
export function formatUsd(usd: number): string {
  return String(roundUsd(usd));
}

export function roundUsd(usd: number): number {
  return Math.round(usd * 1e12) / 1e12;
}

/** OpenAI's usage object, as the gateway writes it for answers it translated. */
export interface OpenAIUsageObject {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens: number };
  /** USD, as OpenRouter reports it. */
  cost?: number;
}

/**
 * A `Usage` as OpenAI's usage object. The details appear only when they count something: cache
 * reads (`cached_tokens`, with OpenRouter's `cache_write_tokens` when the prompt also wrote to the
 * cache) and reasoning tokens. `cost` (USD) is added when known.
 */
export function openAIUsage(u: Usage, costUsd: number | null = null): OpenAIUsageObject {
  const out: OpenAIUsageObject = { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output };
  if (u.cacheRead > 0 || u.cacheWrite > 0) {
    out.prompt_tokens_details = u.cacheWrite > 0 ? { cached_tokens: u.cacheRead, cache_write_tokens: u.cacheWrite } : { cached_tokens: u.cacheRead };
  }
  if (u.reasoning > 0) out.completion_tokens_details = { reasoning_tokens: u.reasoning };
  if (costUsd !== null) out.cost = roundUsd(costUsd);
  return out;
}
