import { openAIErrorBody } from '../../errors/index.js';
import type { FinishReason, StreamPart, ToolCallStartPart } from '../../model/index.js';
import type { CostOf, TranslateContext } from '../adapter.js';
import type { PartEncoder } from '../client-dialect.js';
import { openAIUsage } from './usage.js';

/**
 * Parts → OpenAI `chat.completion.chunk` SSE, for OpenAI-chat clients of a provider that speaks
 * something else. Each choice opens with OpenAI's role chunk (`{"role":"assistant","content":""}`);
 * reasoning goes out as `reasoning_content` deltas, and a signed block, once whole, as the LiteLLM
 * `thinking_blocks` extension so a client can send it back on the next turn of a tool loop. The
 * answer's finish is followed, when the client asked for it (`stream_options.include_usage`), by
 * the usage chunk (with `cost` in USD when the price is known), and by `data: [DONE]`; a client
 * that asked for usage also gets `"usage":null` on every other chunk, as OpenAI sends it.
 */
export function createOpenAIChunkEncoder(ctx: TranslateContext, costOf: CostOf): PartEncoder {
  const usageNull = ctx.clientWantsUsage ? ',"usage":null' : '';
  let envelope = '';
  let head = '';
  const started = new Set<number>();
  let done = false;

  const open = (id: string, model: string, created: number): void => {
    envelope = `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)}`;
    head = `data: ${envelope},"choices":[`;
  };
  /** OpenAI's first chunk of a choice, once per choice: choice 0's at the response start, the others' before their first delta. */
  const roleChunk = (choice: number): string => {
    if (started.has(choice)) return '';
    started.add(choice);
    return `${head}{"index":${choice},"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]${usageNull}}\n\n`;
  };
  const chunk = (choice: number, delta: string, finish: FinishReason | null = null, logprobs = 'null'): string => {
    if (head === '') open(ctx.answer?.id ?? '', ctx.answer?.model ?? ctx.model, Math.floor(ctx.now() / 1000));
    const f = finish === null ? 'null' : `"${finish}"`;
    return `${roleChunk(choice)}${head}{"index":${choice},"delta":${delta},"logprobs":${logprobs},"finish_reason":${f}}]${usageNull}}\n\n`;
  };

  const part = (p: StreamPart): string => {
    if (done) return '';
    switch (p.type) {
      case 'response-start':
        open(p.id, p.model, p.created);
        return roleChunk(0);
      case 'text-delta':
        return chunk(p.choice ?? 0, `{"content":${JSON.stringify(p.text)}}`, null,
          p.logprobs !== undefined && p.logprobs.length > 0 ? JSON.stringify({ content: p.logprobs }) : 'null');
      case 'refusal-delta':
        return chunk(p.choice ?? 0, `{"refusal":${JSON.stringify(p.text)}}`);
      case 'reasoning-delta':
        return chunk(p.choice ?? 0, `{"reasoning_content":${JSON.stringify(p.text)}}`);
      case 'reasoning-end':
        return chunk(p.choice ?? 0, `{"thinking_blocks":[${JSON.stringify({ type: 'thinking', thinking: p.text, signature: p.signature })}]}`);
      case 'redacted-reasoning':
        return chunk(p.choice ?? 0, `{"thinking_blocks":[${JSON.stringify({ type: 'redacted_thinking', data: p.data })}]}`);
      case 'tool-call-start':
        return chunk(p.choice ?? 0, `{"tool_calls":[${JSON.stringify(toolCallStart(p))}]}`);
      case 'tool-call-delta': {
        if (p.args.length === 0 && p.name === undefined) return '';
        const fn = p.name === undefined ? { arguments: p.args } : { name: p.name, arguments: p.args };
        return chunk(p.choice ?? 0, `{"tool_calls":[{"index":${p.index},"function":${JSON.stringify(fn)}}]}`);
      }
      case 'tool-call-end':
        return '';
      case 'finish': {
        let out = chunk(p.choice ?? 0, '{}', p.reason);
        if ((p.choice ?? 0) !== 0) return out;
        done = true;
        if (ctx.clientWantsUsage && p.usage !== null) {
          out += `data: ${envelope},"choices":[],"usage":${JSON.stringify(openAIUsage(p.usage, costOf(p.usage)))}}\n\n`;
        }
        return `${out}data: [DONE]\n\n`;
      }
      case 'error':
        done = true;
        return `data: ${p.error.upstreamBody ?? openAIErrorBody(p.error)}\n\n`;
    }
  };

  return { part, end: () => '' };
}

interface ChunkToolCall {
  index: number;
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  extra_content?: { google: { thought_signature: string } };
}

/** A tool call's first delta: id, name, the arguments known so far, and Google's thought signature. */
function toolCallStart(p: ToolCallStartPart): ChunkToolCall {
  const call: ChunkToolCall = { index: p.index, id: p.id, type: 'function', function: { name: p.name, arguments: p.args } };
  if (p.signature !== undefined) call.extra_content = { google: { thought_signature: p.signature } };
  return call;
}
