import type { ResultToolCall } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import type { GeminiPart } from './gemini-types.js';
import { badResponse } from './request-errors.js';

export type AnswerPiece =
  | { kind: 'text'; text: string }
  | { kind: 'thought'; text: string }
  | { kind: 'call'; call: ResultToolCall };

/**
 * What one response part contributes to the answer, or null when it carries nothing the client
 * sees (an empty text, a bare signature). Gemini does not number function calls the way clients
 * need, so every call gets a fresh `call_` id; its thought signature travels with it (clients send
 * it back on the next turn). Parts a chat answer cannot carry (images, audio, code execution) fail
 * the translation rather than vanish.
 */
export function pieceOf(part: GeminiPart, ctx: TranslateContext): AnswerPiece | null {
  if (typeof part.text === 'string') {
    if (part.text.length === 0) return null;
    return part.thought === true ? { kind: 'thought', text: part.text } : { kind: 'text', text: part.text };
  }
  if (part.functionCall) {
    const fc = part.functionCall;
    const call: ResultToolCall = { id: ctx.newId('call_'), name: fc.name, arguments: JSON.stringify(fc.args ?? {}) };
    if (typeof part.thoughtSignature === 'string') call.signature = part.thoughtSignature;
    return { kind: 'call', call };
  }
  const kind = Object.keys(part).find((k) => k !== 'thought' && k !== 'thoughtSignature');
  if (kind === undefined) return null;
  throw badResponse(`provider "${ctx.provider.name}" answered with a "${kind}" part, which a chat answer cannot carry`);
}
