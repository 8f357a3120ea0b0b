import { LocalRouterError, openAIErrorBody } from '../../errors/index.js';
import type { StreamPart } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import type { PartEncoder } from '../client-dialect.js';
import { openAIUsage, type OpenAIUsageObject } from '../openai-compatible/usage.js';
import { mapCompletionFinishReason } from './to-completions-response.js';

interface CompletionChoice { text: string; index: 0; logprobs: null; finish_reason: string | null }

interface CompletionChunk {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: OpenAIUsageObject;
}

/**
 * Parts → legacy `text_completion` chunks ending with `data: [DONE]`: text as it comes, a refusal as
 * an empty text filtered by content, the finish reason mapped onto the legacy three, and the usage as
 * a last chunk without choices when the client asked for it (`stream_options.include_usage`). An
 * error part is relayed in OpenAI's error shape; an upstream that ended before its finish ends with
 * an error event instead of `[DONE]`. Only the answer's text is carried (reasoning and extra
 * candidates are not).
 */
export function createCompletionsPartEncoder(ctx: TranslateContext): PartEncoder {
  const id = ctx.answer?.id ?? ctx.newId('cmpl-');
  let created: number | null = null;
  let model = ctx.answer?.model ?? ctx.model;
  let terminal = false;

  const chunk = (choices: CompletionChoice[], usage?: OpenAIUsageObject): string => {
    created ??= Math.floor(ctx.now() / 1000);
    const body: CompletionChunk = { id, object: 'text_completion', created, model, choices };
    if (usage) body.usage = usage;
    return `data: ${JSON.stringify(body)}\n\n`;
  };
  const choice = (text: string, finish: string | null): CompletionChoice[] => [{ text, index: 0, logprobs: null, finish_reason: finish }];

  const part = (p: StreamPart): string => {
    if (terminal || ('choice' in p && p.choice !== undefined && p.choice !== 0)) return '';
    switch (p.type) {
      case 'response-start':
        created = p.created;
        model = p.model;
        return '';
      case 'text-delta': return chunk(choice(p.text, null));
      case 'refusal-delta': return chunk(choice('', mapCompletionFinishReason('stop', true)));
      case 'finish': {
        terminal = true;
        let out = chunk(choice('', mapCompletionFinishReason(p.reason, false)));
        if (ctx.clientWantsUsage && p.usage !== null) out += chunk([], openAIUsage(p.usage));
        return `${out}data: [DONE]\n\n`;
      }
      case 'error':
        // Legacy completions report stream errors the same way chat does.
        terminal = true;
        return `data: ${p.error.upstreamBody ?? openAIErrorBody(p.error)}\n\n`;
      default: return '';
    }
  };

  return {
    part,
    end(): string {
      if (terminal) return '';
      terminal = true;
      const err = new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${ctx.provider.name}" ended the stream before the completion was complete`);
      return `data: ${openAIErrorBody(err)}\n\n`;
    },
  };
}
