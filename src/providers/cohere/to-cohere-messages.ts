import type { ChatMessage } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import type { CohereContentItem, CohereMessage, CohereToolCall } from './cohere-types.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';

/**
 * OpenAI chat messages → Cohere v2 messages. The shapes are close: order and count are kept, string
 * content stays a string and part lists stay lists. An assistant's text next to its tool calls is
 * its `tool_plan` in Cohere's terms (the answer side maps it back to content).
 */
export function toCohereMessages(messages: ChatMessage[], ctx: TranslateContext): CohereMessage[] {
  return messages.map((m, i): CohereMessage => {
    const at = `messages[${i}]`;
    if (!isObject(m)) throw badRequest(at, `${at} must be an object`);
    if (given(m.name)) throw unsupported(ctx, `${at}.name`, `${at}.name: Cohere messages carry no participant name`);
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: contentOf(m.content, at, ctx, false) };
      case 'user':
        return { role: 'user', content: contentOf(m.content, at, ctx, true) };
      case 'assistant':
        return assistantMessage(m, at, ctx);
      case 'tool':
        if (typeof m.tool_call_id !== 'string') throw badRequest(`${at}.tool_call_id`, `${at}.tool_call_id must be a string`);
        return { role: 'tool', tool_call_id: m.tool_call_id, content: contentOf(m.content, at, ctx, false) };
      case 'function':
        throw unsupported(ctx, `${at}.role`, `${at}: the legacy "function" role is not supported; use tools and "tool" messages`);
      default:
        throw badRequest(`${at}.role`, `${at}.role "${String(m.role)}" is not a chat role`);
    }
  });
}

function assistantMessage(m: ChatMessage, at: string, ctx: TranslateContext): CohereMessage {
  let text = m.content === null || m.content === undefined ? '' : plainText(contentOf(m.content, at, ctx, false));
  if (typeof m.refusal === 'string' && m.refusal.length > 0) text = text.length > 0 ? `${text}\n${m.refusal}` : m.refusal;
  // Reasoning the client echoes back (DeepSeek/vLLM name it reasoning_content, OpenRouter reasoning).
  const thinking = typeof m.reasoning_content === 'string' ? m.reasoning_content : typeof m.reasoning === 'string' ? m.reasoning : '';
  const calls = toolCalls(m.tool_calls, at);
  const msg: Extract<CohereMessage, { role: 'assistant' }> = { role: 'assistant' };
  const content: CohereContentItem[] = [];
  if (thinking.length > 0) content.push({ type: 'thinking', thinking });
  if (calls.length > 0) {
    msg.tool_calls = calls;
    if (text.length > 0) msg.tool_plan = text;
  } else if (text.length > 0 || thinking.length === 0) {
    content.push({ type: 'text', text });
  }
  if (content.length > 0) msg.content = content.length === 1 && content[0]!.type === 'text' ? text : content;
  return msg;
}

function toolCalls(raw: unknown, at: string): CohereToolCall[] {
  if (!given(raw)) return [];
  if (!Array.isArray(raw)) throw badRequest(`${at}.tool_calls`, `${at}.tool_calls must be an array`);
  return raw.map((c: unknown, j: number): CohereToolCall => {
    const cat = `${at}.tool_calls[${j}]`;
    if (!isObject(c) || c.type !== 'function' || typeof c.id !== 'string' || !isObject(c.function) || typeof c.function.name !== 'string') {
      throw badRequest(cat, `${cat} must be a function call with an id and a name`);
    }
    const args = c.function.arguments;
    if (given(args) && typeof args !== 'string') throw badRequest(`${cat}.function.arguments`, `${cat}.function.arguments must be a JSON string`);
    return { id: c.id, type: 'function', function: { name: c.function.name, arguments: typeof args === 'string' && args.length > 0 ? args : '{}' } };
  });
}

/** Text of content items already converted (assistant text goes into a string field). */
function plainText(content: string | CohereContentItem[]): string {
  if (typeof content === 'string') return content;
  return content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

/** A message's content as Cohere takes it: a string, or text (and, for users, image) items. */
function contentOf(content: unknown, at: string, ctx: TranslateContext, imagesAllowed: boolean): string | CohereContentItem[] {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) throw badRequest(`${at}.content`, `${at}.content must be a string or an array of parts`);
  return content.map((part: unknown, j: number): CohereContentItem => {
    const pat = `${at}.content[${j}]`;
    if (!isObject(part)) throw badRequest(pat, `${pat} must be an object`);
    if (part.type === 'text' && typeof part.text === 'string') return { type: 'text', text: part.text };
    if (part.type === 'refusal' && typeof part.refusal === 'string') return { type: 'text', text: part.refusal };
    if (part.type === 'image_url') {
      if (!imagesAllowed) throw badRequest(pat, `${pat}: images are only allowed in user messages`);
      const img = part.image_url;
      if (!isObject(img) || typeof img.url !== 'string') throw badRequest(`${pat}.image_url.url`, `${pat}.image_url.url must be a string`);
      if (!/^(data:image\/|https?:\/\/)/i.test(img.url)) {
        throw badRequest(`${pat}.image_url.url`, `${pat}.image_url.url must be an http(s) URL or a data:image/ URL`);
      }
      const item: CohereContentItem = { type: 'image_url', image_url: { url: img.url } };
      if (img.detail === 'auto' || img.detail === 'low' || img.detail === 'high') item.image_url.detail = img.detail;
      return item;
    }
    throw unsupported(ctx, `${pat}.type`, `${pat}: content parts of type "${String(part.type)}" cannot be sent to Cohere`);
  });
}
