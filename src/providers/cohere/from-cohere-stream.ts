import { LocalRouterError } from '../../errors/index.js';
import type { Usage } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import { createNdjsonState, endNdjson, feedNdjson, type NdjsonState } from '../ndjson/parse-ndjson.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../sse/parse-sse.js';
import type { CohereStreamEvent } from './cohere-types.js';
import { cohereUsage, openAIUsage } from './from-cohere-response.js';
import { cohereFailedGeneration } from './map-cohere-error.js';
import { mapCohereFinishReason } from './map-cohere-finish-reason.js';

/**
 * Cohere's v2 chat stream → OpenAI `chat.completion.chunk` SSE ending with `data: [DONE]`. Cohere
 * sends SSE when asked for `text/event-stream` and NDJSON otherwise (same events either way): the
 * first byte tells which, and the shared framer for it does the rest. Caller-owned state.
 */
export interface CohereStreamState {
  ctx: TranslateContext;
  framing: 'unknown' | 'sse' | 'ndjson';
  sse: SseState;
  lines: NdjsonState;
  /** `{"id":...,"object":...,"created":...,"model":...` shared by every chunk. */
  envelope: string;
  usageNull: string;
  id: string;
  created: number;
  /** The role chunk went out (it goes before the first chunk with something in it). */
  started: boolean;
  /** Cohere's tool-call `index` → the OpenAI delta index. */
  toolIndex: Map<number, number>;
  done: boolean;
  usage: Usage | null;
  /** A failure the upstream reported: raised on the next call, once the text before it is out. */
  failure: LocalRouterError | null;
}

export function createCohereStreamState(ctx: TranslateContext): CohereStreamState {
  const id = ctx.newId('chatcmpl-');
  const created = Math.floor(ctx.now() / 1000);
  return {
    ctx, framing: 'unknown', sse: createSseState(), lines: createNdjsonState(),
    envelope: `{"id":${JSON.stringify(id)},"object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(ctx.model)}`,
    usageNull: ctx.clientWantsUsage ? ',"usage":null' : '', id, created, toolIndex: new Map(), started: false, done: false,
    usage: null, failure: null,
  };
}

export function feedCohereStream(state: CohereStreamState, text: string): string {
  if (state.failure) throw state.failure;
  if (state.framing === 'unknown') {
    const first = text.search(/\S/);
    if (first === -1) return '';
    state.framing = text[first] === '{' ? 'ndjson' : 'sse';
  }
  let out = '';
  if (state.framing === 'sse') feedSse(state.sse, text, (ev) => { out += onSse(state, ev); });
  else feedNdjson(state.lines, text, (line) => { out += onData(state, line); });
  if (state.failure && out.length === 0) throw state.failure;
  return out;
}

/** Upstream ended. A stream without `message-end` was cut: that is an error, not a stop. */
export function endCohereStream(state: CohereStreamState): string {
  if (state.failure) throw state.failure;
  let out = '';
  if (state.framing === 'sse') endSse(state.sse, (ev) => { out += onSse(state, ev); });
  else endNdjson(state.lines, (line) => { out += onData(state, line); });
  if (state.failure) throw state.failure;
  if (!state.done) {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" ended the stream before message-end`);
  }
  return out;
}

function onSse(state: CohereStreamState, ev: SseEvent): string {
  if (ev.data === null || ev.data === '[DONE]') return '';
  return onData(state, ev.data);
}

function onData(state: CohereStreamState, data: string): string {
  if (state.failure || state.done) return '';
  let ev: CohereStreamEvent & { message?: unknown };
  try {
    ev = JSON.parse(data) as CohereStreamEvent;
  } catch {
    state.failure = new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" sent a stream event that is not JSON`);
    return '';
  }
  let out = '';
  const msg = ev.delta?.message;
  switch (ev.type) {
    case 'content-start':
    case 'content-delta': {
      const c = msg?.content;
      if (typeof c?.thinking === 'string' && c.thinking.length > 0) out += chunk(state, `{"reasoning_content":${JSON.stringify(c.thinking)}}`, null);
      if (typeof c?.text === 'string' && c.text.length > 0) out += chunk(state, `{"content":${JSON.stringify(c.text)}}`, null);
      break;
    }
    case 'tool-plan-delta':
      // What the model says before calling tools: content, as an OpenAI model would say it.
      if (typeof msg?.tool_plan === 'string' && msg.tool_plan.length > 0) out += chunk(state, `{"content":${JSON.stringify(msg.tool_plan)}}`, null);
      break;
    case 'tool-call-start': {
      const t = msg?.tool_calls;
      const index = state.toolIndex.size;
      state.toolIndex.set(typeof ev.index === 'number' ? ev.index : index, index);
      const call = {
        index, id: typeof t?.id === 'string' ? t.id : state.ctx.newId('call_'), type: 'function',
        function: { name: t?.function?.name ?? '', arguments: t?.function?.arguments ?? '' },
      };
      out += chunk(state, `{"tool_calls":[${JSON.stringify(call)}]}`, null);
      break;
    }
    case 'tool-call-delta': {
      const args = msg?.tool_calls?.function?.arguments;
      const index = state.toolIndex.get(typeof ev.index === 'number' ? ev.index : -1) ?? Math.max(0, state.toolIndex.size - 1);
      if (typeof args === 'string' && args.length > 0) out += chunk(state, `{"tool_calls":[{"index":${index},"function":{"arguments":${JSON.stringify(args)}}}]}`, null);
      break;
    }
    case 'message-end':
      out += end(state, ev);
      break;
    default:
      // message-start (handled above), content-end, tool-call-end, citation-*, debug: nothing to say.
      if (ev.type === undefined && typeof ev.message === 'string') {
        state.failure = cohereFailedGeneration(state.ctx.provider.name, 'ERROR', ev.message);
      }
  }
  return out;
}

function end(state: CohereStreamState, ev: CohereStreamEvent): string {
  const d = ev.delta ?? {};
  const finish = mapCohereFinishReason(d.finish_reason, state.toolIndex.size > 0);
  if (finish === null || typeof d.error === 'string') {
    state.failure = cohereFailedGeneration(state.ctx.provider.name, String(d.finish_reason ?? 'ERROR'), d.error);
    return '';
  }
  state.done = true;
  state.usage = cohereUsage(d.usage);
  let out = chunk(state, '{}', finish);
  if (state.ctx.clientWantsUsage && state.usage) {
    out += `data: ${state.envelope},"choices":[],"usage":${JSON.stringify(openAIUsage(state.usage))}}\n\n`;
  }
  return out + 'data: [DONE]\n\n';
}

/** One chunk; the first one of the stream is preceded by OpenAI's role chunk. */
function chunk(state: CohereStreamState, delta: string, finish: string | null): string {
  let out = '';
  if (!state.started) {
    state.started = true;
    out = rawChunk(state, '{"role":"assistant","content":""}', null);
  }
  return out + rawChunk(state, delta, finish);
}

function rawChunk(state: CohereStreamState, delta: string, finish: string | null): string {
  return `data: ${state.envelope},"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]${state.usageNull}}\n\n`;
}
