import { LocalRouterError } from '../../errors/index.js';
import type { Usage } from '../../model/index.js';
import type { StreamTranslator, TranslateContext } from '../adapter.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../sse/parse-sse.js';
import { blockedReason, completionId, failedGeneration } from './from-gemini-response.js';
import { pieceOf } from './gemini-parts.js';
import type { GeminiCandidate, GeminiErrorBody, GeminiResponse } from './gemini-types.js';
import { geminiUsage, usageOfOpenAI, type OpenAIUsage } from './gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { badResponse, isObject } from './request-errors.js';

interface ChoiceState {
  started: boolean;
  calls: number;
  finished: boolean;
}

/** Everything one streamed answer's translation remembers between chunks; owned by the translator. */
export interface GeminiStreamState {
  sse: SseState;
  ctx: TranslateContext;
  id: string;
  created: number;
  model: string;
  choices: Map<number, ChoiceState>;
  /** The latest `usageMetadata` (Gemini repeats a running count in every chunk). */
  usage: OpenAIUsage | null;
  /**
   * The usage is reported (the translator's `usage`) only once the answer is complete, in the same
   * step that writes the usage chunk: the engine prices the usage the first time it appears and adds
   * the cost to that step's usage object.
   */
  reported: boolean;
  /** An upstream error or untranslatable chunk, raised on the next call once earlier output is out. */
  failure: Error | null;
  /** Nothing more is read: failed, or the answer is complete. */
  closed: boolean;
}

/**
 * `streamGenerateContent?alt=sse` → OpenAI `chat.completion.chunk` SSE. Each Gemini chunk is a
 * `GenerateContentResponse` holding new text, thought summaries (→ `reasoning_content` deltas)
 * or whole function calls (→ one `tool_calls` delta each, with its index). The candidate's
 * `finishReason` gives the finishing chunk; the stream has no terminator, so `data: [DONE]` (after
 * the usage chunk when the client asked for it) is written when the upstream body ends. An
 * upstream that stops before a finish reason, an error object mid-stream, or a chunk that cannot
 * be read ends the client stream with an error event, after every chunk translated before it.
 */
export function createGeminiStream(ctx: TranslateContext): StreamTranslator & { readonly state: GeminiStreamState } {
  const state: GeminiStreamState = {
    sse: createSseState(), ctx, id: '', created: 0, model: ctx.model, choices: new Map(), usage: null, reported: false, failure: null, closed: false,
  };
  return {
    state,
    feed: (text) => feedGeminiStream(state, text),
    end: () => endGeminiStream(state),
    get usage(): Usage | null { return state.reported && state.usage ? usageOfOpenAI(state.usage) : null; },
  };
}

export function feedGeminiStream(state: GeminiStreamState, text: string): string {
  raisePending(state);
  let out = '';
  feedSse(state.sse, text, (ev) => { out += onEvent(state, ev); });
  if (out.length === 0) raisePending(state);
  return out;
}

export function endGeminiStream(state: GeminiStreamState): string {
  raisePending(state);
  let out = '';
  endSse(state.sse, (ev) => { out += onEvent(state, ev, true); });
  raisePending(state);
  if (state.choices.size === 0 || [...state.choices.values()].some((c) => !c.finished)) {
    // Gemini always ends a candidate with a finish reason: without one the answer was cut short.
    throw badResponse(`provider "${state.ctx.provider.name}" ended the stream before the answer was finished`);
  }
  state.reported = true;
  if (state.ctx.clientWantsUsage && state.usage) out += frame(state, [], state.usage);
  return `${out}data: [DONE]\n\n`;
}

function raisePending(state: GeminiStreamState): void {
  if (state.failure) {
    const f = state.failure;
    state.failure = null;
    throw f;
  }
}

/** `unterminated`: the last event, flushed at the end without its blank line. */
function onEvent(state: GeminiStreamState, ev: SseEvent, unterminated = false): string {
  if (state.closed || ev.data === null) return '';
  let chunk: unknown;
  try {
    chunk = JSON.parse(ev.data);
  } catch {
    const why = unterminated ? 'ended the stream in the middle of an event' : 'sent a stream chunk that is not JSON';
    return fail(state, badResponse(`provider "${state.ctx.provider.name}" ${why}`));
  }
  if (!isObject(chunk)) return fail(state, badResponse(`provider "${state.ctx.provider.name}" sent a stream chunk that is not an object`));
  if (isObject(chunk.error)) return fail(state, streamError(state, chunk.error as GeminiErrorBody));
  try {
    return onChunk(state, chunk as GeminiResponse);
  } catch (err) {
    return fail(state, err as Error);
  }
}

function fail(state: GeminiStreamState, err: Error): string {
  state.failure = err;
  state.closed = true;
  return '';
}

function onChunk(state: GeminiStreamState, res: GeminiResponse): string {
  if (state.id === '') {
    state.id = completionId(res, state.ctx);
    state.created = Math.floor(state.ctx.now() / 1000);
    if (typeof res.modelVersion === 'string') state.model = res.modelVersion;
  }
  if (res.usageMetadata) state.usage = geminiUsage(res.usageMetadata);
  const candidates = res.candidates ?? [];
  if (candidates.length === 0) {
    if (!res.promptFeedback?.blockReason) return ''; // A usage-only chunk.
    const reason = blockedReason(res, state.ctx);
    const choice = choiceState(state, 0);
    choice.finished = true;
    return frame(state, [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: reason }]);
  }
  let out = '';
  candidates.forEach((c, i) => { out += onCandidate(state, c, typeof c.index === 'number' ? c.index : i); });
  return out;
}

function onCandidate(state: GeminiStreamState, c: GeminiCandidate, index: number): string {
  const choice = choiceState(state, index);
  if (choice.finished) return '';
  let out = '';
  // Adjacent texts of one kind travel in one delta; a change of kind starts a new one.
  let kind: 'text' | 'thought' | null = null;
  let text = '';
  const flush = (): void => {
    if (kind !== null) out += chunkFor(state, choice, index, { [kind === 'text' ? 'content' : 'reasoning_content']: text }, null);
    kind = null;
    text = '';
  };
  for (const part of c.content?.parts ?? []) {
    const piece = pieceOf(part, state.ctx);
    if (!piece) continue;
    if (piece.kind === 'call') {
      flush();
      out += chunkFor(state, choice, index, { tool_calls: [{ index: choice.calls++, ...piece.call }] }, null);
      continue;
    }
    if (kind !== piece.kind) flush();
    kind = piece.kind;
    text += piece.text;
  }
  flush();
  if (c.finishReason) {
    const finish = mapGeminiFinishReason(c.finishReason, choice.calls > 0);
    if (finish === null) throw failedGeneration(c, state.ctx);
    choice.finished = true;
    out += chunkFor(state, choice, index, {}, finish);
  }
  return out;
}

function choiceState(state: GeminiStreamState, index: number): ChoiceState {
  let c = state.choices.get(index);
  if (!c) {
    c = { started: false, calls: 0, finished: false };
    state.choices.set(index, c);
  }
  return c;
}

/** One choice's chunk; the first chunk of each choice names the role, as OpenAI's do. */
function chunkFor(state: GeminiStreamState, choice: ChoiceState, index: number, delta: Record<string, unknown>, finish: string | null): string {
  const d = choice.started ? delta : { role: 'assistant', ...(Object.keys(delta).length === 0 ? { content: '' } : delta) };
  choice.started = true;
  return frame(state, [{ index, delta: d, logprobs: null, finish_reason: finish }]);
}

function frame(state: GeminiStreamState, choices: unknown[], usage?: OpenAIUsage): string {
  const chunk: Record<string, unknown> = { id: state.id, object: 'chat.completion.chunk', created: state.created, model: state.model, choices };
  if (usage) chunk.usage = usage;
  return `data: ${JSON.stringify(chunk)}\n\n`;
}

/** An `{"error": {...}}` object in the stream (Gemini's way of failing after the 200). */
function streamError(state: GeminiStreamState, e: GeminiErrorBody): Error {
  const what = [e.code, e.status].filter((x) => x !== undefined).join(' ');
  const message = typeof e.message === 'string' ? `: ${e.message}` : '';
  // Before anything reached the client its status still counts: a rate limit stays a 429.
  const status = typeof e.code === 'number' && e.code >= 400 && e.code < 500 ? e.code : 502;
  return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${state.ctx.provider.name}" failed mid-stream${what ? ` (${what})` : ''}${message}`, { status });
}
