import { LocalRouterError } from '../../errors/index.js';
import type { FinishReason, StreamPart, Usage } from '../../model/index.js';
import type { PartStream, TranslateContext } from '../adapter.js';
import { createSseState, endSse, feedSse, type SseEvent, type SseState } from '../../model/index.js';
import { blockedReason, completionId, failedGeneration } from './from-gemini-response.js';
import { pieceOf } from './gemini-parts.js';
import type { GeminiCandidate, GeminiErrorBody, GeminiResponse } from './gemini-types.js';
import { geminiUsage } from './gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { badResponse, isObject } from './request-errors.js';

interface ChoiceState {
  calls: number;
  /** The candidate's finish reason, once it gave one. */
  finish: FinishReason | null;
}

/** Everything one streamed answer's translation remembers between chunks; owned by the translator. */
export interface GeminiStreamState {
  sse: SseState;
  ctx: TranslateContext;
  started: boolean;
  choices: Map<number, ChoiceState>;
  /** The latest `usageMetadata` (Gemini repeats a running count in every chunk). */
  usage: Usage | null;
  /** An upstream error or untranslatable chunk, raised on the next call once earlier parts are out. */
  failure: Error | null;
  /** Nothing more is read: failed. */
  closed: boolean;
}

/**
 * `streamGenerateContent?alt=sse` → parts. Each Gemini chunk is a `GenerateContentResponse` holding
 * new text, thought summaries (reasoning deltas) or whole function calls (a tool call each, with its
 * thought signature); adjacent texts of one kind in a chunk travel as one delta. The stream has no
 * terminator and repeats a running usage count in every chunk, so the answer's finish (with the
 * last count) is given when the body ends; the extra candidates of `n > 1` finish as they end. An
 * upstream that stops before a finish reason, an error object mid-stream, or a chunk that cannot be
 * read fails the stream, after every part translated before it.
 */
export function createGeminiPartStream(ctx: TranslateContext): PartStream & { readonly state: GeminiStreamState } {
  const state: GeminiStreamState = { sse: createSseState(), ctx, started: false, choices: new Map(), usage: null, failure: null, closed: false };
  return { state, feed: (text) => feedGeminiStream(state, text), end: () => endGeminiStream(state) };
}

export function feedGeminiStream(state: GeminiStreamState, text: string): StreamPart[] {
  raisePending(state);
  const out: StreamPart[] = [];
  feedSse(state.sse, text, (ev) => onEvent(state, ev, out));
  if (out.length === 0) raisePending(state);
  return out;
}

export function endGeminiStream(state: GeminiStreamState): StreamPart[] {
  raisePending(state);
  const out: StreamPart[] = [];
  endSse(state.sse, (ev) => onEvent(state, ev, out, true));
  raisePending(state);
  if (state.choices.size === 0 || [...state.choices.values()].some((c) => c.finish === null)) {
    // Gemini always ends a candidate with a finish reason: without one the answer was cut short.
    throw badResponse(`provider "${state.ctx.provider.name}" ended the stream before the answer was finished`);
  }
  out.push({ type: 'finish', reason: state.choices.get(0)?.finish ?? 'stop', usage: state.usage });
  return out;
}

function raisePending(state: GeminiStreamState): void {
  if (state.failure) {
    const f = state.failure;
    state.failure = null;
    throw f;
  }
}

/** `unterminated`: the last event, flushed at the end without its blank line. */
function onEvent(state: GeminiStreamState, ev: SseEvent, out: StreamPart[], unterminated = false): void {
  if (state.closed || ev.data === null) return;
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
    onChunk(state, chunk as GeminiResponse, out);
  } catch (err) {
    fail(state, err as Error);
  }
}

function fail(state: GeminiStreamState, err: Error): void {
  state.failure = err;
  state.closed = true;
}

function onChunk(state: GeminiStreamState, res: GeminiResponse, out: StreamPart[]): void {
  if (!state.started) {
    state.started = true;
    const model = typeof res.modelVersion === 'string' ? res.modelVersion : state.ctx.model;
    out.push({ type: 'response-start', id: completionId(res, state.ctx), model, created: Math.floor(state.ctx.now() / 1000) });
  }
  if (res.usageMetadata) state.usage = geminiUsage(res.usageMetadata);
  const candidates = res.candidates ?? [];
  if (candidates.length === 0) {
    if (!res.promptFeedback?.blockReason) return; // A usage-only chunk.
    choiceState(state, 0).finish = blockedReason(res, state.ctx);
    return;
  }
  candidates.forEach((c, i) => onCandidate(state, c, typeof c.index === 'number' ? c.index : i, out));
}

function onCandidate(state: GeminiStreamState, c: GeminiCandidate, index: number, out: StreamPart[]): void {
  const choice = choiceState(state, index);
  if (choice.finish !== null) return;
  const at = index === 0 ? {} : { choice: index };
  // Adjacent texts of one kind travel in one delta; a change of kind starts a new one.
  let kind: 'text' | 'thought' | null = null;
  let text = '';
  const flush = (): void => {
    if (kind !== null) out.push({ type: kind === 'text' ? 'text-delta' : 'reasoning-delta', text, ...at });
    kind = null;
    text = '';
  };
  for (const part of c.content?.parts ?? []) {
    const piece = pieceOf(part, state.ctx);
    if (!piece) continue;
    if (piece.kind === 'call') {
      flush();
      const { id, name, arguments: args, signature } = piece.call;
      const call = choice.calls++;
      out.push({ type: 'tool-call-start', index: call, id, name, args, ...(signature === undefined ? {} : { signature }), ...at });
      out.push({ type: 'tool-call-end', index: call, ...at });
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
    choice.finish = finish;
    if (index !== 0) out.push({ type: 'finish', reason: finish, usage: null, choice: index });
  }
}

function choiceState(state: GeminiStreamState, index: number): ChoiceState {
  let c = state.choices.get(index);
  if (!c) {
    c = { calls: 0, finish: null };
    state.choices.set(index, c);
  }
  return c;
}

/** An `{"error": {...}}` object in the stream (Gemini's way of failing after the 200). */
function streamError(state: GeminiStreamState, e: GeminiErrorBody): Error {
  const what = [e.code, e.status].filter((x) => x !== undefined).join(' ');
  const message = typeof e.message === 'string' ? `: ${e.message}` : '';
  // Before anything reached the client its status still counts: a rate limit stays a 429.
  const status = typeof e.code === 'number' && e.code >= 400 && e.code < 500 ? e.code : 502;
  return new LocalRouterError('LR_ERR_UPSTREAM_STATUS', `provider "${state.ctx.provider.name}" failed mid-stream${what ? ` (${what})` : ''}${message}`, { status });
}
