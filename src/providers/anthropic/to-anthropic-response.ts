import { LocalRouterError } from '../../errors/index.js';
import type { ChatResult } from '../../model/index.js';
import { mapOpenAIFinishReason } from './map-anthropic-finish-reason.js';
import { anthropicUsageOf } from './map-anthropic-usage.js';
import type { AnthropicClientContext } from './to-anthropic-stream.js';
import type { AnthropicContentBlock, AnthropicMessage } from './wire-types.js';

/**
 * A whole answer → an Anthropic `message`, for Anthropic-SDK clients of a provider that speaks
 * something else. Content order is Anthropic's: thinking, then text, then tool_use. Thinking comes
 * from the signed blocks when the upstream kept signatures, else from the reasoning text with an
 * empty signature. A 2xx error answer has no message to give: LR_ERR_UPSTREAM_BAD_RESPONSE.
 */
export function toAnthropicResponse(result: ChatResult, ctx: AnthropicClientContext): AnthropicMessage {
  const choice = result.choices.find((c) => c.index === 0) ?? result.choices[0];
  if (!choice) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', 'the upstream sent a completion without a choice');
  const content: AnthropicContentBlock[] = [];
  if (choice.thinking.length > 0) content.push(...choice.thinking);
  else if (choice.reasoning !== null && choice.reasoning.length > 0) content.push({ type: 'thinking', thinking: choice.reasoning, signature: '' });
  if (choice.content !== null && choice.content.length > 0) content.push({ type: 'text', text: choice.content });
  if (choice.refusal !== null && choice.refusal.length > 0) content.push({ type: 'text', text: choice.refusal });
  for (const call of choice.toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments, call.name) });
  return {
    id: ctx.answer?.id ?? ctx.newId('msg_'),
    type: 'message',
    role: 'assistant',
    model: result.model.length > 0 ? result.model : ctx.model,
    content,
    stop_reason: mapOpenAIFinishReason(choice.finishReason),
    stop_sequence: null,
    usage: anthropicUsageOf(result.usage),
  };
}

function parseArguments(args: string, name: string): unknown {
  if (args.trim().length === 0) return {};
  try {
    return JSON.parse(args);
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `the upstream sent tool call "${name}" with arguments that are not JSON`);
  }
}
