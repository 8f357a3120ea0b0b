import type { ChatRequest, JsonObject } from '../../model/index.js';
import { isGemini3OrLater } from './api.js';
import type { GeminiThinkingConfig } from './gemini-types.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';

/**
 * `reasoning_effort` → Gemini 2.5 token budgets, as Google's own OpenAI endpoint maps them
 * (low 1K, medium 8K, high 24K; none turns thinking off). `minimal` gets the low budget.
 */
const BUDGETS = { none: 0, minimal: 1024, low: 1024, medium: 8192, high: 24576 } as const;

/**
 * `reasoning_effort` → Gemini 3 `thinkingLevel`. Gemini 3 cannot turn thinking off; `minimal` is
 * the documented closest to "none" (it matches "no thinking" for most queries).
 */
const LEVELS = { none: 'minimal', minimal: 'minimal', low: 'low', medium: 'medium', high: 'high' } as const;

type Effort = keyof typeof BUDGETS;

/**
 * The request's reasoning settings → `generationConfig.thinkingConfig`, or undefined (the model's
 * default thinking, no thoughts returned). Accepted forms:
 * - `reasoning_effort` (OpenAI);
 * - `reasoning: {effort, max_tokens, exclude, enabled}` (OpenRouter's unified form);
 * - `extra_body.google.thinking_config` (Google's OpenAI-compatible endpoint), as is.
 * Gemini 3 models get `thinkingLevel`, older ones `thinkingBudget`; an explicit token budget is
 * sent as `thinkingBudget` to either. Thought summaries are asked for (`includeThoughts`) whenever
 * reasoning was configured and not excluded or turned off, and come back as `reasoning_content`.
 */
export function toGeminiThinking(body: ChatRequest, google: JsonObject | null, model: string): GeminiThinkingConfig | undefined {
  const native = google && given(google.thinking_config) ? google.thinking_config : undefined;
  const reasoning = given(body.reasoning) ? body.reasoning : undefined;
  const effortParam = given(body.reasoning_effort) ? body.reasoning_effort : undefined;
  if ([native, reasoning, effortParam].filter((x) => x !== undefined).length > 1) {
    throw badRequest('reasoning_effort', 'give only one of "reasoning_effort", "reasoning" and "extra_body.google.thinking_config"');
  }
  if (native !== undefined) return nativeConfig(native);

  let effort: unknown = effortParam;
  let budget: unknown;
  let exclude = false;
  if (reasoning !== undefined) {
    if (!isObject(reasoning)) throw badRequest('reasoning', '"reasoning" must be an object');
    effort = reasoning.effort ?? undefined;
    budget = reasoning.max_tokens ?? undefined;
    exclude = reasoning.exclude === true;
    if (reasoning.enabled === false) effort = 'none';
    else if (reasoning.enabled === true && effort === undefined && budget === undefined) effort = 'medium';
    if (effort !== undefined && budget !== undefined) throw badRequest('reasoning', 'give "reasoning.effort" or "reasoning.max_tokens", not both');
  }
  // Thoughts are off by default, so `exclude` alone needs no thinkingConfig (which non-thinking models reject).
  if (effort === undefined && budget === undefined) return undefined;

  if (budget !== undefined) {
    if (!Number.isInteger(budget) || (budget as number) < 0) throw badRequest('reasoning.max_tokens', '"reasoning.max_tokens" must be a non-negative integer');
    return { thinkingBudget: budget as number, includeThoughts: !exclude && budget !== 0 };
  }
  if (effort === 'xhigh') throw unsupported('reasoning_effort', '"xhigh" reasoning effort has no Gemini equivalent (the highest is "high")');
  if (typeof effort !== 'string' || !(effort in BUDGETS)) {
    throw badRequest('reasoning_effort', '"reasoning_effort" must be one of none, minimal, low, medium, high');
  }
  const e = effort as Effort;
  const includeThoughts = !exclude && e !== 'none';
  return isGemini3OrLater(model)
    ? { thinkingLevel: LEVELS[e], includeThoughts }
    : { thinkingBudget: BUDGETS[e], includeThoughts };
}

function nativeConfig(tc: unknown): GeminiThinkingConfig {
  const param = 'extra_body.google.thinking_config';
  if (!isObject(tc)) throw badRequest(param, `"${param}" must be an object`);
  const out: GeminiThinkingConfig = {};
  for (const [k, v] of Object.entries(tc)) {
    if (!given(v)) continue;
    if (k === 'thinking_budget' && Number.isInteger(v)) out.thinkingBudget = v as number;
    else if (k === 'include_thoughts' && typeof v === 'boolean') out.includeThoughts = v;
    else if (k === 'thinking_level' && typeof v === 'string' && /^(minimal|low|medium|high)$/i.test(v)) {
      out.thinkingLevel = v.toLowerCase() as GeminiThinkingConfig['thinkingLevel'];
    } else throw badRequest(`${param}.${k}`, `"${param}.${k}" is not a valid thinking setting`);
  }
  return out;
}
