import type { FinishReason, PlainError, StreamPart, ToolCallDeltaPart, ToolCallStartPart } from '../../model/index.js';
import type { PartEncoder } from '../client-dialect.js';
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
 * State of one parts → Responses event stream encoding, owned by the caller. Items open as their
 * first delta arrives: reasoning and message items one at a time (a delta of the other kind closes
 * the open one), function calls one per tool call, left open until the end since calls may
 * interleave their argument deltas.
 */
export interface ResponsesStreamState {
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
}

export function createResponsesStreamState(ctx: ResponsesTranslateContext): ResponsesStreamState {
  return {
    ctx, echo: echoOf(ctx), seq: 0, started: false, terminal: false,
    response: {
      id: ctx.answer?.id ?? ctx.newId('resp_'), createdAt: Math.floor(ctx.now() / 1000), status: 'in_progress', completedAt: null,
      error: null, incompleteReason: null, model: ctx.answer?.model ?? ctx.model, output: [], usage: null,
    },
    items: [], current: null, tools: new Map(),
  };
}

/**
 * Parts → Responses events (`response.created` ... `response.completed`, each with `event:` and
 * `data:` lines and a `sequence_number`; no `[DONE]`). The finish completes the response, with its
 * usage (`response.incomplete` for a length or content-filter stop); an error part, or an upstream
 * that ended before the finish, fails it with `response.failed`. Signed reasoning blocks add nothing
 * (their text was streamed); parts of extra candidates are not carried.
 */
export function createResponsesPartEncoder(ctx: ResponsesTranslateContext): PartEncoder {
  const state = createResponsesStreamState(ctx);
  return {
    part: (p) => encodePart(state, p),
    end: () => (state.terminal ? '' : failResponsesStream(state, { message: 'the upstream stream ended before the response was complete', status: 502 })),
  };
}

export function encodePart(state: ResponsesStreamState, p: StreamPart): string {
  if (state.terminal || ('choice' in p && p.choice !== undefined && p.choice !== 0)) return '';
  switch (p.type) {
    case 'response-start':
      state.response.model = p.model;
      return start(state);
    case 'reasoning-delta': return start(state) + appendText(state, 'reasoning_text', p.text);
    case 'text-delta': return start(state) + appendText(state, 'output_text', p.text);
    case 'refusal-delta': return start(state) + appendText(state, 'refusal', p.text);
    case 'tool-call-start':
    case 'tool-call-delta': return start(state) + appendToolCall(state, p);
    case 'finish':
      state.response.usage = responsesUsage(p.usage);
      return complete(state, p.reason);
    case 'error': return failResponsesStream(state, p.error);
    default: return '';
  }
}

/** The error a stream fails with: its message, and the status that tells a rate limit apart. */
export type StreamFailure = Pick<PlainError, 'message' | 'status'>;

/** Ends the stream with `response.failed` (after `response.created` if nothing was sent yet). */
export function failResponsesStream(state: ResponsesStreamState, err: StreamFailure): string {
  if (state.terminal) return '';
  let out = start(state);
  for (const s of state.items) {
    if (s.open && s.item.type !== 'reasoning') s.item.status = 'incomplete';
  }
  const r = state.response;
  r.status = 'failed';
  r.error = { code: err.status === 429 ? 'rate_limit_exceeded' : 'server_error', message: err.message };
  state.terminal = true;
  out += event(state, 'response.failed', { response: responseObject(r, state.echo) });
  return out;
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

function appendToolCall(state: ResponsesStreamState, call: ToolCallStartPart | ToolCallDeltaPart): string {
  let out = '';
  let s = state.tools.get(call.index);
  if (s === undefined) {
    if (state.current !== null) {
      out += closeItem(state, state.current, 'completed');
      state.current = null;
    }
    const id = call.type === 'tool-call-start' ? call.id : '';
    s = openItem(state, {
      id: state.ctx.newId('fc_'), type: 'function_call', status: 'in_progress', arguments: '',
      call_id: id.length > 0 ? id : state.ctx.newId('call_'), name: call.name ?? '',
    });
    state.tools.set(call.index, s);
    out += event(state, 'response.output_item.added', { output_index: s.outputIndex, item: s.item });
  }
  const item = s.item as Extract<OutputItem, { type: 'function_call' }>;
  // Some upstreams send the name after the first delta; the done events carry the whole name.
  if (item.name.length === 0 && call.name !== undefined) item.name = call.name;
  const args = call.args;
  if (args.length > 0) {
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

function complete(state: ResponsesStreamState, finish: FinishReason): string {
  if (state.terminal) return '';
  const reason = incompleteReason(finish);
  let out = start(state);
  for (const s of state.items) out += closeItem(state, s, reason === null ? 'completed' : 'incomplete');
  const r = state.response;
  r.status = reason === null ? 'completed' : 'incomplete';
  r.incompleteReason = reason;
  if (reason === null) r.completedAt = Math.floor(state.ctx.now() / 1000);
  state.terminal = true;
  return out + event(state, reason === null ? 'response.completed' : 'response.incomplete', { response: responseObject(r, state.echo) });
}
