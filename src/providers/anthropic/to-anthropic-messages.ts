import type { ChatMessage, FilePart, ImagePart, TextPart } from '../../model/index.js';
import { badRequest, isRecord, parseDataUrl, unsupported } from './translate-errors.js';
import type {
  AnthropicContentBlock, AnthropicImageBlock, AnthropicMessageParam, AnthropicTextBlock, AnthropicThinkingLike, AnthropicToolResultBlock, CacheControl,
} from './wire-types.js';

/** The image types the Messages API accepts as base64 sources. */
export const IMAGE_MEDIA_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/**
 * Message fields that may come back from an earlier response and carry nothing to send: an echoed
 * `reasoning_content`/`reasoning` is unsigned text Anthropic cannot verify (the signed form travels
 * in `thinking_blocks`), and `annotations` are output metadata.
 */
const ECHO_FIELDS = new Set(['reasoning_content', 'reasoning', 'annotations']);
const MESSAGE_FIELDS = new Set(['role', 'content', 'name', 'tool_calls', 'tool_call_id', 'refusal', 'thinking_blocks',
  'is_error', 'cache_control', 'audio', 'function_call', ...ECHO_FIELDS]);

interface Turn {
  role: 'user' | 'assistant';
  /** Tool results lead a user turn: the API requires them before any other block. */
  results: AnthropicToolResultBlock[];
  blocks: AnthropicContentBlock[];
}

/**
 * OpenAI messages → Anthropic `system` and alternating `messages`. System and developer messages,
 * wherever they are, become the top-level system prompt in order (the Messages API has no system
 * role inside `messages`); `tool` messages become `tool_result` blocks of a user turn; consecutive
 * same-role messages merge into one turn, as the API would.
 */
export function toAnthropicMessages(messages: ChatMessage[]): { system: AnthropicTextBlock[]; messages: AnthropicMessageParam[] } {
  const system: AnthropicTextBlock[] = [];
  const turns: Turn[] = [];
  const turn = (role: Turn['role']): Turn => {
    const last = turns[turns.length - 1];
    if (last && last.role === role) return last;
    const next: Turn = { role, results: [], blocks: [] };
    turns.push(next);
    return next;
  };
  messages.forEach((m, i) => {
    const path = `messages[${i}]`;
    checkMessageFields(m, path);
    switch (m.role) {
      case 'system':
      case 'developer':
        system.push(...withCache(textOnly(m.content, path), m.cache_control, path));
        return;
      case 'user': {
        const blocks = withCache(userBlocks(m.content, path), m.cache_control, path);
        if (blocks.length === 0) throw unsupported(`${path}.content`, 'Anthropic does not accept an empty user message');
        turn('user').blocks.push(...blocks);
        return;
      }
      case 'assistant': {
        const blocks = withCache(assistantBlocks(m, path), m.cache_control, path);
        // An assistant message with nothing in it carries nothing; Anthropic rejects empty turns.
        if (blocks.length > 0) turn('assistant').blocks.push(...blocks);
        return;
      }
      case 'tool':
        turn('user').results.push(toolResult(m, path));
        return;
      case 'function':
        throw unsupported(`${path}.role`, 'the deprecated "function" role is not supported; use tools and "tool" messages');
      default:
        throw badRequest(`${path}.role`, `${path}.role must be one of system, developer, user, assistant, tool`);
    }
  });
  return {
    system,
    messages: turns.map((t) => ({ role: t.role, content: [...t.results, ...t.blocks] })),
  };
}

function checkMessageFields(m: ChatMessage, path: string): void {
  for (const [key, value] of Object.entries(m) as [string, unknown][]) {
    if (value === undefined || value === null) continue;
    if (!MESSAGE_FIELDS.has(key)) throw unsupported(`${path}.${key}`, `message field "${key}" cannot be sent to Anthropic`);
  }
  if (typeof m.name === 'string' && m.name.length > 0) throw unsupported(`${path}.name`, 'Anthropic messages have no participant names');
  if (m.audio !== undefined && m.audio !== null) throw unsupported(`${path}.audio`, 'Anthropic does not take audio');
  if (m.function_call !== undefined && m.function_call !== null) {
    throw unsupported(`${path}.function_call`, 'the deprecated "function_call" is not supported; use tool_calls');
  }
}

function textOnly(content: ChatMessage['content'], path: string): AnthropicTextBlock[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) throw badRequest(`${path}.content`, `${path}.content must be a string or an array of content parts`);
  const out: AnthropicTextBlock[] = [];
  content.forEach((part, j) => {
    if (!isRecord(part) || part.type !== 'text' || typeof part.text !== 'string') {
      throw unsupported(`${path}.content[${j}]`, 'only text parts are allowed here');
    }
    const block = textBlock(part, `${path}.content[${j}]`);
    if (block) out.push(block);
  });
  return out;
}

function userBlocks(content: ChatMessage['content'], path: string): AnthropicContentBlock[] {
  if (typeof content === 'string') return content.length > 0 ? [{ type: 'text', text: content }] : [];
  if (!Array.isArray(content)) throw badRequest(`${path}.content`, `${path}.content must be a string or an array of content parts`);
  const out: AnthropicContentBlock[] = [];
  content.forEach((part, j) => {
    const at = `${path}.content[${j}]`;
    if (!isRecord(part)) throw badRequest(at, `${at} must be an object`);
    switch (part.type) {
      case 'text': {
        const block = textBlock(part, at);
        if (block) out.push(block);
        return;
      }
      case 'image_url':
        out.push(imageBlock(part, at));
        return;
      case 'file':
        out.push(documentBlock(part, at));
        return;
      case 'input_audio':
        throw unsupported(at, 'Anthropic does not take audio input');
      default:
        throw unsupported(at, `content part type "${String(part.type)}" cannot be sent to Anthropic`);
    }
  });
  return out;
}

function textBlock(part: TextPart, at: string): AnthropicTextBlock | null {
  if (typeof part.text !== 'string') throw badRequest(`${at}.text`, `${at}.text must be a string`);
  // The API rejects empty text blocks; an empty part says nothing.
  if (part.text.length === 0) return null;
  const block: AnthropicTextBlock = { type: 'text', text: part.text };
  if (part.cache_control) block.cache_control = parseCacheControl(part.cache_control, `${at}.cache_control`);
  return block;
}

/** An `image_url` part: a base64 `data:` URL becomes a base64 source, an http(s) URL a URL source. */
export function imageBlock(part: ImagePart, at: string): AnthropicImageBlock {
  const url = part.image_url?.url;
  if (typeof url !== 'string') throw badRequest(`${at}.image_url.url`, `${at}.image_url.url must be a string`);
  let block: AnthropicImageBlock;
  if (url.startsWith('data:')) {
    const parsed = parseDataUrl(url);
    if (!parsed) throw unsupported(`${at}.image_url.url`, 'image data URLs must be base64-encoded');
    if (!IMAGE_MEDIA_TYPES.has(parsed.mediaType)) {
      throw unsupported(`${at}.image_url.url`, `Anthropic accepts image/jpeg, image/png, image/gif and image/webp, not ${parsed.mediaType}`);
    }
    block = { type: 'image', source: { type: 'base64', media_type: parsed.mediaType, data: parsed.data } };
  } else if (/^https?:\/\//i.test(url)) {
    block = { type: 'image', source: { type: 'url', url } };
  } else {
    throw badRequest(`${at}.image_url.url`, 'an image URL must be http(s) or a base64 data URL');
  }
  // `detail` only tunes the resolution OpenAI bills for; Claude sizes images itself, so it carries no instruction.
  if (part.cache_control) block.cache_control = parseCacheControl(part.cache_control, `${at}.cache_control`);
  return block;
}

/** A `file` part: base64 PDF data becomes a document block; file ids live in OpenAI's file store. */
function documentBlock(part: FilePart, at: string): AnthropicContentBlock {
  const file = part.file;
  if (!file || typeof file.file_data !== 'string') throw unsupported(`${at}.file`, 'only inline file_data (a base64 PDF data URL) can be sent to Anthropic');
  const parsed = parseDataUrl(file.file_data.startsWith('data:') ? file.file_data : `data:application/pdf;base64,${file.file_data}`);
  if (!parsed || parsed.mediaType !== 'application/pdf') throw unsupported(`${at}.file.file_data`, 'Anthropic documents must be base64 PDFs');
  const block: AnthropicContentBlock = { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: parsed.data } };
  if (typeof file.filename === 'string' && file.filename.length > 0) block.title = file.filename;
  if (part.cache_control) block.cache_control = parseCacheControl(part.cache_control, `${at}.cache_control`);
  return block;
}

function assistantBlocks(m: ChatMessage, path: string): AnthropicContentBlock[] {
  const out: AnthropicContentBlock[] = [];
  if (Array.isArray(m.thinking_blocks)) m.thinking_blocks.forEach((b, j) => out.push(thinkingBlock(b, `${path}.thinking_blocks[${j}]`)));
  const content = m.content;
  if (typeof content === 'string') {
    if (content.length > 0) out.push({ type: 'text', text: content });
  } else if (Array.isArray(content)) {
    content.forEach((part, j) => {
      const at = `${path}.content[${j}]`;
      if (isRecord(part) && part.type === 'refusal' && typeof part.refusal === 'string') {
        if (part.refusal.length > 0) out.push({ type: 'text', text: part.refusal });
      } else if (isRecord(part) && part.type === 'text') {
        const block = textBlock(part, at);
        if (block) out.push(block);
      } else {
        throw unsupported(at, 'assistant messages may only hold text and refusal parts');
      }
    });
  } else if (content !== undefined && content !== null) {
    throw badRequest(`${path}.content`, `${path}.content must be a string, an array or null`);
  }
  // A refusal echoed from an earlier response is what the assistant said.
  if (typeof m.refusal === 'string' && m.refusal.length > 0 && !out.some((b) => b.type === 'text')) out.push({ type: 'text', text: m.refusal });
  if (Array.isArray(m.tool_calls)) m.tool_calls.forEach((call, j) => out.push(toolUse(call, `${path}.tool_calls[${j}]`)));
  return out;
}

function thinkingBlock(b: unknown, at: string): AnthropicThinkingLike {
  if (isRecord(b) && b.type === 'thinking' && typeof b.thinking === 'string' && typeof b.signature === 'string') {
    return { type: 'thinking', thinking: b.thinking, signature: b.signature };
  }
  if (isRecord(b) && b.type === 'redacted_thinking' && typeof b.data === 'string') return { type: 'redacted_thinking', data: b.data };
  throw badRequest(at, `${at} must be {type:"thinking", thinking, signature} or {type:"redacted_thinking", data}`);
}

function toolUse(call: unknown, at: string): AnthropicContentBlock {
  if (!isRecord(call) || !isRecord(call.function) || typeof call.id !== 'string' || typeof call.function.name !== 'string') {
    throw badRequest(at, `${at} must have an id and a function name`);
  }
  if (call.type !== undefined && call.type !== 'function') throw unsupported(`${at}.type`, `tool call type "${String(call.type)}" cannot be sent to Anthropic`);
  const args = call.function.arguments;
  let input: unknown = {};
  if (typeof args === 'string' && args.trim().length > 0) {
    try {
      input = JSON.parse(args);
    } catch {
      throw badRequest(`${at}.function.arguments`, `${at}.function.arguments is not valid JSON`);
    }
  }
  if (!isRecord(input)) throw badRequest(`${at}.function.arguments`, `${at}.function.arguments must be a JSON object`);
  return { type: 'tool_use', id: call.id, name: call.function.name, input };
}

function toolResult(m: ChatMessage, path: string): AnthropicToolResultBlock {
  if (typeof m.tool_call_id !== 'string' || m.tool_call_id.length === 0) throw badRequest(`${path}.tool_call_id`, `${path}.tool_call_id is required`);
  const block: AnthropicToolResultBlock = { type: 'tool_result', tool_use_id: m.tool_call_id };
  const content = m.content;
  if (typeof content === 'string') {
    block.content = content;
  } else if (Array.isArray(content)) {
    block.content = content.flatMap((part, j): (AnthropicTextBlock | AnthropicImageBlock)[] => {
      const at = `${path}.content[${j}]`;
      if (isRecord(part) && part.type === 'text') {
        const text = textBlock(part, at);
        return text ? [text] : [];
      }
      // Images in tool results are an extension OpenAI lacks; Anthropic takes them.
      if (isRecord(part) && part.type === 'image_url') return [imageBlock(part, at)];
      throw unsupported(at, 'tool results may only hold text and image parts');
    });
  } else if (content !== undefined && content !== null) {
    throw badRequest(`${path}.content`, `${path}.content must be a string or an array`);
  }
  if (m.is_error === true) block.is_error = true;
  if (m.cache_control) block.cache_control = parseCacheControl(m.cache_control, `${path}.cache_control`);
  return block;
}

/** A message-level `cache_control` marks the message's last block, where Anthropic's breakpoints live. */
function withCache<T extends AnthropicContentBlock>(blocks: T[], cc: unknown, path: string): T[] {
  if (cc === undefined || cc === null || blocks.length === 0) return blocks;
  const last = blocks[blocks.length - 1]! as T & { cache_control?: CacheControl };
  if (last.type === 'thinking' || last.type === 'redacted_thinking') throw unsupported(`${path}.cache_control`, 'thinking blocks cannot carry cache_control');
  last.cache_control = parseCacheControl(cc, `${path}.cache_control`);
  return blocks;
}

export function parseCacheControl(cc: unknown, at: string): CacheControl {
  if (!isRecord(cc) || cc.type !== 'ephemeral' || (cc.ttl !== undefined && cc.ttl !== '5m' && cc.ttl !== '1h')) {
    throw badRequest(at, `${at} must be {"type":"ephemeral"} with an optional ttl of "5m" or "1h"`);
  }
  return cc.ttl === undefined ? { type: 'ephemeral' } : { type: 'ephemeral', ttl: cc.ttl };
}

