import { LocalRouterError } from '../../errors/index.js';
import type { ChatResult, ResultChoice, ResultToolCall, ThinkingBlock } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import { finishReasonOf, streamError, type OpenAIErrorObject } from './from-openai-chunks.js';
import { scanOpenAIBody } from './scan-body.js';
import { usageOf } from './usage.js';

interface CompletionMessage {
  content?: unknown;
  refusal?: unknown;
  reasoning_content?: unknown;
  reasoning?: unknown;
  thinking_blocks?: ThinkingBlock[] | null;
  tool_calls?: { id?: unknown; function?: { name?: unknown; arguments?: unknown } }[] | null;
}

interface Completion {
  id?: unknown;
  created?: unknown;
  model?: unknown;
  system_fingerprint?: unknown;
  choices?: { index?: number; message?: CompletionMessage; finish_reason?: string | null }[];
  usage?: Parameters<typeof usageOf>[0];
  error?: OpenAIErrorObject | null;
}

/**
 * A 2xx OpenAI `chat.completion` body → a `ChatResult`, for clients of another dialect. A body
 * that is an error object instead is kept as the result's error (relayed as is where the client's
 * error shape is OpenAI's). The model and creation time fall back to the request's when absent.
 */
export function fromOpenAIResponse(body: string, ctx: TranslateContext): ChatResult {
  const scan = scanOpenAIBody(body);
  if (!scan.ok) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${ctx.provider.name}" sent a body that is not valid JSON: ${scan.reason}`);
  const c = JSON.parse(body) as Completion;
  const model = typeof c.model === 'string' && c.model.length > 0 ? c.model : ctx.model;
  const created = typeof c.created === 'number' ? c.created : Math.floor(ctx.now() / 1000);
  const id = typeof c.id === 'string' ? c.id : '';
  if (c.error !== undefined && c.error !== null && !Array.isArray(c.choices)) {
    return { id, model, created, choices: [], usage: null, error: { ...streamError(c.error), upstreamBody: body } };
  }
  const result: ChatResult = {
    id, model, created,
    choices: (Array.isArray(c.choices) ? c.choices : []).map((ch, i) => choiceOf(ch, i)),
    usage: usageOf(c.usage),
  };
  if (typeof c.system_fingerprint === 'string') result.systemFingerprint = c.system_fingerprint;
  return result;
}

function choiceOf(ch: NonNullable<Completion['choices']>[number], i: number): ResultChoice {
  const m: CompletionMessage = typeof ch?.message === 'object' && ch.message !== null ? ch.message : {};
  const reasoning = typeof m.reasoning_content === 'string' ? m.reasoning_content : typeof m.reasoning === 'string' ? m.reasoning : null;
  return {
    index: typeof ch?.index === 'number' ? ch.index : i,
    content: textOf(m.content),
    refusal: typeof m.refusal === 'string' ? m.refusal : null,
    reasoning: reasoning !== null && reasoning.length > 0 ? reasoning : null,
    thinking: Array.isArray(m.thinking_blocks) ? m.thinking_blocks : [],
    toolCalls: (Array.isArray(m.tool_calls) ? m.tool_calls : []).map((t): ResultToolCall => ({
      id: typeof t?.id === 'string' ? t.id : '',
      name: typeof t?.function?.name === 'string' ? t.function.name : '',
      arguments: typeof t?.function?.arguments === 'string' ? t.function.arguments : '',
    })),
    finishReason: finishReasonOf(ch?.finish_reason),
    logprobs: null,
  };
}

/** A message's text: a string, or the texts of an array of parts joined. */
function textOf(content: unknown): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  return content.map((p: { text?: unknown } | null) => (typeof p?.text === 'string' ? p.text : '')).join('');
}
