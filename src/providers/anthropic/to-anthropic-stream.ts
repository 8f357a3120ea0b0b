import type { DialectStream } from '../client-dialect.js';
import { createSseState, endSse, feedSse, type SseEvent } from '../sse/parse-sse.js';
import { mapOpenAIFinishReason } from './map-anthropic-finish-reason.js';
import { fromOpenAIUsage } from './map-anthropic-usage.js';
import { openAIErrorToAnthropic } from './to-anthropic-error.js';
import type { AnthropicClientContext } from './to-anthropic-response.js';
import type { AnthropicThinkingLike, OpenAIUsage } from './wire-types.js';

interface ChunkDelta {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  thinking_blocks?: AnthropicThinkingLike[] | null;
  refusal?: string | null;
  tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] | null;
}

interface Chunk {
  model?: string;
  choices?: { delta?: ChunkDelta; finish_reason?: string | null }[];
  usage?: OpenAIUsage | null;
  error?: unknown;
}

const event = (name: string, data: unknown): string => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * OpenAI `chat.completion.chunk` SSE (what the engine produces for every provider) → Anthropic
 * Messages stream events, for the Anthropic-compatible ingress: `message_start`, then per content
 * block `content_block_start` / `content_block_delta` (`thinking_delta` + `signature_delta`,
 * `text_delta`, `input_json_delta`) / `content_block_stop` with consecutive indices, then
 * `message_delta` with the stop reason and the usage, and `message_stop`. OpenAI only reports usage
 * at the end, so `message_start` carries zeros and `message_delta` the real counts (the Anthropic
 * SDK overwrites its snapshot with them). The usage chunk reaches this translator only when the
 * request was dispatched with the client-wants-usage flag. An OpenAI error chunk becomes an `error`
 * event; an upstream that ends before its finish reason ends with an `api_error` event.
 */
export function createAnthropicClientStream(ctx: AnthropicClientContext): DialectStream {
  const sse = createSseState();
  let started = false;
  let done = false;
  let next = 0;
  let open: { index: number; kind: 'text' | 'thinking' } | null = null;
  const tools = new Map<number, number>();
  let finishReason: string | null = null;
  let usage: OpenAIUsage | null = null;

  const start = (model: string | undefined): string => {
    if (started) return '';
    started = true;
    return event('message_start', {
      type: 'message_start',
      message: {
        id: ctx.newId('msg_'), type: 'message', role: 'assistant', model: model || ctx.model, content: [],
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

  const thinkingBlock = (b: AnthropicThinkingLike): string => {
    if (b.type === 'redacted_thinking') {
      const index = next++;
      return closeOpen() + closeTools()
        + event('content_block_start', { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: b.data } })
        + event('content_block_stop', { type: 'content_block_stop', index });
    }
    // The whole block follows its streamed text: only the signature is new, unless no text was streamed.
    let out = '';
    if (open?.kind !== 'thinking') {
      out += openBlock('thinking');
      if (b.thinking) out += delta(open!.index, { type: 'thinking_delta', thinking: b.thinking });
    }
    if (b.signature) out += delta(open!.index, { type: 'signature_delta', signature: b.signature });
    return out + closeOpen();
  };

  const onDelta = (d: ChunkDelta): string => {
    let out = '';
    const reasoning = d.reasoning_content ?? d.reasoning;
    if (typeof reasoning === 'string' && reasoning.length > 0) {
      out += openBlock('thinking') + delta(open!.index, { type: 'thinking_delta', thinking: reasoning });
    }
    if (Array.isArray(d.thinking_blocks)) for (const b of d.thinking_blocks) out += thinkingBlock(b);
    for (const text of [d.content, d.refusal]) {
      if (typeof text === 'string' && text.length > 0) out += openBlock('text') + delta(open!.index, { type: 'text_delta', text });
    }
    if (Array.isArray(d.tool_calls)) {
      for (const tc of d.tool_calls) {
        const key = typeof tc.index === 'number' ? tc.index : 0;
        let index = tools.get(key);
        if (index === undefined) {
          out += closeOpen();
          index = next++;
          tools.set(key, index);
          const block = { type: 'tool_use', id: tc.id ?? ctx.newId('toolu_'), name: tc.function?.name ?? '', input: {} };
          out += event('content_block_start', { type: 'content_block_start', index, content_block: block });
        }
        const args = tc.function?.arguments;
        if (typeof args === 'string' && args.length > 0) out += delta(index, { type: 'input_json_delta', partial_json: args });
      }
    }
    return out;
  };

  const finish = (): string => {
    done = true;
    return closeOpen() + closeTools()
      + event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: mapOpenAIFinishReason(finishReason), stop_sequence: null },
        usage: fromOpenAIUsage(usage),
      })
      + event('message_stop', { type: 'message_stop' });
  };

  const onEvent = (ev: SseEvent): string => {
    if (done || ev.data === null) return '';
    if (ev.data === '[DONE]') return start(undefined) + finish();
    let chunk: Chunk;
    try {
      chunk = JSON.parse(ev.data) as Chunk;
    } catch {
      done = true;
      return event('error', { type: 'error', error: { type: 'api_error', message: 'the upstream sent a stream event that is not JSON' } });
    }
    if (chunk.error !== undefined && chunk.error !== null) {
      done = true;
      return `event: error\ndata: ${openAIErrorToAnthropic(0, JSON.stringify({ error: chunk.error }))}\n\n`;
    }
    let out = start(chunk.model);
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (choice?.delta) out += onDelta(choice.delta);
    if (choice?.finish_reason) finishReason = choice.finish_reason;
    if (chunk.usage && typeof chunk.usage === 'object') usage = chunk.usage;
    return out;
  };

  return {
    feed(openAISse: string): string {
      let out = '';
      feedSse(sse, openAISse, (ev) => { out += onEvent(ev); });
      return out;
    },
    end(): string {
      let out = '';
      endSse(sse, (ev) => { out += onEvent(ev); });
      if (done) return out;
      if (finishReason !== null) return out + start(undefined) + finish();
      done = true;
      return out + event('error', { type: 'error', error: { type: 'api_error', message: 'the upstream stream ended before the answer was complete' } });
    },
  };
}
