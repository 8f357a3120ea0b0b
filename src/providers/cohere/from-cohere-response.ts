import { LocalRouterError } from '../../errors/index.js';
import type { ChatResult, ResultToolCall, Usage } from '../../model/index.js';
import type { TranslateContext, TranslatedBody } from '../adapter.js';
import type { CohereChatResponse, CohereUsage } from './cohere-types.js';
import { cohereFailedGeneration } from './map-cohere-error.js';
import { mapCohereFinishReason } from './map-cohere-finish-reason.js';

/**
 * Cohere's usage as a `Usage`. Billed units come first: they are what
 * Cohere charges for (its `tokens` also count the prompt scaffolding it adds), so costs computed from
 * them match the invoice; raw token counts are the fallback.
 */
export function cohereUsage(u: CohereUsage | undefined): Usage | null {
  if (!u || typeof u !== 'object') return null;
  const prompt = count(u.billed_units?.input_tokens ?? u.tokens?.input_tokens);
  const completion = count(u.billed_units?.output_tokens ?? u.tokens?.output_tokens);
  return { input: prompt, output: completion, cacheRead: count(u.cached_tokens), cacheWrite: 0, reasoning: 0 };
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

/** A non-streamed v2 `/chat` answer → the typed result. */
export function fromCohereChatResponse(body: string, ctx: TranslateContext): ChatResult {
  const r = parseJson<CohereChatResponse>(body, ctx, 'a chat answer');
  const m = r.message ?? {};
  const calls = (Array.isArray(m.tool_calls) ? m.tool_calls : []).map((c): ResultToolCall => ({
    id: typeof c.id === 'string' ? c.id : ctx.newId('call_'),
    name: c.function?.name ?? '',
    arguments: typeof c.function?.arguments === 'string' ? c.function.arguments : '{}',
  }));
  const finish = mapCohereFinishReason(r.finish_reason, calls.length > 0);
  if (finish === null) throw cohereFailedGeneration(ctx.provider.name, String(r.finish_reason), undefined);
  const items = Array.isArray(m.content) ? m.content : [];
  const text = items.filter((c) => c.type === 'text' && typeof c.text === 'string').map((c) => c.text).join('');
  const thinking = items.filter((c) => c.type === 'thinking' && typeof c.thinking === 'string').map((c) => c.thinking).join('');
  // The tool plan is what the model said before calling tools: the content of a tool-call message.
  const content = [typeof m.tool_plan === 'string' ? m.tool_plan : '', text].filter((s) => s.length > 0).join('\n');
  return {
    id: typeof r.id === 'string' ? `chatcmpl-${r.id}` : ctx.newId('chatcmpl-'),
    model: ctx.model,
    created: Math.floor(ctx.now() / 1000),
    choices: [{
      index: 0,
      content: content.length === 0 && calls.length > 0 ? null : content,
      refusal: null,
      reasoning: thinking.length > 0 ? thinking : null,
      thinking: [],
      toolCalls: calls,
      finishReason: finish,
      logprobs: null,
    }],
    usage: cohereUsage(r.usage),
  };
}

/**
 * `/v1/models` → an OpenAI model list. Only models that serve chat or embed are listed (the others,
 * rerank or classify, cannot be used through this gateway's endpoints).
 */
export function fromCohereModelList(body: string, ctx: TranslateContext): TranslatedBody {
  const parsed = parseJson<{ models?: { name?: unknown; endpoints?: unknown }[] }>(body, ctx, 'a model list');
  const data = [];
  for (const m of Array.isArray(parsed.models) ? parsed.models : []) {
    if (typeof m.name !== 'string') continue;
    const endpoints = Array.isArray(m.endpoints) ? m.endpoints : null;
    if (endpoints && !endpoints.includes('chat') && !endpoints.includes('embed')) continue;
    data.push({ id: m.name, object: 'model', created: 0, owned_by: 'cohere' });
  }
  return { body: JSON.stringify({ object: 'list', data }), usage: null };
}
