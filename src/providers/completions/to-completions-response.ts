import { openAIErrorBody } from '../../errors/index.js';
import type { ChatResult, FinishReason } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import { openAIUsage, type OpenAIUsageObject } from '../openai-compatible/usage.js';

type LegacyFinishReason = 'stop' | 'length' | 'content_filter';

interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: { text: string; index: 0; logprobs: null; finish_reason: LegacyFinishReason }[];
  usage?: OpenAIUsageObject;
}

/**
 * Chat finish reasons → the three legacy ones. A refusal has no text slot in a completion, so it
 * reads as filtered content; tool calls cannot happen (no tools are sent).
 */
export function mapCompletionFinishReason(finish: FinishReason, refused: boolean): LegacyFinishReason {
  if (refused || finish === 'content_filter') return 'content_filter';
  return finish === 'length' ? 'length' : 'stop';
}

/** A whole answer → a `text_completion` body (a 2xx error answer passes through as the upstream's body). */
export function toCompletionsBody(result: ChatResult, ctx: TranslateContext): string {
  if (result.error) return result.error.upstreamBody ?? openAIErrorBody(result.error);
  const choice = result.choices.find((c) => c.index === 0) ?? result.choices[0];
  const refused = choice?.refusal !== null && choice?.refusal !== undefined && choice.refusal.length > 0;
  const choices: TextCompletion['choices'] = [{
    text: choice?.content ?? '', index: 0, logprobs: null, finish_reason: mapCompletionFinishReason(choice?.finishReason ?? 'stop', refused),
  }];
  const body: TextCompletion = {
    id: ctx.answer?.id ?? ctx.newId('cmpl-'),
    object: 'text_completion',
    created: result.created,
    model: result.model.length > 0 ? result.model : ctx.model,
    ...(result.systemFingerprint === undefined ? {} : { system_fingerprint: result.systemFingerprint }),
    choices,
  };
  if (result.usage !== null) body.usage = openAIUsage(result.usage);
  return JSON.stringify(body);
}
