import type { ChatResult, ResultChoice, ResultToolCall } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import { pieceOf } from './gemini-parts.js';
import type { GeminiCandidate, GeminiResponse } from './gemini-types.js';
import { geminiUsage } from './gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { badResponse, isObject } from './request-errors.js';

/**
 * A whole `generateContent` answer → the typed result: one choice per candidate, thought summaries
 * as reasoning, function calls as tool calls (with their thought signatures). A prompt Gemini
 * blocked comes back as one empty choice finished by `content_filter`.
 */
export function fromGeminiResponse(body: string, ctx: TranslateContext): ChatResult {
  const res = parseGemini(body, ctx);
  const candidates = res.candidates ?? [];
  const choices = candidates.length > 0
    ? candidates.map((c, i) => choiceOf(c, i, ctx))
    : [{ ...emptyChoice(0), content: null, finishReason: blockedReason(res, ctx) }];
  return {
    id: completionId(res, ctx),
    model: typeof res.modelVersion === 'string' ? res.modelVersion : ctx.model,
    created: Math.floor(ctx.now() / 1000),
    choices,
    usage: geminiUsage(res.usageMetadata ?? {}),
  };
}

function emptyChoice(index: number): ResultChoice {
  return { index, content: '', refusal: null, reasoning: null, thinking: [], toolCalls: [], finishReason: 'stop', logprobs: null };
}

function choiceOf(c: GeminiCandidate, i: number, ctx: TranslateContext): ResultChoice {
  let text = '';
  let reasoning = '';
  const calls: ResultToolCall[] = [];
  for (const part of c.content?.parts ?? []) {
    const piece = pieceOf(part, ctx);
    if (piece?.kind === 'text') text += piece.text;
    else if (piece?.kind === 'thought') reasoning += piece.text;
    else if (piece?.kind === 'call') calls.push(piece.call);
  }
  const finish = mapGeminiFinishReason(c.finishReason, calls.length > 0);
  if (finish === null) throw failedGeneration(c, ctx);
  return {
    ...emptyChoice(typeof c.index === 'number' ? c.index : i),
    content: text.length > 0 || calls.length === 0 ? text : null,
    reasoning: reasoning.length > 0 ? reasoning : null,
    toolCalls: calls,
    finishReason: finish,
  };
}

/** The answer's JSON, with a failure naming the provider when it is not a response object. */
export function parseGemini(body: string, ctx: TranslateContext): GeminiResponse {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw badResponse(`provider "${ctx.provider.name}" sent a body that is not JSON`);
  }
  if (!isObject(parsed)) throw badResponse(`provider "${ctx.provider.name}" sent an answer that is not a JSON object`);
  return parsed as GeminiResponse;
}

/** `chatcmpl-` + Gemini's response id when it gave one (it matches Google's logs), else a fresh id. */
export function completionId(res: GeminiResponse, ctx: TranslateContext): string {
  return typeof res.responseId === 'string' && res.responseId.length > 0 ? `chatcmpl-${res.responseId}` : ctx.newId('chatcmpl-');
}

/** A response without candidates: the prompt was blocked, which is a content filter to OpenAI clients. */
export function blockedReason(res: GeminiResponse, ctx: TranslateContext): 'content_filter' {
  if (res.promptFeedback?.blockReason) return 'content_filter';
  throw badResponse(`provider "${ctx.provider.name}" answered without candidates`);
}

export function failedGeneration(c: GeminiCandidate, ctx: TranslateContext): Error {
  const detail = c.finishMessage ? `: ${c.finishMessage}` : '';
  return badResponse(`provider "${ctx.provider.name}" ended the generation with ${c.finishReason}${detail}`);
}
