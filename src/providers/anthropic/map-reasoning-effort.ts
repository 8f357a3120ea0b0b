import { LocalRouterError } from '../../errors/index.js';
import type { AnthropicEffort, AnthropicThinkingConfig } from './wire-types.js';

/**
 * `max_tokens` sent when the client set none (Anthropic requires it). 4,096 is the smallest maximum
 * output of any Claude model in Anthropic's models table (Claude 3 Haiku), so it is valid for every
 * model; clients wanting longer answers set `max_tokens` / `max_completion_tokens`.
 */
export const DEFAULT_MAX_TOKENS = 4096;

/** The smallest `thinking.budget_tokens` the API accepts. */
export const MIN_THINKING_BUDGET = 1024;

/**
 * `reasoning_effort` → `thinking.budget_tokens` for models that take manual budgets. The top values
 * stay under 32,000 with the default answer room added, the output limit of Claude Opus 4/4.1.
 */
export const THINKING_BUDGETS = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 20480,
  max: 27648,
} as const;

/** `reasoning_effort` → `output_config.effort` for adaptive-thinking models (`minimal` has no equivalent below `low`). */
const ADAPTIVE_EFFORT: Record<keyof typeof THINKING_BUDGETS, AnthropicEffort> = {
  minimal: 'low', low: 'low', medium: 'medium', high: 'high', xhigh: 'xhigh', max: 'max',
};

/** What the request gets for a `reasoning_effort`. */
export interface ReasoningPlan {
  thinking?: AnthropicThinkingConfig;
  effort?: AnthropicEffort;
  maxTokens: number;
}

/**
 * Maps OpenAI's `reasoning_effort` onto Claude thinking. Claude 4.6 and later (and the families that
 * only think adaptively) take `thinking: {type: "adaptive"}` with `output_config.effort`, and reject
 * manual budgets from 4.7 on; older models take `thinking: {type: "enabled", budget_tokens}` from
 * `THINKING_BUDGETS`. `none` disables thinking (adaptive models) or leaves it off (older ones, where
 * off is the default). Thinking tokens count toward `max_tokens`: with no client limit the answer
 * gets `DEFAULT_MAX_TOKENS` on top of the budget; under a client limit too small for the budget the
 * budget is halved to fit, and a limit under 2,048 cannot hold any budget and is rejected.
 */
export function planReasoning(effort: unknown, model: string, clientMaxTokens: number | null): ReasoningPlan {
  if (effort === undefined || effort === null) return { maxTokens: clientMaxTokens ?? DEFAULT_MAX_TOKENS };
  if (effort !== 'none' && !(typeof effort === 'string' && Object.hasOwn(THINKING_BUDGETS, effort))) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `"reasoning_effort" must be one of none, ${Object.keys(THINKING_BUDGETS).join(', ')}`, { param: 'reasoning_effort' });
  }
  const adaptive = usesAdaptiveThinking(model);
  if (effort === 'none') {
    return { thinking: adaptive ? { type: 'disabled' } : undefined, maxTokens: clientMaxTokens ?? DEFAULT_MAX_TOKENS };
  }
  const level = effort as keyof typeof THINKING_BUDGETS;
  const budget = THINKING_BUDGETS[level];
  if (adaptive) {
    return { thinking: { type: 'adaptive' }, effort: ADAPTIVE_EFFORT[level], maxTokens: clientMaxTokens ?? budget + DEFAULT_MAX_TOKENS };
  }
  if (clientMaxTokens === null) return { thinking: { type: 'enabled', budget_tokens: budget }, maxTokens: budget + DEFAULT_MAX_TOKENS };
  const fitted = budget < clientMaxTokens ? budget : Math.floor(clientMaxTokens / 2);
  if (fitted < MIN_THINKING_BUDGET) {
    throw new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM',
      `model "${model}" thinks with a token budget of at least ${MIN_THINKING_BUDGET} that must stay below max_tokens; raise max_tokens to at least ${2 * MIN_THINKING_BUDGET} or drop reasoning_effort`,
      { param: 'max_tokens' });
  }
  return { thinking: { type: 'enabled', budget_tokens: fitted }, maxTokens: clientMaxTokens };
}

/**
 * True for models that think adaptively: Claude 4.6 and later, and the families documented as
 * adaptive-only that carry no version in their preview ids. Ids with no readable version (proxies,
 * aliases) keep the manual form every Claude model before 4.6 requires.
 */
export function usesAdaptiveThinking(model: string): boolean {
  const v = claudeVersion(model);
  if (v === null) return /\b(mythos|fable)\b/i.test(model);
  return v.major > 4 || (v.major === 4 && v.minor >= 6);
}

/**
 * The version in a Claude model id, whether it follows the family (`claude-sonnet-4-5-20250929`,
 * `claude-opus-4-1`) or precedes it (`claude-3-7-sonnet-latest`). A trailing 8-digit date is not a version.
 */
export function claudeVersion(model: string): { major: number; minor: number } | null {
  const id = model.slice(model.lastIndexOf('/') + 1).toLowerCase();
  if (!id.includes('claude')) return null;
  const parts = id.split(/[-.@:]/);
  for (let i = 0; i < parts.length; i++) {
    if (!/^\d{1,2}$/.test(parts[i]!)) continue;
    const next = parts[i + 1];
    const minor = next !== undefined && /^\d{1,2}$/.test(next) ? Number(next) : 0;
    return { major: Number(parts[i]), minor };
  }
  return null;
}
