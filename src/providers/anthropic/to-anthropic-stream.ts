import type { FinishPart, PlainError, StreamPart } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import type { PartEncoder } from '../client-dialect.js';
import { mapOpenAIFinishReason } from './map-anthropic-finish-reason.js';
import { anthropicUsageOf } from './map-anthropic-usage.js';
import { toAnthropicError } from './to-anthropic-error.js';

const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** What the Anthropic encoders need from the request context. */
export type AnthropicClientContext = Pick<TranslateContext, 'model' | 'newId' | 'answer'>;

/**
 * Parts → Anthropic Messages stream events, for Anthropic-SDK clients of a provider that speaks
 * something else: `message_start`, then per content block `content_block_start` /
 * `content_block_delta` (`thinking_delta` + `signature_delta`, `text_delta`, `input_json_delta`) /
 * `content_block_stop` with consecutive indices, then `message_delta` with the stop reason and the
 * usage, and `message_stop`. The other providers report usage only at the end, so `message_start`
 * carries zeros and `message_delta` the real counts (the Anthropic SDK overwrites its snapshot with
 * them). A thinking block without a signature (DeepSeek-style reasoning) gets none. An error part
 * becomes an `error` event; parts of extra candidates (`choice` > 0) are not carried.
 */
export function createAnthropicPartEncoder(ctx: AnthropicClientContext): PartEncoder {
  let started = false;
  let done = false;
  let next = 0;
  let open: { index: number; kind: 'text' | 'thinking' } | null = null;
  const tools = new Map<number, number>();

  const start = (model: string): string => {
    if (started) return '';
    started = true;
    return event('message_start', {
      type: 'message_start',
      message: {
        id: ctx.answer?.id ?? ctx.newId('msg_'), type: 'message', role: 'assistant', model: ctx.answer?.model ?? (model || ctx.model), content: [],
        stop_reason: null, stop_sequence: null,
        usage: { input_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 },
      },
    });
  };
  const closeOpen = (): string => {
    if (!open) return '';
    const out = event('content_block_stop', { type: 'content_block_stop', index: open.index });
    open = null;
    return out;
  };
  const closeTools = (): string => {
    let out = '';
    for (const index of tools.values()) out += event('content_block_stop', { type: 'content_block_stop', index });
    tools.clear();
    return out;
  };
  const openBlock = (kind: 'text' | 'thinking'): string => {
    if (open?.kind === kind) return '';
    const out = closeOpen() + closeTools();
    open = { index: next++, kind };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    return out + event('content_block_start', { type: 'content_block_start', index: open.index, content_block: block });
  };
  const delta = (index: number, d: unknown): string => event('content_block_delta', { type: 'content_block_delta', index, delta: d });

  /** A signed block's end: its signature, or the whole block when its text was not streamed. */
  const thinkingEnd = (text: string, signature: string): string => {
    let out = '';
    if (open?.kind !== 'thinking') {
      out += openBlock('thinking');
      if (text) out += delta(open!.index, { type: 'thinking_delta', thinking: text });
    }
    if (signature) out += delta(open!.index, { type: 'signature_delta', signature });
    return out + closeOpen();
  };
  const redacted = (data: string): string => {
    const index = next++;
    return closeOpen() + closeTools()
      + event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data } })
      + event('content_block_stop', { type: 'content_block_stop', index });
  };
  // Anthropic streams one content block at a time: a new tool call closes the one before it (OpenAI
  // and Gemini send parallel calls one after another, never interleaved).
  const toolStart = (key: number, id: string, name: string, args: string): string => {
    let out = closeOpen() + closeTools();
    const index = next++;
    tools.set(key, index);
    out += event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: id || ctx.newId('toolu_'), name, input: {} } });
    if (args.length > 0) out += delta(index, { type: 'input_json_delta', partial_json: args });
    return out;
  };
  const finish = (reason: FinishPart): string => {
    done = true;
    return start('') + closeOpen() + closeTools()
      + event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: mapOpenAIFinishReason(reason.reason), stop_sequence: null },
        usage: anthropicUsageOf(reason.usage),
      })
      + event('message_stop', { type: 'message_stop' });
  };
  const fail = (error: PlainError): string => {
    done = true;
    return `event: error\ndata: ${JSON.stringify(toAnthropicError(error))}\n\n`;
  };

  const part = (p: StreamPart): string => {
    if (done || ('choice' in p && p.choice !== undefined && p.choice !== 0)) return '';
    switch (p.type) {
      case 'response-start': return start(p.model);
      case 'reasoning-delta': return start('') + openBlock('thinking') + delta(open!.index, { type: 'thinking_delta', thinking: p.text });
      case 'reasoning-end': return start('') + thinkingEnd(p.text, p.signature);
      case 'redacted-reasoning': return start('') + redacted(p.data);
      case 'text-delta':
      case 'refusal-delta': return start('') + openBlock('text') + delta(open!.index, { type: 'text_delta', text: p.text });
      case 'tool-call-start': return start('') + toolStart(p.index, p.id, p.name, p.args);
      case 'tool-call-delta': {
        const index = tools.get(p.index);
        return index !== undefined && p.args.length > 0 ? delta(index, { type: 'input_json_delta', partial_json: p.args }) : '';
      }
      case 'tool-call-end': {
        const index = tools.get(p.index);
        if (index === undefined) return '';
        tools.delete(p.index);
        return event('content_block_stop', { type: 'content_block_stop', index });
      }
      case 'finish': return finish(p);
      case 'error': return fail(p.error);
    }
  };

  return {
    part,
    end(): string {
      if (done) return '';
      done = true;
      return event('error', { type: 'error', error: { type: 'api_error', message: 'the upstream stream ended before the answer was complete' } });
    },
  };
}

