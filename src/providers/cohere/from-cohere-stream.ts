import { LocalRouterError } from '../../errors/index.js';
import type { StreamPart } from '../../model/index.js';
import type { PartStream, TranslateContext } from '../adapter.js';
import { createNdjsonState, endNdjson, feedNdjson, type NdjsonState } from '../ndjson/parse-ndjson.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../../model/index.js';
import type { CohereStreamEvent } from './cohere-types.js';
import { cohereUsage } from './from-cohere-response.js';
import { cohereFailedGeneration } from './map-cohere-error.js';
import { mapCohereFinishReason } from './map-cohere-finish-reason.js';

/**
 * Cohere's v2 chat stream → parts. Cohere sends SSE when asked for `text/event-stream` and NDJSON
 * otherwise (same events either way): the first byte tells which, and the shared framer for it does
 * the rest. The answer starts with its first part; thinking is reasoning, the tool plan (what the
 * model says before calling tools) and the text are text; tool calls stream their arguments; and
 * `message-end` finishes with the usage. Caller-owned state.
 */
export interface CohereStreamState {
  ctx: TranslateContext;
  framing: 'unknown' | 'sse' | 'ndjson';
  sse: SseState;
  lines: NdjsonState;
  id: string;
  created: number;
  /** The response start went out (it goes before the first part). */
  started: boolean;
  /** Cohere's tool-call `index` → the call's index in the answer. */
  toolIndex: Map<number, number>;
  done: boolean;
  /** A failure the upstream reported: raised on the next call, once the parts before it are out. */
  failure: LocalRouterError | null;
}

export function createCohereStreamState(ctx: TranslateContext): CohereStreamState {
  return {
    ctx, framing: 'unknown', sse: createSseState(), lines: createNdjsonState(), id: ctx.newId('chatcmpl-'), created: Math.floor(ctx.now() / 1000),
    toolIndex: new Map(), started: false, done: false, failure: null,
  };
}

export function createCoherePartStream(ctx: TranslateContext): PartStream {
  const state = createCohereStreamState(ctx);
  return { feed: (text) => feedCohereStream(state, text), end: () => endCohereStream(state) };
}

export function feedCohereStream(state: CohereStreamState, text: string): StreamPart[] {
  if (state.failure) throw state.failure;
  const out: StreamPart[] = [];
  if (state.framing === 'unknown') {
    const first = text.search(/\S/);
    if (first === -1) return out;
    state.framing = text[first] === '{' ? 'ndjson' : 'sse';
  }
  if (state.framing === 'sse') feedSse(state.sse, text, (ev) => onSse(state, ev, out));
  else feedNdjson(state.lines, text, (line) => onData(state, line, out));
  if (state.failure && out.length === 0) throw state.failure;
  return out;
}

/** Upstream ended. A stream without `message-end` was cut: that is an error, not a stop. */
export function endCohereStream(state: CohereStreamState): StreamPart[] {
  if (state.failure) throw state.failure;
  const out: StreamPart[] = [];
  if (state.framing === 'sse') endSse(state.sse, (ev) => onSse(state, ev, out));
  else endNdjson(state.lines, (line) => onData(state, line, out));
  if (state.failure) throw state.failure;
  if (!state.done) {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" ended the stream before message-end`);
  }
  return out;
}

function onSse(state: CohereStreamState, ev: SseEvent, out: StreamPart[]): void {
  if (ev.data === null || ev.data === '[DONE]') return;
  onData(state, ev.data, out);
}

/** Adds a part, after the response start when it is the first. */
function emit(state: CohereStreamState, out: StreamPart[], part: StreamPart): void {
  if (!state.started) {
    state.started = true;
    out.push({ type: 'response-start', id: state.id, model: state.ctx.model, created: state.created });
  }
  out.push(part);
}

function onData(state: CohereStreamState, data: string, out: StreamPart[]): void {
  if (state.failure || state.done) return;
  let ev: CohereStreamEvent & { message?: unknown };
  try {
    ev = JSON.parse(data) as CohereStreamEvent;
  } catch {
    state.failure = new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" sent a stream event that is not JSON`);
    return;
  }
  const msg = ev.delta?.message;
  switch (ev.type) {
    case 'content-start':
    case 'content-delta': {
      const c = msg?.content;
      if (typeof c?.thinking === 'string' && c.thinking.length > 0) emit(state, out, { type: 'reasoning-delta', text: c.thinking });
      if (typeof c?.text === 'string' && c.text.length > 0) emit(state, out, { type: 'text-delta', text: c.text });
      return;
    }
    case 'tool-plan-delta':
      // What the model says before calling tools: content, as an OpenAI model would say it.
      if (typeof msg?.tool_plan === 'string' && msg.tool_plan.length > 0) emit(state, out, { type: 'text-delta', text: msg.tool_plan });
      return;
    case 'tool-call-start': {
      const t = msg?.tool_calls;
      const index = state.toolIndex.size;
      state.toolIndex.set(typeof ev.index === 'number' ? ev.index : index, index);
      emit(state, out, {
        type: 'tool-call-start', index, id: typeof t?.id === 'string' ? t.id : state.ctx.newId('call_'),
        name: t?.function?.name ?? '', args: t?.function?.arguments ?? '',
      });
      return;
    }
    case 'tool-call-delta': {
      const args = msg?.tool_calls?.function?.arguments;
      if (typeof args === 'string' && args.length > 0) emit(state, out, { type: 'tool-call-delta', index: toolIndexOf(state, ev), args });
      return;
    }
    case 'tool-call-end':
      if (state.toolIndex.size > 0) emit(state, out, { type: 'tool-call-end', index: toolIndexOf(state, ev) });
      return;
    case 'message-end':
      end(state, ev, out);
      return;
    default:
      // message-start (handled above), content-end, citation-*, debug: nothing to say.
      if (ev.type === undefined && typeof ev.message === 'string') {
        state.failure = cohereFailedGeneration(state.ctx.provider.name, 'ERROR', ev.message);
      }
  }
}

function toolIndexOf(state: CohereStreamState, ev: CohereStreamEvent): number {
  return state.toolIndex.get(typeof ev.index === 'number' ? ev.index : -1) ?? Math.max(0, state.toolIndex.size - 1);
}

function end(state: CohereStreamState, ev: CohereStreamEvent, out: StreamPart[]): void {
  const d = ev.delta ?? {};
  const finish = mapCohereFinishReason(d.finish_reason, state.toolIndex.size > 0);
  if (finish === null || typeof d.error === 'string') {
    state.failure = cohereFailedGeneration(state.ctx.provider.name, String(d.finish_reason ?? 'ERROR'), d.error);
    return;
  }
  state.done = true;
  emit(state, out, { type: 'finish', reason: finish, usage: cohereUsage(d.usage) });
}
