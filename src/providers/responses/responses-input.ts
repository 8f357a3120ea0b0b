import type { ChatMessage, ImagePart, TextPart, ToolCall } from '../../model/index.js';

/** The parts Responses input becomes. */
type ChatContentPart = TextPart | ImagePart;
import { badParam, isRecord, isUnset, unsupportedParam } from './request-errors.js';

type Role = 'user' | 'assistant' | 'system' | 'developer';
const ROLES = new Set<string>(['user', 'assistant', 'system', 'developer']);
const IMAGE_DETAILS = new Set<string>(['auto', 'low', 'high']);

/**
 * Converts a Responses `input` (a string, or a list of items) into chat messages, after the
 * `instructions` system message if any. Items map as follows:
 * - messages: `developer` becomes `system` (the role every chat upstream knows); `input_text` and
 *   `output_text` parts become text, `input_image` an `image_url` part (user messages only, as in chat),
 *   `refusal` parts the assistant's `refusal`; text-only content is joined into one string;
 * - `function_call` items join the assistant message right before them (or start one) as `tool_calls`;
 * - `function_call_output` items become `tool` messages;
 * - `reasoning` items are skipped: chat has no field for earlier reasoning, and chat upstreams expect
 *   it left out (clients echo whole `output` arrays back, so rejecting them would break every
 *   multi-turn client);
 * - anything stateful (`item_reference`) or tied to a built-in tool is rejected.
 */
export function toChatMessages(input: unknown, instructions: string | null): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (instructions !== null && instructions.length > 0) messages.push({ role: 'system', content: instructions });
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return messages;
  }
  if (!Array.isArray(input)) throw badParam('"input" must be a string or an array of input items', 'input');
  for (let i = 0; i < input.length; i++) {
    const item: unknown = input[i];
    const at = `input[${i}]`;
    if (!isRecord(item)) throw badParam(`${at} must be an object`, at);
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        messages.push(messageItem(item, at));
        break;
      case 'function_call':
        addToolCall(messages, functionCallItem(item, at));
        break;
      case 'function_call_output':
        messages.push(functionOutputItem(item, at));
        break;
      case 'reasoning':
        break;
      case 'item_reference':
        throw unsupportedParam(`${at}: item references need stored responses; LocalRouter is stateless, so send the item itself`, `${at}.type`);
      default:
        throw unsupportedParam(`${at}: input items of type ${JSON.stringify(type)} are not supported (only messages, function_call, function_call_output and reasoning)`, `${at}.type`);
    }
  }
  return messages;
}

function messageItem(item: Record<string, unknown>, at: string): ChatMessage {
  const role = item.role;
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw badParam(`${at}.role must be one of user, assistant, system, developer`, `${at}.role`);
  }
  const content = item.content;
  if (typeof content === 'string') {
    return role === 'developer' ? { role: 'system', content } : { role: role as Exclude<Role, 'developer'>, content };
  }
  if (!Array.isArray(content)) throw badParam(`${at}.content must be a string or an array of content parts`, `${at}.content`);
  if (role === 'assistant') return assistantMessage(content, at);
  const parts: ChatContentPart[] = [];
  for (let j = 0; j < content.length; j++) {
    parts.push(inputPart(content[j], `${at}.content[${j}]`, role === 'user'));
  }
  const chatContent = joinText(parts);
  return role === 'user' ? { role: 'user', content: chatContent } : { role: 'system', content: chatContent };
}

/** A user/system/developer content part; images only where chat accepts them (user messages). */
function inputPart(part: unknown, at: string, imagesAllowed: boolean): ChatContentPart {
  if (!isRecord(part)) throw badParam(`${at} must be an object`, at);
  if (!isUnset(part.prompt_cache_breakpoint)) {
    throw unsupportedParam(`${at}.prompt_cache_breakpoint cannot be expressed in chat completions`, `${at}.prompt_cache_breakpoint`);
  }
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (typeof part.text !== 'string') throw badParam(`${at}.text must be a string`, `${at}.text`);
      return { type: 'text', text: part.text };
    case 'input_image': {
      if (!imagesAllowed) throw unsupportedParam(`${at}: chat completions accepts images in user messages only`, `${at}.type`);
      if (!isUnset(part.file_id)) {
        throw unsupportedParam(`${at}.file_id: uploaded files are not available through LocalRouter; send image_url (a URL or a data: URL)`, `${at}.file_id`);
      }
      if (typeof part.image_url !== 'string' || part.image_url.length === 0) {
        throw badParam(`${at}.image_url must be a URL or a data: URL`, `${at}.image_url`);
      }
      const detail = part.detail;
      if (isUnset(detail)) return { type: 'image_url', image_url: { url: part.image_url } };
      if (typeof detail !== 'string' || !IMAGE_DETAILS.has(detail)) {
        throw unsupportedParam(`${at}.detail must be auto, low or high (chat completions has no ${JSON.stringify(detail)})`, `${at}.detail`);
      }
      return { type: 'image_url', image_url: { url: part.image_url, detail: detail as 'auto' | 'low' | 'high' } };
    }
    case 'input_file':
      throw unsupportedParam(`${at}: file inputs are not supported by LocalRouter's /v1/responses`, `${at}.type`);
    default:
      throw unsupportedParam(`${at}: content parts of type ${JSON.stringify(part.type)} are not supported`, `${at}.type`);
  }
}

/** An assistant turn echoed back: its text parts, and a refusal if it refused. */
function assistantMessage(content: unknown[], at: string): ChatMessage {
  const texts: ChatContentPart[] = [];
  let refusal: string | null = null;
  for (let j = 0; j < content.length; j++) {
    const part = content[j];
    const pat = `${at}.content[${j}]`;
    if (isRecord(part) && part.type === 'refusal') {
      if (typeof part.refusal !== 'string') throw badParam(`${pat}.refusal must be a string`, `${pat}.refusal`);
      refusal = refusal === null ? part.refusal : refusal + part.refusal;
    } else {
      texts.push(inputPart(part, pat, false));
    }
  }
  const text = texts.length === 0 ? null : joinText(texts);
  return refusal === null ? { role: 'assistant', content: text } : { role: 'assistant', content: text, refusal };
}

function functionCallItem(item: Record<string, unknown>, at: string): ToolCall {
  for (const key of ['call_id', 'name', 'arguments'] as const) {
    if (typeof item[key] !== 'string') throw badParam(`${at}.${key} must be a string`, `${at}.${key}`);
  }
  if (!isUnset(item.namespace)) throw unsupportedParam(`${at}.namespace: namespaced tools are not supported`, `${at}.namespace`);
  return { id: item.call_id as string, type: 'function', function: { name: item.name as string, arguments: item.arguments as string } };
}

/** Consecutive calls (and a text turn right before them) are one assistant message in chat. */
function addToolCall(messages: ChatMessage[], call: ToolCall): void {
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant') {
    (last.tool_calls ??= []).push(call);
    return;
  }
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

function functionOutputItem(item: Record<string, unknown>, at: string): ChatMessage {
  if (typeof item.call_id !== 'string') throw badParam(`${at}.call_id must be a string`, `${at}.call_id`);
  const output = item.output;
  if (typeof output === 'string') return { role: 'tool', tool_call_id: item.call_id, content: output };
  if (!Array.isArray(output)) throw badParam(`${at}.output must be a string or an array of content parts`, `${at}.output`);
  // Chat tool messages carry text only: an image or file result has nowhere to go.
  const parts = output.map((p, j) => inputPart(p, `${at}.output[${j}]`, false));
  return { role: 'tool', tool_call_id: item.call_id, content: joinText(parts) };
}

/**
 * Text-only content becomes one string (what the model reads either way, and the only form some
 * chat servers accept); content with an image stays a part list.
 */
function joinText(parts: ChatContentPart[]): string | ChatContentPart[] {
  let text = '';
  for (const p of parts) {
    if (p.type !== 'text') return parts;
    text += p.text;
  }
  return text;
}
