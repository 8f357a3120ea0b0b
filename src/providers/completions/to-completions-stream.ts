import { LocalRouterError, openAIErrorBody } from '../../errors/index.js';
import type { TranslateContext } from '../adapter.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../sse/parse-sse.js';
import { mapCompletionFinishReason, type ChatCompletionLike } from './to-completions-response.js';

/** State of one chat chunk stream → `text_completion` chunk stream translation, owned by the caller. */
export interface CompletionsStreamState {
  sse: SseState;
  ctx: TranslateContext;
  id: string;
  created: number | null;
  model: string;
  finish: string | null;
  terminal: boolean;
}

export function createCompletionsStreamState(ctx: TranslateContext): CompletionsStreamState {
  return { sse: createSseState(), ctx, id: ctx.newId('cmpl-'), created: null, model: ctx.model, finish: null, terminal: false };
}

/** Chat SSE text in (any split) → legacy completion SSE text out. Throws on a chunk that is not JSON. */
export function feedCompletionsStream(state: CompletionsStreamState, text: string): string {
  let out = '';
  feedSse(state.sse, text, (ev) => { out += onEvent(state, ev); });
  return out;
}

/**
 * Upstream ended: `[DONE]` is written for a stream that reached a finish reason even if the upstream
 * left it out; a stream cut short before one ends with an error event instead.
 */
export function endCompletionsStream(state: CompletionsStreamState): string {
  let out = '';
  endSse(state.sse, (ev) => { out += onEvent(state, ev); });
  if (state.terminal) return out;
  state.terminal = true;
  if (state.finish !== null) return out + 'data: [DONE]\n\n';
  const err = new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" ended the stream before the completion was complete`);
  return out + `data: ${openAIErrorBody(err)}\n\n`;
}

function onEvent(state: CompletionsStreamState, ev: SseEvent): string {
  if (state.terminal || ev.data === null) return '';
  if (ev.data === '[DONE]') {
    state.terminal = true;
    return 'data: [DONE]\n\n';
  }
  let chunk: ChatCompletionLike;
  try {
    chunk = JSON.parse(ev.data) as ChatCompletionLike;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" sent a stream event that is not JSON`);
  }
  if (chunk.error) {
    // Legacy completions report stream errors the same way chat does.
    state.terminal = true;
    return `data: ${JSON.stringify({ error: chunk.error })}\n\n`;
  }
  if (state.created === null) state.created = typeof chunk.created === 'number' ? chunk.created : Math.floor(state.ctx.now() / 1000);
  if (typeof chunk.model === 'string' && chunk.model.length > 0) state.model = chunk.model;
  let out = '';
  const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
  if (choice) {
    const delta = choice.delta ?? {};
    const text = typeof delta.content === 'string' ? delta.content : '';
    const refused = typeof delta.refusal === 'string' && delta.refusal.length > 0;
    const finish = typeof choice.finish_reason === 'string' ? choice.finish_reason : null;
    if (finish !== null) state.finish = finish;
    if (text.length > 0 || finish !== null || refused) {
      out += chunkEvent(state, [{
        text, index: 0, logprobs: null, finish_reason: finish === null && !refused ? null : mapCompletionFinishReason(finish, refused),
      }]);
    }
  }
  // Only a client that asked for usage gets here with a usage chunk (the adapter strips it otherwise).
  if (chunk.usage && state.ctx.clientWantsUsage) out += chunkEvent(state, [], chunk.usage);
  return out;
}

function chunkEvent(state: CompletionsStreamState, choices: unknown[], usage?: Record<string, unknown>): string {
  const body: Record<string, unknown> = { id: state.id, object: 'text_completion', created: state.created, model: state.model, choices };
  if (usage) body.usage = usage;
  return `data: ${JSON.stringify(body)}\n\n`;
}

