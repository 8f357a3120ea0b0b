import { openAIErrorBody } from '../../errors/index.js';
import type { ChatResult, FinishReason, ResultChoice, ThinkingBlock, TokenLogprob } from '../../model/index.js';
import type { CostOf } from '../adapter.js';
import { openAIUsage, type OpenAIUsageObject } from './usage.js';

interface CompletionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

interface CompletionMessage {
  role: 'assistant';
  content: string | null;
  refusal: string | null;
  reasoning_content?: string;
  thinking_blocks?: ThinkingBlock[];
  tool_calls?: CompletionToolCall[];
}

interface Completion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: { index: number; message: CompletionMessage; logprobs: { content: TokenLogprob[] } | null; finish_reason: FinishReason }[];
  usage?: OpenAIUsageObject;
}

/**
 * A whole answer → an OpenAI `chat.completion` body: reasoning as `reasoning_content`, signed
 * reasoning as `thinking_blocks` (LiteLLM's extension), Gemini's call signatures as Google's
 * `extra_content`, and the usage with its `cost` in USD when the price is known. A 2xx error
 * answer is relayed as the upstream's error body.
 */
export function toOpenAIResponse(result: ChatResult, costOf: CostOf): string {
  if (result.error) return result.error.upstreamBody ?? openAIErrorBody(result.error);
  const out: Completion = {
    id: result.id,
    object: 'chat.completion',
    created: result.created,
    model: result.model,
    choices: result.choices.map((c) => ({
      index: c.index, message: messageOf(c), logprobs: c.logprobs === null ? null : { content: c.logprobs }, finish_reason: c.finishReason,
    })),
  };
  if (result.systemFingerprint !== undefined) out.system_fingerprint = result.systemFingerprint;
  if (result.usage !== null) out.usage = openAIUsage(result.usage, costOf(result.usage));
  return JSON.stringify(out);
}

function messageOf(c: ResultChoice): CompletionMessage {
  const m: CompletionMessage = { role: 'assistant', content: c.content, refusal: c.refusal };
  if (c.reasoning !== null) m.reasoning_content = c.reasoning;
  if (c.thinking.length > 0) m.thinking_blocks = c.thinking;
  if (c.toolCalls.length > 0) {
    m.tool_calls = c.toolCalls.map((t) => {
      const call: CompletionToolCall = { id: t.id, type: 'function', function: { name: t.name, arguments: t.arguments } };
      if (t.signature !== undefined) call.extra_content = { google: { thought_signature: t.signature } };
      return call;
    });
  }
  return m;
}
