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
function formatUsd(usd: number): string {
  return String(Math.round(usd * 1e12) / 1e12);
}
