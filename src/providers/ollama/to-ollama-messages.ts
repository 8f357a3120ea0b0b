import type { ChatMessage } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import type { OllamaMessage, OllamaToolCall } from './ollama-types.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';

/**
 * OpenAI chat messages → Ollama messages. Order and count are kept (several system messages stay
 * several system messages); text parts of one message are joined with a newline since Ollama's
 * `content` is one string; images become the message's base64 `images`.
 */
export function toOllamaMessages(messages: ChatMessage[], ctx: TranslateContext): OllamaMessage[] {
  const out: OllamaMessage[] = [];
  // Ollama names the function a tool result belongs to, OpenAI names the call: remember call → function.
  const callNames = new Map<string, string>();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const at = `messages[${i}]`;
    if (!isObject(m)) throw badRequest(at, `${at} must be an object`);
    if (given(m.name)) throw unsupported(ctx, `${at}.name`, `${at}.name: Ollama messages carry no participant name`);
    switch (m.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content: textOf(m.content, at, ctx, false).text });
        break;
      case 'user': {
        const { text, images } = textOf(m.content, at, ctx, true);
        out.push(images.length > 0 ? { role: 'user', content: text, images } : { role: 'user', content: text });
        break;
      }
      case 'assistant':
        out.push(assistantMessage(m, at, ctx, callNames));
        break;
      case 'tool': {
        if (typeof m.tool_call_id !== 'string') throw badRequest(`${at}.tool_call_id`, `${at}.tool_call_id must be a string`);
        const msg: OllamaMessage = { role: 'tool', content: textOf(m.content, at, ctx, false).text };
        const name = callNames.get(m.tool_call_id);
        if (name !== undefined) msg.tool_name = name;
        out.push(msg);
        break;
      }
      case 'function':
        throw unsupported(ctx, `${at}.role`, `${at}: the legacy "function" role is not supported; use tools and "tool" messages`);
      default:
        throw badRequest(`${at}.role`, `${at}.role "${String(m.role)}" is not a chat role`);
    }
  }
  return out;
}

function assistantMessage(m: ChatMessage, at: string, ctx: TranslateContext, callNames: Map<string, string>): OllamaMessage {
  let text = m.content === null || m.content === undefined ? '' : textOf(m.content, at, ctx, false).text;
  if (typeof m.refusal === 'string' && m.refusal.length > 0) text = text.length > 0 ? `${text}\n${m.refusal}` : m.refusal;
  const msg: OllamaMessage = { role: 'assistant', content: text };
  // Reasoning the client echoes back (DeepSeek/vLLM name it reasoning_content, OpenRouter reasoning).
  const thinking = typeof m.reasoning_content === 'string' ? m.reasoning_content : typeof m.reasoning === 'string' ? m.reasoning : '';
  if (thinking.length > 0) msg.thinking = thinking;
  if (given(m.tool_calls)) {
    if (!Array.isArray(m.tool_calls)) throw badRequest(`${at}.tool_calls`, `${at}.tool_calls must be an array`);
    const calls: OllamaToolCall[] = [];
    m.tool_calls.forEach((c: unknown, j: number) => {
      const cat = `${at}.tool_calls[${j}]`;
      if (!isObject(c) || c.type !== 'function' || !isObject(c.function) || typeof c.function.name !== 'string') {
        throw badRequest(cat, `${cat} must be a function call with a name`);
      }
      const args = parseArguments(c.function.arguments, `${cat}.function.arguments`);
      if (typeof c.id === 'string') callNames.set(c.id, c.function.name);
      calls.push({ function: { index: j, name: c.function.name, arguments: args } });
    });
    if (calls.length > 0) msg.tool_calls = calls;
  }
  return msg;
}

/** OpenAI sends arguments as a JSON string; Ollama wants the object. */
function parseArguments(raw: unknown, at: string): Record<string, unknown> {
  if (raw === undefined || raw === null || raw === '') return {};
  if (typeof raw !== 'string') throw badRequest(at, `${at} must be a JSON string`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw badRequest(at, `${at} is not valid JSON`);
  }
  if (!isObject(value)) throw badRequest(at, `${at} must encode a JSON object`);
  return value;
}

/** A message's content as Ollama's single string plus base64 images (user messages only). */
function textOf(content: unknown, at: string, ctx: TranslateContext, imagesAllowed: boolean): { text: string; images: string[] } {
  if (typeof content === 'string') return { text: content, images: [] };
  if (!Array.isArray(content)) throw badRequest(`${at}.content`, `${at}.content must be a string or an array of parts`);
  const texts: string[] = [];
  const images: string[] = [];
  content.forEach((part: unknown, j: number) => {
    const pat = `${at}.content[${j}]`;
    if (!isObject(part)) throw badRequest(pat, `${pat} must be an object`);
    if (part.type === 'text' && typeof part.text === 'string') texts.push(part.text);
    else if (part.type === 'refusal' && typeof part.refusal === 'string') texts.push(part.refusal);
    else if (part.type === 'image_url' && imagesAllowed) images.push(base64Image(part.image_url, `${pat}.image_url`, ctx));
    else if (part.type === 'image_url') throw badRequest(pat, `${pat}: images are only allowed in user messages`);
    else throw unsupported(ctx, `${pat}.type`, `${pat}: content parts of type "${String(part.type)}" cannot be sent to Ollama`);
  });
  return { text: texts.join('\n'), images };
}

/** A `data:` URL → its base64 payload. Ollama takes base64 only, so web URLs are refused. */
function base64Image(imageUrl: unknown, at: string, ctx: TranslateContext): string {
  if (!isObject(imageUrl) || typeof imageUrl.url !== 'string') throw badRequest(at, `${at}.url must be a string`);
  const url = imageUrl.url;
  if (!url.startsWith('data:')) {
    throw unsupported(ctx, `${at}.url`, `${at}.url: Ollama accepts images only as base64; send a data: URL instead of a web URL`);
  }
  const comma = url.indexOf(',');
  const meta = comma === -1 ? '' : url.slice(5, comma);
  if (comma === -1 || !meta.endsWith(';base64')) throw badRequest(`${at}.url`, `${at}.url must be a base64 data: URL`);
  if (!meta.startsWith('image/')) throw badRequest(`${at}.url`, `${at}.url must hold an image (got "${meta.slice(0, -7) || 'no media type'}")`);
  return url.slice(comma + 1);
}
