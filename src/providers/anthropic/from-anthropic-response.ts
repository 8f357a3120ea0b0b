import { LocalRouterError } from '../../errors/index.js';
import type { ChatResult, ResultToolCall, ThinkingBlock, Usage } from '../../model/index.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { emptyCounters, mergeUsage, toUsage } from './map-anthropic-usage.js';
import type { AnthropicMessage } from './wire-types.js';

/**
 * A non-streamed Anthropic `message` → the typed result. Text blocks join into the content;
 * `tool_use` blocks become tool calls; thinking comes back as the joined reasoning text and as every
 * thinking and redacted-thinking block with its signature, to send back on the next turn of a tool loop.
 */
export function fromAnthropicResponse(body: string, created: number): ChatResult {
  const msg = parseMessage(body);
  let text = '';
  let reasoning = '';
  const thinking: ThinkingBlock[] = [];
  const toolCalls: ResultToolCall[] = [];
  for (const block of msg.content) {
    switch (block.type) {
      case 'text':
        text += block.text;
        break;
      case 'thinking':
        reasoning += block.thinking;
        thinking.push({ type: 'thinking', thinking: block.thinking, signature: block.signature });
        break;
      case 'redacted_thinking':
        thinking.push({ type: 'redacted_thinking', data: block.data });
        break;
      case 'tool_use':
        toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
        break;
      default:
        // Only server tools produce other blocks, and this adapter never sends any.
        throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `Anthropic sent an unexpected "${(block as { type: string }).type}" content block`);
    }
  }
  const counters = emptyCounters();
  mergeUsage(counters, msg.usage);
  return {
    id: msg.id,
    model: msg.model,
    created,
    choices: [{
      index: 0,
      content: text.length > 0 || toolCalls.length === 0 ? text : null,
      refusal: null,
      reasoning: thinking.length > 0 ? reasoning : null,
      thinking,
      toolCalls,
      finishReason: mapAnthropicFinishReason(msg.stop_reason),
      logprobs: null,
    }],
    usage: toUsage(counters),
  };
}

/** A non-streamed message's exact usage, for the body an Anthropic client gets as it is. */
export function anthropicMessageUsage(body: string): Usage {
  const counters = emptyCounters();
  mergeUsage(counters, parseMessage(body).usage);
  return toUsage(counters);
}

/** A non-streamed body as a `message`, or LR_ERR_UPSTREAM_BAD_RESPONSE when it is not one. */
export function parseMessage(body: string): AnthropicMessage {
  let msg: AnthropicMessage;
  try {
    msg = JSON.parse(body) as AnthropicMessage;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', 'Anthropic sent a body that is not JSON');
  }
  if (typeof msg !== 'object' || msg === null || !Array.isArray(msg.content)) {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', 'Anthropic sent a body that is not a message');
  }
  return msg;
}

interface AnthropicModelInfo {
  id?: unknown;
  display_name?: unknown;
  created_at?: unknown;
  max_input_tokens?: unknown;
  max_tokens?: unknown;
}

/**
 * `GET /v1/models` (`{data:[{id, display_name, created_at, ...}], has_more, first_id, last_id}`) → an
 * OpenAI model list, keeping the display name and the token limits where Anthropic reports them.
 */
export function fromAnthropicModels(body: string): string {
  let parsed: { data?: AnthropicModelInfo[] };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', 'Anthropic sent a model list that is not JSON');
  }
  const data = (Array.isArray(parsed.data) ? parsed.data : []).filter((m) => typeof m?.id === 'string').map((m) => {
    const created = typeof m.created_at === 'string' ? Math.floor(Date.parse(m.created_at) / 1000) : 0;
    const entry: Record<string, unknown> = { id: m.id, object: 'model', created: Number.isFinite(created) ? created : 0, owned_by: 'anthropic' };
    if (typeof m.display_name === 'string') entry.display_name = m.display_name;
    if (typeof m.max_input_tokens === 'number') entry.context_length = m.max_input_tokens;
    if (typeof m.max_tokens === 'number') entry.max_output_tokens = m.max_tokens;
    return entry;
  });
  return JSON.stringify({ object: 'list', data });
}
