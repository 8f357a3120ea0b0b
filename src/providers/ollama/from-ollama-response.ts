import { LocalRouterError } from '../../errors/index.js';
import type { ChatResult, ResultToolCall, TokenLogprob, Usage } from '../../model/index.js';
import type { TranslateContext, TranslatedBody } from '../adapter.js';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.js';
import { ollamaReportedError } from './map-ollama-error.js';
import type { OllamaChatChunk, OllamaLogprob } from './ollama-types.js';

/** Ollama's tool call carries `arguments` as an object and often no id: clients want JSON text and an id. */
export function toolCallOf(call: NonNullable<NonNullable<OllamaChatChunk['message']>['tool_calls']>[number], ctx: TranslateContext): ResultToolCall {
  const args = call.function?.arguments;
  return {
    id: typeof call.id === 'string' && call.id.length > 0 ? call.id : ctx.newId('call_'),
    name: typeof call.function?.name === 'string' ? call.function.name : '',
    arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
  };
}

/** Ollama's logprobs have OpenAI's token/logprob/bytes/top_logprobs shape already, one entry per token. */
export function logprobsOf(lp: OllamaLogprob[]): TokenLogprob[] {
  return lp.map((t) => ({
    token: t.token ?? '', logprob: t.logprob ?? 0, bytes: t.bytes ?? null,
    top_logprobs: (t.top_logprobs ?? []).map((a) => ({ token: a.token ?? '', logprob: a.logprob ?? 0, bytes: a.bytes ?? null })),
  }));
}

export function ollamaUsage(c: OllamaChatChunk): Usage {
  return { input: count(c.prompt_eval_count), output: count(c.eval_count), cacheRead: 0, cacheWrite: 0, reasoning: 0 };
}

export function count(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0;
}

export function parseJson<T>(body: string, ctx: TranslateContext, what: string): T {
  try {
    return JSON.parse(body) as T;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${ctx.provider.name}" sent ${what} that is not JSON`);
  }
}

/** A non-streamed `/api/chat` answer → the typed result. */
export function fromOllamaChatResponse(body: string, ctx: TranslateContext): ChatResult {
  const c = parseJson<OllamaChatChunk>(body, ctx, 'a chat answer');
  if (typeof c.error === 'string') throw ollamaReportedError(ctx.provider.name, c.error);
  const m = c.message ?? {};
  const calls = Array.isArray(m.tool_calls) ? m.tool_calls.map((t) => toolCallOf(t, ctx)) : [];
  const content = typeof m.content === 'string' ? m.content : '';
  return {
    id: ctx.newId('chatcmpl-'),
    model: typeof c.model === 'string' && c.model.length > 0 ? c.model : ctx.model,
    created: Math.floor(ctx.now() / 1000),
    choices: [{
      index: 0,
      content: content.length === 0 && calls.length > 0 ? null : content,
      refusal: null,
      reasoning: typeof m.thinking === 'string' && m.thinking.length > 0 ? m.thinking : null,
      thinking: [],
      toolCalls: calls,
      finishReason: mapOllamaFinishReason(c.done_reason, calls.length > 0),
      logprobs: Array.isArray(c.logprobs) ? logprobsOf(c.logprobs) : null,
    }],
    usage: ollamaUsage(c),
  };
}

/** `/api/tags` → an OpenAI model list (ids are Ollama's `name`, tag included). */
export function fromOllamaModelList(body: string, ctx: TranslateContext): TranslatedBody {
  const parsed = parseJson<{ models?: { name?: unknown; model?: unknown; modified_at?: unknown }[] }>(body, ctx, 'a model list');
  const data = [];
  for (const m of Array.isArray(parsed.models) ? parsed.models : []) {
    const id = typeof m.name === 'string' ? m.name : typeof m.model === 'string' ? m.model : null;
    if (id === null) continue;
    const at = typeof m.modified_at === 'string' ? Date.parse(m.modified_at) : NaN;
    data.push({ id, object: 'model', created: Number.isNaN(at) ? 0 : Math.floor(at / 1000), owned_by: 'ollama' });
  }
  return { body: JSON.stringify({ object: 'list', data }), usage: null };
}
