import type { TranslateContext, TranslatedBody } from '../adapter.js';
import { pieceOf, type OpenAIToolCall } from './gemini-parts.js';
import type { GeminiCandidate, GeminiResponse } from './gemini-types.js';
import { geminiUsage, usageOfOpenAI } from './gemini-usage.js';
import { mapGeminiFinishReason } from './map-gemini-finish-reason.js';
import { badResponse, isObject } from './request-errors.js';

/**
 * A whole `generateContent` answer → an OpenAI `chat.completion`: one choice per candidate, thought
 * summaries as `reasoning_content`, function calls as `tool_calls`. A prompt Gemini blocked comes
 * back as one empty choice with `finish_reason: "content_filter"`.
 */
export function fromGeminiResponse(body: string, ctx: TranslateContext): TranslatedBody {
  const res = parseGemini(body, ctx);
  const candidates = res.candidates ?? [];
  const choices = candidates.length > 0
    ? candidates.map((c, i) => choiceOf(c, i, ctx))
    : [{ index: 0, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: blockedReason(res, ctx) }];
  const usage = geminiUsage(res.usageMetadata ?? {});
  const out = {
    id: completionId(res, ctx),
    object: 'chat.completion',
    created: Math.floor(ctx.now() / 1000),
    model: typeof res.modelVersion === 'string' ? res.modelVersion : ctx.model,
    choices,
    usage,
  };
  return { body: JSON.stringify(out), usage: usageOfOpenAI(usage) };
}

function choiceOf(c: GeminiCandidate, i: number, ctx: TranslateContext): unknown {
  let text = '';
  let reasoning = '';
  const calls: OpenAIToolCall[] = [];
  for (const part of c.content?.parts ?? []) {
    const piece = pieceOf(part, ctx);
    if (piece?.kind === 'text') text += piece.text;
    else if (piece?.kind === 'thought') reasoning += piece.text;
    else if (piece?.kind === 'call') calls.push(piece.call);
  }
  const finish = mapGeminiFinishReason(c.finishReason, calls.length > 0);
  if (finish === null) throw failedGeneration(c, ctx);
  const message: Record<string, unknown> = { role: 'assistant', content: text.length > 0 || calls.length === 0 ? text : null };
  if (reasoning.length > 0) message.reasoning_content = reasoning;
  if (calls.length > 0) message.tool_calls = calls;
  message.refusal = null;
  return { index: typeof c.index === 'number' ? c.index : i, message, logprobs: null, finish_reason: finish };
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
