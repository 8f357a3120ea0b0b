import { LocalRouterError, type PlainError } from '../../errors/index.js';
import type { Usage } from '../../model/index.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../sse/parse-sse.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { mapAnthropicStreamError } from './map-anthropic-error.js';
import { emptyCounters, mergeUsage, toOpenAIUsage, toUsage, type UsageCounters } from './map-anthropic-usage.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicStopReason, AnthropicUsage } from './wire-types.js';

interface BlockState {
  kind: 'text' | 'thinking' | 'tool' | 'redacted';
  /** The OpenAI `tool_calls[].index` of a tool_use block. */
  toolIndex: number;
  thinking: string;
  signature: string;
}

/** Per-request state of the Anthropic → OpenAI stream translator; owned by the caller. */
export interface AnthropicStreamState {
  provider: string;
  clientWantsUsage: boolean;
  created: number;
  fallbackModel: string;
  sse: SseState;
  /** `data: {"id":...,"choices":[{"index":0,"delta":` — built once at `message_start`. */
  head: string;
  id: string;
  model: string;
  blocks: Map<number, BlockState>;
  tools: number;
  counters: UsageCounters;
  sawStart: boolean;
  stopReason: AnthropicStopReason | null;
  finished: boolean;
  /** An upstream `error` event: thrown on the next call, after the output before it was returned. */
  error: PlainError | null;
}

export function createAnthropicStreamState(provider: string, clientWantsUsage: boolean, created: number, model: string): AnthropicStreamState {
  return {
    provider, clientWantsUsage, created, fallbackModel: model, sse: createSseState(), head: '', id: '', model,
    blocks: new Map(), tools: 0, counters: emptyCounters(), sawStart: false, stopReason: null, finished: false, error: null,
  };
}

/** Feeds upstream SSE text (any split); returns OpenAI `chat.completion.chunk` SSE text. */
export function feedAnthropicStream(state: AnthropicStreamState, text: string): string {
  if (state.error) throw thrown(state.error);
  let out = '';
  feedSse(state.sse, text, (ev) => { out += onEvent(state, ev); });
  return out;
}

/**
 * Upstream ended. A stream that reported its stop reason is finished even without `message_stop`;
 * one that stopped before saying why was cut short and ends with an error, as does one that sent
 * an `error` event.
 */
export function endAnthropicStream(state: AnthropicStreamState): string {
  let out = '';
  if (!state.error) endSse(state.sse, (ev) => { out += onEvent(state, ev); });
  if (state.error) throw thrown(state.error);
  if (state.finished) return out;
  if (state.stopReason !== null) return out + finish(state);
  throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" ended the stream before message_stop`);
}

/** The usage reported so far (`message_start` onward), as the engine records it. */
export function anthropicStreamUsage(state: AnthropicStreamState): Usage | null {
  return state.sawStart ? toUsage(state.counters) : null;
}

function thrown(error: PlainError): LocalRouterError {
  return new LocalRouterError(error.code, error.message, { status: error.status });
}

function onEvent(state: AnthropicStreamState, ev: SseEvent): string {
  if (state.error || state.finished || ev.data === null) return '';
  // Anthropic names the event twice (the `event:` line and `type`); `type` is authoritative.
  let data: { type?: string; index?: number; [k: string]: unknown };
  try {
    data = JSON.parse(ev.data) as typeof data;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent an event that is not JSON`);
  }
  switch (data.type ?? ev.event) {
    case 'message_start': return messageStart(state, data.message as AnthropicMessage);
    case 'content_block_start': return blockStart(state, data.index!, data.content_block as AnthropicContentBlock);
    case 'content_block_delta': return blockDelta(state, data.index!, data.delta as Delta);
    case 'content_block_stop': return blockStop(state, data.index!);
    case 'message_delta': {
      const delta = data.delta as { stop_reason?: AnthropicStopReason | null } | undefined;
      if (delta?.stop_reason) state.stopReason = delta.stop_reason;
      mergeUsage(state.counters, data.usage as AnthropicUsage);
      return '';
    }
    case 'message_stop': return finish(state);
    case 'error':
      state.error = mapAnthropicStreamError(state.provider, ev.data);
      return '';
    default:
      // `ping`, and event types added later: the streaming docs ask clients to ignore what they do not know.
      return '';
  }
}

function messageStart(state: AnthropicStreamState, msg: AnthropicMessage | undefined): string {
  state.sawStart = true;
  state.id = typeof msg?.id === 'string' ? msg.id : '';
  state.model = typeof msg?.model === 'string' ? msg.model : state.fallbackModel;
  mergeUsage(state.counters, msg?.usage);
  state.head = `data: {"id":${JSON.stringify(state.id)},"object":"chat.completion.chunk","created":${state.created},"model":${JSON.stringify(state.model)},"choices":[{"index":0,"delta":`;
  return chunk(state, '{"role":"assistant","content":""}');
}

function chunk(state: AnthropicStreamState, delta: string, finishReason: string | null = null): string {
  const finish = finishReason === null ? 'null' : `"${finishReason}"`;
  return `${state.head}${delta},"logprobs":null,"finish_reason":${finish}}]}\n\n`;
}

function blockStart(state: AnthropicStreamState, index: number, block: AnthropicContentBlock | undefined): string {
  requireStart(state);
  switch (block?.type) {
    case 'text':
      state.blocks.set(index, { kind: 'text', toolIndex: -1, thinking: '', signature: '' });
      return block.text ? chunk(state, `{"content":${JSON.stringify(block.text)}}`) : '';
    case 'thinking':
      state.blocks.set(index, { kind: 'thinking', toolIndex: -1, thinking: block.thinking ?? '', signature: block.signature ?? '' });
      return block.thinking ? chunk(state, `{"reasoning_content":${JSON.stringify(block.thinking)}}`) : '';
    case 'redacted_thinking':
      state.blocks.set(index, { kind: 'redacted', toolIndex: -1, thinking: '', signature: '' });
      return chunk(state, `{"thinking_blocks":[${JSON.stringify({ type: 'redacted_thinking', data: block.data })}]}`);
    case 'tool_use': {
      const toolIndex = state.tools++;
      state.blocks.set(index, { kind: 'tool', toolIndex, thinking: '', signature: '' });
      // The input streams as input_json_delta; a start that already carries it (some compatible servers) sends it at once.
      const input = block.input !== null && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
      const call = { index: toolIndex, id: block.id, type: 'function', function: { name: block.name, arguments: input } };
      return chunk(state, `{"tool_calls":[${JSON.stringify(call)}]}`);
    }
    default:
      throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent an unexpected "${String(block?.type)}" content block`);
  }
}

type Delta = { type: string; text?: string; thinking?: string; signature?: string; partial_json?: string };

function blockDelta(state: AnthropicStreamState, index: number, delta: Delta | undefined): string {
  const block = state.blocks.get(index);
  if (!block || !delta) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent a delta for unknown content block ${index}`);
  switch (delta.type) {
    case 'text_delta':
      return delta.text ? chunk(state, `{"content":${JSON.stringify(delta.text)}}`) : '';
    case 'thinking_delta':
      if (!delta.thinking) return '';
      block.thinking += delta.thinking;
      return chunk(state, `{"reasoning_content":${JSON.stringify(delta.thinking)}}`);
    case 'signature_delta':
      block.signature += delta.signature ?? '';
      return '';
    case 'input_json_delta':
      return delta.partial_json ? chunk(state, `{"tool_calls":[{"index":${block.toolIndex},"function":{"arguments":${JSON.stringify(delta.partial_json)}}}]}`) : '';
    default:
      // citations_delta and later additions: nothing this adapter asked for.
      return '';
  }
}

/** A finished thinking block is sent whole, with its signature, for clients to echo back in `thinking_blocks`. */
function blockStop(state: AnthropicStreamState, index: number): string {
  const block = state.blocks.get(index);
  if (block?.kind !== 'thinking') return '';
  const whole = { type: 'thinking', thinking: block.thinking, signature: block.signature };
  block.thinking = '';
  return chunk(state, `{"thinking_blocks":[${JSON.stringify(whole)}]}`);
}

function finish(state: AnthropicStreamState): string {
  requireStart(state);
  state.finished = true;
  let out = chunk(state, '{}', mapAnthropicFinishReason(state.stopReason));
  if (state.clientWantsUsage) {
    out += `data: {"id":${JSON.stringify(state.id)},"object":"chat.completion.chunk","created":${state.created},"model":${JSON.stringify(state.model)},"choices":[],"usage":${JSON.stringify(toOpenAIUsage(state.counters))}}\n\n`;
  }
  return out + 'data: [DONE]\n\n';
}

function requireStart(state: AnthropicStreamState): void {
  if (!state.sawStart) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" streamed content before message_start`);
}
