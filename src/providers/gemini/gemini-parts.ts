import type { TranslateContext } from '../adapter.js';
import type { GeminiPart } from './gemini-types.js';
import { badResponse } from './request-errors.js';

/** An OpenAI tool call built from a Gemini `functionCall` part. */
export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
  /**
   * Google's own OpenAI-compatible endpoint returns the call's thought signature here; clients
   * that send the assistant message back unchanged return it, and the request side reads it.
   */
  extra_content?: { google: { thought_signature: string } };
}

export type AnswerPiece =
  | { kind: 'text'; text: string }
  | { kind: 'thought'; text: string }
  | { kind: 'call'; call: OpenAIToolCall };

/**
 * What one response part contributes to an OpenAI answer, or null when it carries nothing the
 * client sees (an empty text, a bare signature). Gemini does not number function calls the way
 * OpenAI needs, so every call gets a fresh `call_` id. Parts the chat dialect cannot carry
 * (images, audio, code execution) fail the translation rather than vanish.
 */
export function pieceOf(part: GeminiPart, ctx: TranslateContext): AnswerPiece | null {
  if (typeof part.text === 'string') {
    if (part.text.length === 0) return null;
    return part.thought === true ? { kind: 'thought', text: part.text } : { kind: 'text', text: part.text };
  }
  if (part.functionCall) {
    const fc = part.functionCall;
    const call: OpenAIToolCall = {
      id: ctx.newId('call_'), type: 'function',
      function: { name: fc.name, arguments: JSON.stringify(fc.args ?? {}) },
    };
    if (typeof part.thoughtSignature === 'string') call.extra_content = { google: { thought_signature: part.thoughtSignature } };
    return { kind: 'call', call };
  }
  const kind = Object.keys(part).find((k) => k !== 'thought' && k !== 'thoughtSignature');
  if (kind === undefined) return null;
  throw badResponse(`provider "${ctx.provider.name}" answered with a "${kind}" part, which OpenAI chat completions cannot carry`);
}
