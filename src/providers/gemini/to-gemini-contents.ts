import type { ChatMessage } from '../../model/index.js';
import { SKIP_SIGNATURE } from './api.js';
import type { GeminiContent, GeminiGenerationConfig, GeminiPart } from './gemini-types.js';
import { toGeminiMediaPart } from './to-gemini-media.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';

export interface GeminiConversation {
  contents: GeminiContent[];
  systemInstruction?: { parts: { text: string }[] };
  /** From the images' `detail`; Gemini sets media resolution per request, not per image. */
  mediaResolution?: GeminiGenerationConfig['mediaResolution'];
}

type Kind = 'user' | 'model' | 'tool';

/**
 * OpenAI `messages` → Gemini `contents` and `systemInstruction`:
 * - `system` and `developer` messages, wherever they are, become the parts of `systemInstruction`;
 * - `assistant` → role `model` (text parts, then one `functionCall` part per tool call);
 * - consecutive `tool` messages → one `user` content of `functionResponse` parts, each named after
 *   the function of the earlier tool call whose id it answers;
 * - consecutive messages of the same kind are merged (Gemini alternates turns).
 * `gemini3`: a model turn whose calls carry no thought signature gets the documented placeholder.
 */
export function toGeminiContents(messages: ChatMessage[], gemini3: boolean): GeminiConversation {
  const system: { text: string }[] = [];
  const contents: GeminiContent[] = [];
  const callNames = new Map<string, string>();
  const details = new Set<string>();
  let lastKind: Kind | null = null;

  const push = (kind: Kind, parts: GeminiPart[]): void => {
    const last = contents.at(-1);
    if (last && lastKind === kind) last.parts.push(...parts);
    else contents.push({ role: kind === 'model' ? 'model' : 'user', parts });
    lastKind = kind;
  };

  messages.forEach((raw, i) => {
    const param = `messages[${i}]`;
    const m = raw;
    switch (m.role) {
      case 'system':
      case 'developer':
        for (const text of textsOf(m.content, param)) if (text.length > 0) system.push({ text });
        return;
      case 'user': {
        const parts = userParts(m.content, param, details);
        if (parts.length === 0) throw badRequest(`${param}.content`, `"${param}.content" is empty; Gemini needs at least one part`);
        push('user', parts);
        return;
      }
      case 'assistant': {
        const parts = assistantParts(m, param, callNames, gemini3);
        // An empty assistant turn says nothing and Gemini rejects empty parts.
        if (parts.length > 0) push('model', parts);
        return;
      }
      case 'tool':
        push('tool', [functionResponsePart(m, param, callNames)]);
        return;
      case 'function':
        throw unsupported(`${param}.role`, 'legacy "function" messages are not supported; use "tool" messages');
      default:
        throw badRequest(`${param}.role`, `unknown role "${String(m.role)}"`);
    }
  });

  if (contents.length === 0) throw badRequest('messages', 'Gemini needs at least one user or assistant message besides system messages');
  const out: GeminiConversation = { contents };
  if (system.length > 0) out.systemInstruction = { parts: system };
  if (details.size > 1) throw unsupported('messages', 'images with different "detail" values: Gemini sets one media resolution per request');
  const detail = details.values().next().value;
  if (detail === 'low') out.mediaResolution = 'MEDIA_RESOLUTION_LOW';
  else if (detail === 'high') out.mediaResolution = 'MEDIA_RESOLUTION_HIGH';
  return out;
}

/** The texts of a string or an array of text parts (system, tool and assistant content). */
function textsOf(content: unknown, param: string, allowRefusal = false): string[] {
  if (!given(content)) return [];
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) throw badRequest(`${param}.content`, `"${param}.content" must be a string or an array of parts`);
  return content.map((p, j) => {
    if (isObject(p) && p.type === 'text' && typeof p.text === 'string') return p.text;
    if (allowRefusal && isObject(p) && p.type === 'refusal' && typeof p.refusal === 'string') return p.refusal;
    throw unsupported(`${param}.content[${j}]`, `only text parts are supported in "${param}.content"`);
  });
}

function userParts(content: unknown, param: string, details: Set<string>): GeminiPart[] {
  if (typeof content === 'string') return content.length > 0 ? [{ text: content }] : [];
  if (!Array.isArray(content)) throw badRequest(`${param}.content`, `"${param}.content" must be a string or an array of parts`);
  const parts: GeminiPart[] = [];
  content.forEach((p, j) => {
    const pp = `${param}.content[${j}]`;
    if (!isObject(p)) throw badRequest(pp, `"${pp}" must be an object`);
    if (p.type === 'text') {
      if (typeof p.text !== 'string') throw badRequest(`${pp}.text`, '"text" must be a string');
      if (p.text.length > 0) parts.push({ text: p.text });
      return;
    }
    if (p.type === 'image_url' && isObject(p.image_url)) {
      const detail = p.image_url.detail;
      if (detail === 'low' || detail === 'high') details.add(detail);
      else if (given(detail) && detail !== 'auto') throw badRequest(`${pp}.image_url.detail`, '"detail" must be "auto", "low" or "high"');
    }
    parts.push(toGeminiMediaPart(p, pp));
  });
  return parts;
}

function assistantParts(m: ChatMessage, param: string, callNames: Map<string, string>, gemini3: boolean): GeminiPart[] {
  if (given(m.audio)) throw unsupported(`${param}.audio`, 'assistant audio cannot be sent to Gemini');
  if (given(m.function_call)) throw unsupported(`${param}.function_call`, 'legacy "function_call" is not supported; use "tool_calls"');
  // `reasoning_content` echoed back is not sent: Gemini keeps no thought text between turns (signatures carry it).
  const parts: GeminiPart[] = textsOf(m.content, param, true).filter((t) => t.length > 0).map((text) => ({ text }));
  if (!given(m.tool_calls)) return parts;
  if (!Array.isArray(m.tool_calls)) throw badRequest(`${param}.tool_calls`, '"tool_calls" must be an array');
  const calls = m.tool_calls.map((tc, j) => functionCallPart(tc, `${param}.tool_calls[${j}]`, callNames));
  if (gemini3 && calls.length > 0 && !calls.some((c) => c.thoughtSignature)) calls[0]!.thoughtSignature = SKIP_SIGNATURE;
  return [...parts, ...calls];
}

function functionCallPart(tc: unknown, param: string, callNames: Map<string, string>): GeminiPart {
  if (!isObject(tc) || !isObject(tc.function) || typeof tc.function.name !== 'string' || typeof tc.id !== 'string') {
    throw badRequest(param, `"${param}" must have a string "id" and a "function" with a string "name"`);
  }
  if (given(tc.type) && tc.type !== 'function') throw unsupported(`${param}.type`, `tool call type "${String(tc.type)}" is not supported`);
  const name = tc.function.name;
  callNames.set(tc.id, name);
  const text = tc.function.arguments;
  let args: unknown = {};
  if (typeof text === 'string' && text.trim().length > 0) {
    try {
      args = JSON.parse(text);
    } catch {
      throw badRequest(`${param}.function.arguments`, `"${param}.function.arguments" is not valid JSON`);
    }
  }
  if (!isObject(args)) throw unsupported(`${param}.function.arguments`, 'Gemini function call arguments must be a JSON object');
  const part: GeminiPart = { functionCall: { name, args } };
  const google = isObject(tc.extra_content) && isObject(tc.extra_content.google) ? tc.extra_content.google : null;
  if (google && typeof google.thought_signature === 'string') part.thoughtSignature = google.thought_signature;
  return part;
}

function functionResponsePart(m: ChatMessage, param: string, callNames: Map<string, string>): GeminiPart {
  const name = typeof m.tool_call_id === 'string' ? callNames.get(m.tool_call_id) : undefined;
  if (name === undefined) {
    throw badRequest(`${param}.tool_call_id`, `"${param}.tool_call_id" does not match a tool call of an earlier assistant message`);
  }
  const text = textsOf(m.content, param).join('');
  return { functionResponse: { name, response: toolResponse(text) } };
}

/** A JSON object result is sent as it is; anything else as `{"output": text}` (Gemini's convention). */
function toolResponse(text: string): Record<string, unknown> {
  if (text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (isObject(parsed)) return parsed;
    } catch { /* plain text */ }
  }
  return { output: text };
}
