import { LocalRouterError } from '../../errors/index.js';
import type { TranslateContext } from '../adapter.js';
import { mapOpenAIFinishReason } from './map-anthropic-finish-reason.js';
import { fromOpenAIUsage } from './map-anthropic-usage.js';
import { isRecord } from './translate-errors.js';
import type { AnthropicContentBlock, AnthropicMessage, OpenAIChatCompletion } from './wire-types.js';

/** What the reverse translators need from the request context. */
export type AnthropicClientContext = Pick<TranslateContext, 'model' | 'newId'>;

/**
 * An OpenAI `chat.completion` (JSON text or parsed) → an Anthropic `message`, for the
 * Anthropic-compatible ingress. Content order is Anthropic's: thinking, then text, then tool_use.
 * Thinking comes from `thinking_blocks` when the upstream kept signatures (an Anthropic upstream),
 * else from `reasoning_content`/`reasoning` with an empty signature.
 */
export function toAnthropicResponse(completion: string | OpenAIChatCompletion, ctx: AnthropicClientContext): AnthropicMessage {
  let c: OpenAIChatCompletion;
  try {
    c = typeof completion === 'string' ? JSON.parse(completion) as OpenAIChatCompletion : completion;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', 'the upstream sent a completion that is not JSON');
  }
  const choice = Array.isArray(c?.choices) ? c.choices[0] : undefined;
  if (!choice || !isRecord(choice.message)) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', 'the upstream sent a completion without a choice');
  const m = choice.message;
  const content: AnthropicContentBlock[] = [];
  if (Array.isArray(m.thinking_blocks) && m.thinking_blocks.length > 0) {
    content.push(...m.thinking_blocks);
  } else {
    const reasoning = typeof m.reasoning_content === 'string' ? m.reasoning_content : typeof m.reasoning === 'string' ? m.reasoning : '';
    if (reasoning.length > 0) content.push({ type: 'thinking', thinking: reasoning, signature: '' });
  }
  const text = textOf(m.content);
  if (text.length > 0) content.push({ type: 'text', text });
  if (typeof m.refusal === 'string' && m.refusal.length > 0) content.push({ type: 'text', text: m.refusal });
  for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
    content.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments, call.function.name) });
  }
  return {
    id: ctx.newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: typeof c.model === 'string' && c.model.length > 0 ? c.model : ctx.model,
    content,
    stop_reason: mapOpenAIFinishReason(choice.finish_reason),
    stop_sequence: null,
    usage: fromOpenAIUsage(c.usage),
  };
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((p) => (isRecord(p) && typeof p.text === 'string' ? p.text : '')).join('');
}

function parseArguments(args: string, name: string): unknown {
  if (typeof args !== 'string' || args.trim().length === 0) return {};
  try {
    return JSON.parse(args);
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `the upstream sent tool call "${name}" with arguments that are not JSON`);
  }
}
