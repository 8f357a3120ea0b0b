import { LocalRouterError, type PlainError } from '../../errors/index.js';
import type { StreamPart, Usage } from '../../model/index.js';
import type { PartStream, TranslateContext } from '../adapter.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../../model/index.js';
import { mapAnthropicFinishReason } from './map-anthropic-finish-reason.js';
import { mapAnthropicStreamError } from './map-anthropic-error.js';
import { emptyCounters, mergeUsage, toUsage, type UsageCounters } from './map-anthropic-usage.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicStopReason, AnthropicUsage } from './wire-types.js';

interface BlockState {
  kind: 'text' | 'thinking' | 'tool' | 'redacted';
  /** The tool call's index in the answer (tool_use blocks). */
  toolIndex: number;
  thinking: string;
  signature: string;
}

/** Per-request state of the Anthropic stream → parts translator; owned by the caller. */
export interface AnthropicStreamState {
  provider: string;
  created: number;
  fallbackModel: string;
  sse: SseState;
  blocks: Map<number, BlockState>;
  tools: number;
  counters: UsageCounters;
  sawStart: boolean;
  stopReason: AnthropicStopReason | null;
  finished: boolean;
  /** An upstream `error` event: thrown on the next call, after the parts before it were returned. */
  error: PlainError | null;
}

export function createAnthropicStreamState(provider: string, created: number, model: string): AnthropicStreamState {
  return {
    provider, created, fallbackModel: model, sse: createSseState(), blocks: new Map(), tools: 0, counters: emptyCounters(),
    sawStart: false, stopReason: null, finished: false, error: null,
  };
}

/**
 * Anthropic Messages SSE → parts: `message_start` gives the response start, thinking blocks their
 * deltas and, at `content_block_stop`, their whole text with the signature (`reasoning-end`),
 * redacted thinking its data, `tool_use` blocks a tool call (the input streams as
 * `input_json_delta`), and `message_stop` the finish with the usage counted from `message_start`
 * and `message_delta`.
 */
export function createAnthropicPartStream(ctx: TranslateContext): PartStream {
  const state = createAnthropicStreamState(ctx.provider.name, Math.floor(ctx.now() / 1000), ctx.model);
  return { feed: (text) => feedAnthropicStream(state, text), end: () => endAnthropicStream(state) };
}

/** Feeds upstream SSE text (any split); returns the parts it completes. */
export function feedAnthropicStream(state: AnthropicStreamState, text: string): StreamPart[] {
  if (state.error) throw thrown(state.error);
  const out: StreamPart[] = [];
  feedSse(state.sse, text, (ev) => onEvent(state, ev, out));
  return out;
}

/**
 * Upstream ended. A stream that reported its stop reason is finished even without `message_stop`;
 * one that stopped before saying why was cut short and ends with an error, as does one that sent
 * an `error` event.
 */
export function endAnthropicStream(state: AnthropicStreamState): StreamPart[] {
  const out: StreamPart[] = [];
  if (!state.error) endSse(state.sse, (ev) => onEvent(state, ev, out));
  if (state.error) throw thrown(state.error);
  if (state.finished) return out;
  if (state.stopReason !== null) {
    finish(state, out);
    return out;
  }
  throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" ended the stream before message_stop`);
}

/** The usage reported so far (`message_start` onward). */
export function anthropicStreamUsage(state: AnthropicStreamState): Usage | null {
  return state.sawStart ? toUsage(state.counters) : null;
}

function thrown(error: PlainError): LocalRouterError {
  return new LocalRouterError(error.code, error.message, { status: error.status });
}

function onEvent(state: AnthropicStreamState, ev: SseEvent, out: StreamPart[]): void {
  if (state.error || state.finished || ev.data === null) return;
  // Anthropic names the event twice (the `event:` line and `type`); `type` is authoritative.
  let data: { type?: string; index?: number; [k: string]: unknown };
  try {
    data = JSON.parse(ev.data) as typeof data;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent an event that is not JSON`);
  }
  switch (data.type ?? ev.event) {
    case 'message_start': return messageStart(state, data.message as AnthropicMessage, out);
    case 'content_block_start': return blockStart(state, data.index!, data.content_block as AnthropicContentBlock, out);
    case 'content_block_delta': return blockDelta(state, data.index!, data.delta as Delta, out);
    case 'content_block_stop': return blockStop(state, data.index!, out);
    case 'message_delta': {
      const delta = data.delta as { stop_reason?: AnthropicStopReason | null } | undefined;
      if (delta?.stop_reason) state.stopReason = delta.stop_reason;
      mergeUsage(state.counters, data.usage as AnthropicUsage);
      return;
    }
    case 'message_stop': return finish(state, out);
    case 'error':
      state.error = mapAnthropicStreamError(state.provider, ev.data);
      return;
    default:
      // `ping`, and event types added later: the streaming docs ask clients to ignore what they do not know.
      return;
  }
}

function messageStart(state: AnthropicStreamState, msg: AnthropicMessage | undefined, out: StreamPart[]): void {
  state.sawStart = true;
  mergeUsage(state.counters, msg?.usage);
  out.push({
    type: 'response-start',
    id: typeof msg?.id === 'string' ? msg.id : '',
    model: typeof msg?.model === 'string' ? msg.model : state.fallbackModel,
    created: state.created,
  });
}

function blockStart(state: AnthropicStreamState, index: number, block: AnthropicContentBlock | undefined, out: StreamPart[]): void {
  requireStart(state);
  switch (block?.type) {
    case 'text':
      state.blocks.set(index, { kind: 'text', toolIndex: -1, thinking: '', signature: '' });
      if (block.text) out.push({ type: 'text-delta', text: block.text });
      return;
    case 'thinking':
      state.blocks.set(index, { kind: 'thinking', toolIndex: -1, thinking: block.thinking ?? '', signature: block.signature ?? '' });
      if (block.thinking) out.push({ type: 'reasoning-delta', text: block.thinking });
      return;
    case 'redacted_thinking':
      state.blocks.set(index, { kind: 'redacted', toolIndex: -1, thinking: '', signature: '' });
      out.push({ type: 'redacted-reasoning', data: block.data });
      return;
    case 'tool_use': {
      const toolIndex = state.tools++;
      state.blocks.set(index, { kind: 'tool', toolIndex, thinking: '', signature: '' });
      // The input streams as input_json_delta; a start that already carries it (some compatible servers) sends it at once.
      const input = block.input !== null && typeof block.input === 'object' && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : '';
      out.push({ type: 'tool-call-start', index: toolIndex, id: block.id, name: block.name, args: input });
      return;
    }
    default:
      throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent an unexpected "${String(block?.type)}" content block`);
  }
}

type Delta = { type: string; text?: string; thinking?: string; signature?: string; partial_json?: string };

function blockDelta(state: AnthropicStreamState, index: number, delta: Delta | undefined, out: StreamPart[]): void {
  const block = state.blocks.get(index);
  if (!block || !delta) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" sent a delta for unknown content block ${index}`);
  switch (delta.type) {
    case 'text_delta':
      if (delta.text) out.push({ type: 'text-delta', text: delta.text });
      return;
    case 'thinking_delta':
      if (!delta.thinking) return;
      block.thinking += delta.thinking;
      out.push({ type: 'reasoning-delta', text: delta.thinking });
      return;
    case 'signature_delta':
      block.signature += delta.signature ?? '';
      return;
    case 'input_json_delta':
      if (delta.partial_json) out.push({ type: 'tool-call-delta', index: block.toolIndex, args: delta.partial_json });
      return;
    default:
      // citations_delta and later additions: nothing this adapter asked for.
      return;
  }
}

/** A finished thinking block goes out whole, with its signature, for clients to send back. */
function blockStop(state: AnthropicStreamState, index: number, out: StreamPart[]): void {
  const block = state.blocks.get(index);
  if (block?.kind === 'tool') {
    out.push({ type: 'tool-call-end', index: block.toolIndex });
  } else if (block?.kind === 'thinking') {
    out.push({ type: 'reasoning-end', text: block.thinking, signature: block.signature });
    block.thinking = '';
  }
}

function finish(state: AnthropicStreamState, out: StreamPart[]): void {
  requireStart(state);
  state.finished = true;
  out.push({ type: 'finish', reason: mapAnthropicFinishReason(state.stopReason), usage: toUsage(state.counters) });
}

function requireStart(state: AnthropicStreamState): void {
  if (!state.sawStart) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.provider}" streamed content before message_start`);
}
