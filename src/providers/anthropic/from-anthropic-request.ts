import type {
  CacheControl, ChatMessage, ChatRequest, FilePart, ImagePart, OutputConfig, TextPart, ThinkingConfig, ToolCall, ToolDefinition,
} from '../../model/index.js';
import { badRequest, isRecord, unsupported } from './translate-errors.js';

/** Options of the Anthropic → OpenAI request translation. */
export interface FromAnthropicOptions {
  /**
   * The target speaks Anthropic (the first candidate's protocol is `anthropic`): keep what only
   * Anthropic understands, as extensions of the OpenAI body the Anthropic adapter maps back exactly:
   * `cache_control` breakpoints, signed `thinking_blocks`, `thinking`/`output_config`, `top_k`,
   * `is_error` on tool results. Otherwise `cache_control` (a caching hint) and earlier turns' thinking
   * (which no other provider can verify) are left out, `thinking` becomes `reasoning_effort`, and
   * `top_k` is rejected.
   */
  keepAnthropicExtensions?: boolean;
}

/** Request fields the Messages API has that cannot be routed through the OpenAI dialect. */
const UNROUTABLE = ['container', 'mcp_servers', 'context_management', 'inference_geo', 'speed', 'diagnostics'];
const KNOWN = new Set(['model', 'max_tokens', 'messages', 'system', 'stream', 'stop_sequences', 'temperature', 'top_p', 'top_k',
  'tools', 'tool_choice', 'thinking', 'output_config', 'metadata', 'service_tier', 'cache_control', ...UNROUTABLE]);

/**
 * An Anthropic Messages request body (from an Anthropic-SDK client on `POST /v1/messages`) → a
 * typed chat request, routable to any provider. Malformed requests throw
 * LR_ERR_BAD_REQUEST with Anthropic-style messages (`max_tokens: Field required`); what the OpenAI
 * dialect cannot carry throws LR_ERR_UNSUPPORTED_PARAM.
 */
export function fromAnthropicRequest(body: unknown, opts: FromAnthropicOptions = {}): ChatRequest {
  const keep = opts.keepAnthropicExtensions === true;
  if (!isRecord(body)) throw badRequest('body', 'request body must be a JSON object');
  for (const key of Object.keys(body)) {
    if (!KNOWN.has(key)) throw badRequest(key, `${key}: Extra inputs are not permitted`);
    if (UNROUTABLE.includes(key) && body[key] !== undefined && body[key] !== null) {
      throw unsupported(key, `"${key}" is an Anthropic platform feature that cannot be routed`);
    }
  }
  if (typeof body.model !== 'string' || body.model.length === 0) throw badRequest('model', 'model: Field required');
  if (body.max_tokens === undefined) throw badRequest('max_tokens', 'max_tokens: Field required');
  if (typeof body.max_tokens !== 'number' || !Number.isInteger(body.max_tokens) || body.max_tokens < 0) {
    throw badRequest('max_tokens', 'max_tokens: Input should be a valid non-negative integer');
  }
  if (body.max_tokens === 0) throw unsupported('max_tokens', 'max_tokens 0 (cache pre-warming) cannot be routed');
  if (!Array.isArray(body.messages)) throw badRequest('messages', 'messages: Field required');
  if (body.messages.length === 0) throw badRequest('messages', 'messages: at least one message is required');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw badRequest('stream', 'stream: Input should be a valid boolean');

  const out: ChatRequest = { model: body.model, messages: [] };
  if (body.system !== undefined && body.system !== null) out.messages.push(systemMessage(body.system, 'system', keep));
  body.messages.forEach((m, i) => out.messages.push(...convertMessage(m, `messages.${i}`, keep)));
  out.max_completion_tokens = body.max_tokens;
  if (body.stream === true) {
    out.stream = true;
    out.stream_options = { include_usage: true };
  }
  sampling(body, out, keep);
  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    if (!Array.isArray(body.stop_sequences) || !body.stop_sequences.every((s) => typeof s === 'string')) {
      throw badRequest('stop_sequences', 'stop_sequences: Input should be a valid list of strings');
    }
    if (body.stop_sequences.length > 0) out.stop = body.stop_sequences;
  }
  tools(body, out, keep);
  reasoningAndFormat(body, out, keep);
  if (isRecord(body.metadata) && typeof body.metadata.user_id === 'string' && body.metadata.user_id.length > 0) out.user = body.metadata.user_id;
  if (body.service_tier === 'auto') out.service_tier = 'auto';
  else if (body.service_tier === 'standard_only') out.service_tier = 'default';
  else if (body.service_tier !== undefined && body.service_tier !== null) throw badRequest('service_tier', "service_tier: Input should be 'auto' or 'standard_only'");
  if (keep && isRecord(body.cache_control)) out.cache_control = keptCache(body.cache_control);
  return out;
}

function sampling(body: Record<string, unknown>, out: ChatRequest, keep: boolean): void {
  for (const key of ['temperature', 'top_p'] as const) {
    const v = body[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || v < 0 || v > 1) throw badRequest(key, `${key}: Input should be a number between 0 and 1`);
    out[key] = v;
  }
  if (body.top_k !== undefined && body.top_k !== null) {
    if (typeof body.top_k !== 'number' || !Number.isInteger(body.top_k) || body.top_k < 0) throw badRequest('top_k', 'top_k: Input should be a valid integer');
    if (!keep) throw unsupported('top_k', 'OpenAI chat completions have no top_k');
    out.top_k = body.top_k;
  }
}

function systemMessage(system: unknown, at: string, keep: boolean): ChatMessage {
  if (typeof system === 'string') return { role: 'system', content: system };
  if (!Array.isArray(system)) throw badRequest(at, `${at}: Input should be a valid string or list of text blocks`);
  return { role: 'system', content: system.map((b, j) => textPart(b, `${at}.${j}`, keep)) };
}

/** A caching breakpoint kept for an Anthropic target, which checks its shape when it builds the request. */
function keptCache(cc: Record<string, unknown>): CacheControl {
  return cc as unknown as CacheControl;
}

/** The parts an Anthropic block becomes; each may carry the block's caching breakpoint. */
type BlockPart = TextPart | ImagePart | FilePart;

function textPart(b: unknown, at: string, keep: boolean): TextPart {
  if (!isRecord(b) || b.type !== 'text' || typeof b.text !== 'string') throw badRequest(at, `${at}: Input should be a text block`);
  if (Array.isArray(b.citations) && b.citations.length > 0) throw unsupported(`${at}.citations`, 'citations cannot be routed');
  const part: TextPart = { type: 'text', text: b.text };
  if (keep && isRecord(b.cache_control)) part.cache_control = keptCache(b.cache_control);
  return part;
}

/** A lone uncached text part is sent as a string, as a client would write it. */
function plainText(parts: BlockPart[]): string | null {
  const only = parts.length === 1 ? parts[0]! : null;
  return only?.type === 'text' && !only.cache_control ? only.text : null;
}

/** One Anthropic message → OpenAI messages: a user turn's tool results become `tool` messages ahead of its other content. */
function convertMessage(m: unknown, at: string, keep: boolean): ChatMessage[] {
  if (!isRecord(m)) throw badRequest(at, `${at}: Input should be a valid message object`);
  if (m.role === 'system') return [systemMessage(m.content, `${at}.content`, keep)];
  if (m.role !== 'user' && m.role !== 'assistant') throw badRequest(`${at}.role`, `${at}.role: Input should be 'user' or 'assistant'`);
  const content = m.content;
  if (typeof content === 'string') return [{ role: m.role, content }];
  if (!Array.isArray(content)) throw badRequest(`${at}.content`, `${at}.content: Input should be a valid string or list`);
  return m.role === 'user' ? userMessages(content, at, keep) : [assistantMessage(content, at, keep)];
}

function userMessages(blocks: unknown[], at: string, keep: boolean): ChatMessage[] {
  const out: ChatMessage[] = [];
  const parts: BlockPart[] = [];
  blocks.forEach((b, j) => {
    const bt = `${at}.content.${j}`;
    if (!isRecord(b)) throw badRequest(bt, `${bt}: Input should be a valid content block`);
    switch (b.type) {
      case 'text': parts.push(textPart(b, bt, keep)); return;
      case 'image': parts.push(imagePart(b, bt, keep)); return;
      case 'document': parts.push(documentPart(b, bt, keep)); return;
      case 'tool_result': out.push(toolMessage(b, bt, keep)); return;
      default: throw unsupported(bt, `content block type "${String(b.type)}" cannot be routed`);
    }
  });
  if (parts.length > 0) out.push({ role: 'user', content: plainText(parts) ?? parts });
  return out;
}

function imagePart(b: Record<string, unknown>, at: string, keep: boolean): ImagePart {
  const src = b.source;
  let url: string;
  if (isRecord(src) && src.type === 'base64' && typeof src.media_type === 'string' && typeof src.data === 'string') {
    url = `data:${src.media_type};base64,${src.data}`;
  } else if (isRecord(src) && src.type === 'url' && typeof src.url === 'string') {
    url = src.url;
  } else if (isRecord(src) && src.type === 'file') {
    throw unsupported(`${at}.source`, 'Files API images cannot be routed');
  } else {
    throw badRequest(`${at}.source`, `${at}.source: Input should be a base64 or url image source`);
  }
  const part: ImagePart = { type: 'image_url', image_url: { url } };
  if (keep && isRecord(b.cache_control)) part.cache_control = keptCache(b.cache_control);
  return part;
}

function documentPart(b: Record<string, unknown>, at: string, keep: boolean): TextPart | FilePart {
  const src = b.source;
  let part: TextPart | FilePart;
  if (isRecord(src) && src.type === 'base64' && src.media_type === 'application/pdf' && typeof src.data === 'string') {
    const filename = typeof b.title === 'string' && b.title.length > 0 ? b.title : 'document.pdf';
    part = { type: 'file', file: { filename, file_data: `data:application/pdf;base64,${src.data}` } };
  } else if (isRecord(src) && src.type === 'text' && typeof src.data === 'string') {
    part = { type: 'text', text: src.data };
  } else {
    throw unsupported(`${at}.source`, 'only base64 PDF and plain-text documents can be routed');
  }
  if (keep && isRecord(b.cache_control)) part.cache_control = keptCache(b.cache_control);
  return part;
}

function toolMessage(b: Record<string, unknown>, at: string, keep: boolean): ChatMessage {
  if (typeof b.tool_use_id !== 'string') throw badRequest(`${at}.tool_use_id`, `${at}.tool_use_id: Field required`);
  const msg: ChatMessage = { role: 'tool', tool_call_id: b.tool_use_id, content: '' };
  if (typeof b.content === 'string') {
    msg.content = b.content;
  } else if (Array.isArray(b.content)) {
    const parts = b.content.map((c, k): TextPart | ImagePart => {
      const ct = `${at}.content.${k}`;
      if (isRecord(c) && c.type === 'text') return textPart(c, ct, keep);
      if (isRecord(c) && c.type === 'image') return imagePart(c, ct, keep);
      throw unsupported(ct, 'tool results may only hold text and images');
    });
    msg.content = plainText(parts) ?? parts;
  } else if (b.content !== undefined && b.content !== null) {
    throw badRequest(`${at}.content`, `${at}.content: Input should be a valid string or list`);
  }
  if (keep && b.is_error === true) msg.is_error = true;
  if (keep && isRecord(b.cache_control)) msg.cache_control = keptCache(b.cache_control);
  return msg;
}

function assistantMessage(blocks: unknown[], at: string, keep: boolean): ChatMessage {
  const parts: TextPart[] = [];
  const calls: ToolCall[] = [];
  const thinking: NonNullable<ChatMessage['thinking_blocks']> = [];
  blocks.forEach((b, j) => {
    const bt = `${at}.content.${j}`;
    if (!isRecord(b)) throw badRequest(bt, `${bt}: Input should be a valid content block`);
    switch (b.type) {
      case 'text': parts.push(textPart(b, bt, keep)); return;
      case 'thinking':
        if (typeof b.thinking !== 'string' || typeof b.signature !== 'string') throw badRequest(bt, `${bt}: a thinking block needs thinking and signature`);
        thinking.push({ type: 'thinking', thinking: b.thinking, signature: b.signature });
        return;
      case 'redacted_thinking':
        if (typeof b.data !== 'string') throw badRequest(bt, `${bt}.data: Field required`);
        thinking.push({ type: 'redacted_thinking', data: b.data });
        return;
      case 'tool_use':
        if (typeof b.id !== 'string' || typeof b.name !== 'string') throw badRequest(bt, `${bt}: a tool_use block needs id and name`);
        calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
        return;
      default: throw unsupported(bt, `content block type "${String(b.type)}" cannot be routed`);
    }
  });
  const plain = parts.every((p) => !p.cache_control);
  const msg: ChatMessage = { role: 'assistant', content: plain ? (parts.length > 0 ? parts.map((p) => p.text).join('') : null) : parts };
  if (calls.length > 0) msg.tool_calls = calls;
  // Other providers cannot verify Anthropic's signed thinking, and none accepts it back.
  if (keep && thinking.length > 0) msg.thinking_blocks = thinking;
  return msg;
}

function tools(body: Record<string, unknown>, out: ChatRequest, keep: boolean): void {
  if (body.tools !== undefined && body.tools !== null) {
    if (!Array.isArray(body.tools)) throw badRequest('tools', 'tools: Input should be a valid list');
    if (body.tools.length > 0) out.tools = body.tools.map((t, i) => openAITool(t, `tools.${i}`, keep));
  }
  const choice = body.tool_choice;
  if (choice === undefined || choice === null) return;
  if (!isRecord(choice)) throw badRequest('tool_choice', 'tool_choice: Input should be a valid object');
  switch (choice.type) {
    case 'auto': out.tool_choice = 'auto'; break;
    case 'any': out.tool_choice = 'required'; break;
    case 'none': out.tool_choice = 'none'; break;
    case 'tool':
      if (typeof choice.name !== 'string') throw badRequest('tool_choice.name', 'tool_choice.name: Field required');
      out.tool_choice = { type: 'function', function: { name: choice.name } };
      break;
    default: throw badRequest('tool_choice.type', "tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'");
  }
  if (choice.disable_parallel_tool_use === true && choice.type !== 'none') out.parallel_tool_calls = false;
}

function openAITool(t: unknown, at: string, keep: boolean): ToolDefinition {
  if (!isRecord(t)) throw badRequest(at, `${at}: Input should be a valid tool`);
  if (t.type !== undefined && t.type !== null && t.type !== 'custom') {
    throw unsupported(at, `Anthropic server and client-defined tool "${String(t.type)}" cannot be routed; define it as a custom tool`);
  }
  if (typeof t.name !== 'string' || t.name.length === 0) throw badRequest(`${at}.name`, `${at}.name: Field required`);
  if (!isRecord(t.input_schema)) throw badRequest(`${at}.input_schema`, `${at}.input_schema: Field required`);
  const fn: ToolDefinition['function'] = { name: t.name, parameters: t.input_schema };
  if (typeof t.description === 'string') fn.description = t.description;
  if (t.strict === true) fn.strict = true;
  const tool: ToolDefinition = { type: 'function', function: fn };
  if (keep && isRecord(t.cache_control)) tool.cache_control = keptCache(t.cache_control);
  return tool;
}

/** Manual thinking budgets → the nearest OpenAI effort (the inverse of the adapter's budget table). */
function effortForBudget(budget: number): string {
  if (budget <= 4096) return 'low';
  if (budget <= 12288) return 'medium';
  return 'high';
}

function reasoningAndFormat(body: Record<string, unknown>, out: ChatRequest, keep: boolean): void {
  const thinking = body.thinking;
  const config = body.output_config;
  if (thinking !== undefined && thinking !== null && (!isRecord(thinking) || typeof thinking.type !== 'string')) {
    throw badRequest('thinking', 'thinking: Input should be a valid thinking config');
  }
  if (config !== undefined && config !== null && !isRecord(config)) throw badRequest('output_config', 'output_config: Input should be a valid object');
  if (keep) {
    // Sent to Anthropic as they are; the adapter checks them against its request shape.
    if (isRecord(thinking)) out.thinking = thinking as ThinkingConfig;
    if (isRecord(config)) out.output_config = config as OutputConfig;
    return;
  }
  if (isRecord(thinking) && thinking.type === 'enabled') {
    if (typeof thinking.budget_tokens !== 'number') throw badRequest('thinking.budget_tokens', 'thinking.budget_tokens: Field required');
    out.reasoning_effort = effortForBudget(thinking.budget_tokens);
  } else if (isRecord(thinking) && thinking.type === 'adaptive' && isRecord(config) && typeof config.effort === 'string') {
    out.reasoning_effort = config.effort;
  }
  if (isRecord(config) && config.format !== undefined && config.format !== null) {
    const format = config.format;
    if (!isRecord(format) || format.type !== 'json_schema' || !isRecord(format.schema)) {
      throw badRequest('output_config.format', "output_config.format: Input should be {type:'json_schema', schema}");
    }
    out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema, strict: true } };
  }
}
