import type { TranslateContext } from '../adapter.js';

export interface ChatChoice {
  index?: number;
  message?: { content?: string | null; refusal?: string | null };
  delta?: { content?: string | null; refusal?: string | null };
  finish_reason?: string | null;
}

export interface ChatCompletionLike {
  created?: number;
  model?: string;
  system_fingerprint?: string | null;
  choices?: ChatChoice[];
  usage?: Record<string, unknown> | null;
  error?: unknown;
}

type FinishReason = 'stop' | 'length' | 'content_filter';

/**
 * Chat finish reasons → the three legacy ones. A refusal has no text slot in a completion, so it
 * reads as filtered content; tool calls cannot happen (no tools are sent).
 */
export function mapCompletionFinishReason(finish: string | null | undefined, refused: boolean): FinishReason {
  if (refused || finish === 'content_filter') return 'content_filter';
  return finish === 'length' ? 'length' : 'stop';
}

/** A whole `chat.completion` body → a `text_completion` body (an error body passes through). */
export function toCompletionsBody(chatCompletion: string, ctx: TranslateContext): string {
  const chat = JSON.parse(chatCompletion) as ChatCompletionLike;
  if (chat.error && !Array.isArray(chat.choices)) return chatCompletion;
  const choice = chat.choices?.find((c) => (c.index ?? 0) === 0) ?? chat.choices?.[0];
  const message = choice?.message ?? {};
  const refused = typeof message.refusal === 'string' && message.refusal.length > 0;
  const body: Record<string, unknown> = {
    id: ctx.newId('cmpl-'),
    object: 'text_completion',
    created: typeof chat.created === 'number' ? chat.created : Math.floor(ctx.now() / 1000),
    model: typeof chat.model === 'string' && chat.model.length > 0 ? chat.model : ctx.model,
  };
  if (typeof chat.system_fingerprint === 'string') body.system_fingerprint = chat.system_fingerprint;
  body.choices = [{
    text: typeof message.content === 'string' ? message.content : '',
    index: 0,
    logprobs: null,
    finish_reason: mapCompletionFinishReason(choice?.finish_reason, refused),
  }];
  if (chat.usage) body.usage = chat.usage;
  return JSON.stringify(body);
}

