import { LocalRouterError } from '../../errors/index.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../sse/parse-sse.js';
import { reasoningOf, type ChatCompletionLike, type ChatMessageOut } from './chat-types.js';
import type { ResponsesEcho } from './from-responses-request.js';
import {
  echoOf, incompleteReason, outputText, responseObject, responsesUsage,
  type OutputItem, type OutputRefusal, type OutputText, type ReasoningText, type ResponsesTranslateContext, type ResponseState, type ResponseStatus,
} from './to-responses-response.js';

/** One output item being streamed, with its open content part (message and reasoning items). */
interface StreamItem {
  item: OutputItem;
  outputIndex: number;
  open: boolean;
  part: OutputText | OutputRefusal | ReasoningText | null;
}

/**
 * State of one OpenAI `chat.completion.chunk` stream → Responses event stream translation, owned by
 * the caller. Items open as their first delta arrives: reasoning and message items one at a time
 * (a delta of the other kind closes the open one), function calls one per chat tool-call index, left
 * open until the end since chat may interleave their argument deltas.
 */
export interface ResponsesStreamState {
  sse: SseState;
  ctx: ResponsesTranslateContext;
  echo: ResponsesEcho;
  seq: number;
  started: boolean;
  /** A terminal event (completed, incomplete, failed) was sent; anything after it is ignored. */
  terminal: boolean;
  response: ResponseState;
  items: StreamItem[];
  current: StreamItem | null;
  tools: Map<number, StreamItem>;
  finish: string | null;
}

/** An error to end the stream with: an upstream's OpenAI error object, or a gateway PlainError. */
export interface StreamFailure {
  message?: string;
  code?: string | null;
  type?: string;
  status?: number;
}

export function createResponsesStreamState(ctx: ResponsesTranslateContext): ResponsesStreamState {
  return {
    sse: createSseState(), ctx, echo: echoOf(ctx), seq: 0, started: false, terminal: false,
    response: {
      id: ctx.newId('resp_'), createdAt: Math.floor(ctx.now() / 1000), status: 'in_progress', completedAt: null,
      error: null, incompleteReason: null, model: ctx.model, output: [], usage: null,
    },
    items: [], current: null, tools: new Map(), finish: null,
  };
}

/** Chat SSE text in (any split) → Responses SSE text out. Throws on a chunk that is not JSON. */
export function feedResponsesStream(state: ResponsesStreamState, text: string): string {
  if (state.terminal) return '';
  let out = '';
  feedSse(state.sse, text, (ev) => { out += onEvent(state, ev); });
  return out;
}

/**
 * Upstream ended: a stream that reached a finish reason or `[DONE]` completes (usage included when
 * it came); one cut short before either fails with `server_error`.
 */
export function endResponsesStream(state: ResponsesStreamState): string {
  let out = '';
  endSse(state.sse, (ev) => { out += onEvent(state, ev); });
  if (state.terminal) return out;
  if (state.finish !== null) return out + complete(state);
  return out + failResponsesStream(state, { message: 'the upstream stream ended before the response was complete' });
}

/** Ends the stream with `response.failed` (after `response.created` if nothing was sent yet). */
export function failResponsesStream(state: ResponsesStreamState, err: StreamFailure): string {
  if (state.terminal) return '';
  let out = start(state);
  for (const s of state.items) {
    if (s.open && s.item.type !== 'reasoning') s.item.status = 'incomplete';
  }
  const r = state.response;
  r.status = 'failed';
  r.error = { code: errorCode(err), message: err.message ?? 'upstream error' };
  state.terminal = true;
  out += event(state, 'response.failed', { response: responseObject(r, state.echo) });
  return out;
}

/** ResponseError codes are an enum: rate limits keep theirs, everything else is a server error. */
function errorCode(err: StreamFailure): string {
  const rateLimited = err.status === 429 || err.code === 'rate_limit_exceeded' || err.type === 'rate_limit_error'
    || err.type === 'rate_limit_exceeded';
  return rateLimited ? 'rate_limit_exceeded' : 'server_error';
}

function event(state: ResponsesStreamState, type: string, fields: Record<string, unknown>): string {
  const data = JSON.stringify({ type, sequence_number: state.seq++, ...fields });
  return `event: ${type}\ndata: ${data}\n\n`;
}

/** `response.created` and `response.in_progress`, once, before anything else. */
function start(state: ResponsesStreamState): string {
  if (state.started) return '';
  state.started = true;
  const snapshot = responseObject(state.response, state.echo);
  return event(state, 'response.created', { response: snapshot }) + event(state, 'response.in_progress', { response: snapshot });
}

function onEvent(state: ResponsesStreamState, ev: SseEvent): string {
  if (state.terminal || ev.data === null) return '';
  if (ev.data === '[DONE]') return complete(state);
  let chunk: ChatCompletionLike;
  try {
    chunk = JSON.parse(ev.data) as ChatCompletionLike;
  } catch {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" sent a stream event that is not JSON`);
  }
  if (chunk.error) return failResponsesStream(state, chunk.error);
  if (typeof chunk.model === 'string' && chunk.model.length > 0) state.response.model = chunk.model;
  if (chunk.usage) state.response.usage = responsesUsage(chunk.usage);
  // Started at the first chunk rather than the first bytes, so the snapshot names the upstream's model.
  let out = start(state);
  const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0);
  if (!choice) return out;
  const delta: ChatMessageOut = choice.delta ?? {};
  const reasoning = reasoningOf(delta);
  if (reasoning.length > 0) out += appendText(state, 'reasoning_text', reasoning);
  if (typeof delta.content === 'string' && delta.content.length > 0) out += appendText(state, 'output_text', delta.content);
  if (typeof delta.refusal === 'string' && delta.refusal.length > 0) out += appendText(state, 'refusal', delta.refusal);
  if (Array.isArray(delta.tool_calls)) {
    for (const call of delta.tool_calls) out += appendToolCall(state, call);
  }
  if (typeof choice.finish_reason === 'string') state.finish = choice.finish_reason;
  return out;
}

type TextKind = 'reasoning_text' | 'output_text' | 'refusal';

/** Appends text to the open reasoning or message item, opening the item and the part as needed. */
function appendText(state: ResponsesStreamState, kind: TextKind, text: string): string {
  let out = '';
  const itemType = kind === 'reasoning_text' ? 'reasoning' : 'message';
  let s = state.current;
  if (s === null || s.item.type !== itemType) {
    if (s !== null) out += closeItem(state, s, 'completed');
    s = openItem(state, itemType === 'reasoning'
      ? { id: state.ctx.newId('rs_'), type: 'reasoning', summary: [], content: [] }
      : { id: state.ctx.newId('msg_'), type: 'message', status: 'in_progress', content: [], role: 'assistant' });
    out += event(state, 'response.output_item.added', { output_index: s.outputIndex, item: s.item });
    state.current = s;
  }
  const item = s.item as Extract<OutputItem, { type: 'message' | 'reasoning' }>;
  if (s.part === null || s.part.type !== kind) {
    if (s.part !== null) out += closePart(state, s);
    const part = kind === 'output_text' ? outputText('') : kind === 'refusal' ? { type: 'refusal' as const, refusal: '' } : { type: 'reasoning_text' as const, text: '' };
    (item.content as Array<typeof part>).push(part);
    s.part = part;
    out += event(state, 'response.content_part.added', { ...where(s), part });
  }
  const part = s.part;
  if (part.type === 'refusal') {
    part.refusal += text;
    return out + event(state, 'response.refusal.delta', { ...where(s), delta: text });
  }
  part.text += text;
  if (part.type === 'reasoning_text') return out + event(state, 'response.reasoning_text.delta', { ...where(s), delta: text });
  return out + event(state, 'response.output_text.delta', { ...where(s), delta: text, logprobs: [] });
}

function appendToolCall(state: ResponsesStreamState, call: NonNullable<ChatMessageOut['tool_calls']>[number]): string {
  let out = '';
  const index = typeof call.index === 'number' ? call.index : 0;
  let s = state.tools.get(index);
  if (s === undefined) {
    if (state.current !== null) {
      out += closeItem(state, state.current, 'completed');
      state.current = null;
    }
    s = openItem(state, {
      id: state.ctx.newId('fc_'), type: 'function_call', status: 'in_progress', arguments: '',
      call_id: call.id ?? state.ctx.newId('call_'), name: call.function?.name ?? '',
    });
    state.tools.set(index, s);
    out += event(state, 'response.output_item.added', { output_index: s.outputIndex, item: s.item });
  }
  const item = s.item as Extract<OutputItem, { type: 'function_call' }>;
  // Some upstreams send the name after the first delta; the done events carry the whole name.
  if (item.name.length === 0 && typeof call.function?.name === 'string') item.name = call.function.name;
  const args = call.function?.arguments;
  if (typeof args === 'string' && args.length > 0) {
    item.arguments += args;
    out += event(state, 'response.function_call_arguments.delta', { item_id: item.id, output_index: s.outputIndex, delta: args });
  }
  return out;
}

function openItem(state: ResponsesStreamState, item: OutputItem): StreamItem {
  const s: StreamItem = { item, outputIndex: state.items.length, open: true, part: null };
  state.items.push(s);
  state.response.output.push(item);
  return s;
}

function where(s: StreamItem): { item_id: string; output_index: number; content_index: number } {
  const content = (s.item as Extract<OutputItem, { type: 'message' | 'reasoning' }>).content;
  return { item_id: s.item.id, output_index: s.outputIndex, content_index: content.length - 1 };
}

function closePart(state: ResponsesStreamState, s: StreamItem): string {
  const part = s.part;
  if (part === null) return '';
  s.part = null;
  let out: string;
  if (part.type === 'refusal') out = event(state, 'response.refusal.done', { ...where(s), refusal: part.refusal });
  else if (part.type === 'reasoning_text') out = event(state, 'response.reasoning_text.done', { ...where(s), text: part.text });
  else out = event(state, 'response.output_text.done', { ...where(s), text: part.text, logprobs: [] });
  return out + event(state, 'response.content_part.done', { ...where(s), part });
}

function closeItem(state: ResponsesStreamState, s: StreamItem, status: ResponseStatus): string {
  if (!s.open) return '';
  s.open = false;
  if (state.current === s) state.current = null;
  const item = s.item;
  let out = '';
  if (item.type === 'function_call') {
    item.status = status;
    out += event(state, 'response.function_call_arguments.done', {
      item_id: item.id, output_index: s.outputIndex, name: item.name, arguments: item.arguments,
    });
  } else {
    out += closePart(state, s);
    if (item.type === 'message') item.status = status;
  }
  return out + event(state, 'response.output_item.done', { output_index: s.outputIndex, item });
}

function complete(state: ResponsesStreamState): string {
  if (state.terminal) return '';
  const reason = incompleteReason(state.finish);
  let out = start(state);
  for (const s of state.items) out += closeItem(state, s, reason === null ? 'completed' : 'incomplete');
  const r = state.response;
  r.status = reason === null ? 'completed' : 'incomplete';
  r.incompleteReason = reason;
  if (reason === null) r.completedAt = Math.floor(state.ctx.now() / 1000);
  state.terminal = true;
  return out + event(state, reason === null ? 'response.completed' : 'response.incomplete', { response: responseObject(r, state.echo) });
}
