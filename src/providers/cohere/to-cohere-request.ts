import { requestFields, type ChatRequest } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import type { CohereChatRequest, CohereTool } from './cohere-types.js';
import { toCohereMessages } from './to-cohere-messages.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';

/**
 * Every top-level OpenAI chat parameter and what becomes of it; anything else is rejected.
 * - `map`: translated below;
 * - `advisory`: describes the caller, not the answer (ids, metadata, storage hints);
 * - `extension`: Cohere-native knobs accepted in the OpenAI body (`top_k` is OpenAI-style for `k`).
 */
const PARAMS: Record<string, 'map' | 'advisory' | 'extension'> = {
  model: 'map', messages: 'map', stream: 'map', stream_options: 'map', temperature: 'map', top_p: 'map',
  max_tokens: 'map', max_completion_tokens: 'map', stop: 'map', seed: 'map', presence_penalty: 'map',
  frequency_penalty: 'map', response_format: 'map', tools: 'map', tool_choice: 'map', parallel_tool_calls: 'map',
  reasoning_effort: 'map', n: 'map', logit_bias: 'map', modalities: 'map', service_tier: 'map', logprobs: 'map',
  top_logprobs: 'map',
  user: 'advisory', metadata: 'advisory', store: 'advisory', safety_identifier: 'advisory', prompt_cache_key: 'advisory',
  top_k: 'extension', thinking: 'extension', safety_mode: 'extension',
};

/**
 * `reasoning_effort` → Cohere's `thinking`. Cohere sizes reasoning with a token budget, not levels:
 * each level gets a fixed budget (`none` turns thinking off).
 */
export const THINKING_BUDGETS: Record<string, number> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768 };

/** Cohere's documented range for `p` (OpenAI's `top_p` allows 0 and 1, the usual "off" value). */
const P_MIN = 0.01;
const P_MAX = 0.99;

/** A chat request → a Cohere v2 `/chat` body. Throws a coded error for what Cohere cannot do. */
export function toCohereChatRequest(body: ChatRequest, ctx: TranslateContext): CohereChatRequest {
  for (const [key, value] of requestFields(body)) {
    if (PARAMS[key] === undefined && given(value)) throw unsupported(ctx, key, `parameter "${key}" is not supported`);
  }
  if (!Array.isArray(body.messages)) throw badRequest('messages', '"messages" must be an array');
  checkUnexpressible(body, ctx);

  const req: CohereChatRequest = { model: ctx.model, messages: toCohereMessages(body.messages, ctx), stream: ctx.stream };
  addTools(req, body, ctx);
  const rf = toResponseFormat(body.response_format, ctx);
  if (rf) req.response_format = rf;
  const max = given(body.max_completion_tokens) ? body.max_completion_tokens : body.max_tokens;
  if (given(max)) req.max_tokens = max as number;
  if (typeof body.stop === 'string') req.stop_sequences = [body.stop];
  else if (Array.isArray(body.stop)) req.stop_sequences = body.stop as string[];
  else if (given(body.stop)) throw badRequest('stop', '"stop" must be a string or an array of strings');
  if (given(body.temperature)) req.temperature = body.temperature as number;
  if (typeof body.top_p === 'number') req.p = Math.min(P_MAX, Math.max(P_MIN, body.top_p));
  else if (given(body.top_p)) throw badRequest('top_p', '"top_p" must be a number');
  if (given(body.top_k)) req.k = body.top_k as number;
  if (given(body.seed)) req.seed = body.seed as number;
  if (given(body.frequency_penalty)) req.frequency_penalty = body.frequency_penalty as number;
  if (given(body.presence_penalty)) req.presence_penalty = body.presence_penalty as number;
  if (given(body.safety_mode)) req.safety_mode = body.safety_mode as string;
  const thinking = toThinking(body, ctx);
  if (thinking) req.thinking = thinking;
  return req;
}

function checkUnexpressible(body: ChatRequest, ctx: TranslateContext): void {
  if (given(body.n) && body.n !== 1) throw unsupported(ctx, 'n', '"n" above 1: Cohere returns one answer per request');
  if (isObject(body.logit_bias) && Object.keys(body.logit_bias).length > 0) {
    throw unsupported(ctx, 'logit_bias', '"logit_bias": Cohere has no token biasing');
  }
  if (Array.isArray(body.modalities) && body.modalities.some((m) => m !== 'text')) {
    throw unsupported(ctx, 'modalities', '"modalities": Cohere chat answers with text only');
  }
  if (given(body.service_tier) && body.service_tier !== 'auto' && body.service_tier !== 'default') {
    throw unsupported(ctx, 'service_tier', `"service_tier": "${String(body.service_tier)}" is an OpenAI processing tier`);
  }
  // Cohere's logprobs are per text span with token ids and no alternatives: not OpenAI's shape.
  if (body.logprobs === true) throw unsupported(ctx, 'logprobs', '"logprobs": Cohere\'s log probabilities cannot be given in OpenAI\'s per-token form');
  if (given(body.top_logprobs)) throw unsupported(ctx, 'top_logprobs', '"top_logprobs": Cohere returns no alternative tokens');
  if (given(body.parallel_tool_calls) && body.parallel_tool_calls !== true) {
    throw unsupported(ctx, 'parallel_tool_calls', '"parallel_tool_calls": false cannot be enforced: Cohere may return several tool calls');
  }
}

function addTools(req: CohereChatRequest, body: ChatRequest, ctx: TranslateContext): void {
  const choice = body.tool_choice;
  if (!given(body.tools)) {
    if (given(choice) && choice !== 'none' && choice !== 'auto') throw badRequest('tool_choice', '"tool_choice" needs "tools"');
    return;
  }
  if (!Array.isArray(body.tools)) throw badRequest('tools', '"tools" must be an array');
  let strict = 0;
  let tools = body.tools.map((t: unknown, i: number): CohereTool => {
    const at = `tools[${i}]`;
    if (isObject(t) && t.type !== 'function') throw unsupported(ctx, `${at}.type`, `${at}: only function tools can be sent to Cohere`);
    if (!isObject(t) || !isObject(t.function) || typeof t.function.name !== 'string') throw badRequest(at, `${at} must be a function tool with a name`);
    const f = t.function;
    if (f.strict === true) strict++;
    const tool: CohereTool = { type: 'function', function: { name: f.name as string, parameters: isObject(f.parameters) ? f.parameters : { type: 'object', properties: {} } } };
    if (typeof f.description === 'string') tool.function.description = f.description;
    return tool;
  });
  if (tools.length === 0) return;
  // Cohere's strictness is one switch for the whole request.
  if (strict > 0 && strict < tools.length) {
    throw unsupported(ctx, 'tools', '"strict" on some tools only: Cohere applies strict tool schemas to all tools or none');
  }
  if (strict > 0) req.strict_tools = true;
  if (choice === 'none') req.tool_choice = 'NONE';
  else if (choice === 'required') req.tool_choice = 'REQUIRED';
  else if (isObject(choice)) {
    // One named function: offer only that one and require a call, which is exactly "call this function".
    const name = 'function' in choice && isObject(choice.function) ? choice.function.name : undefined;
    if (choice.type !== 'function' || typeof name !== 'string') throw unsupported(ctx, 'tool_choice', '"tool_choice" must name a function');
    tools = tools.filter((t) => t.function.name === name);
    if (tools.length === 0) throw badRequest('tool_choice', `"tool_choice" names "${name}", which is not in "tools"`);
    req.tool_choice = 'REQUIRED';
  } else if (given(choice) && choice !== 'auto') {
    throw badRequest('tool_choice', '"tool_choice" must be "auto", "none", "required" or a function');
  }
  req.tools = tools;
}

function toResponseFormat(rf: unknown, ctx: TranslateContext): CohereChatRequest['response_format'] | null {
  if (!given(rf)) return null;
  if (!isObject(rf)) throw badRequest('response_format', '"response_format" must be an object');
  switch (rf.type) {
    case 'text': return null;
    case 'json_object': return { type: 'json_object' };
    case 'json_schema': {
      const schema = isObject(rf.json_schema) ? rf.json_schema.schema : undefined;
      if (!isObject(schema)) throw badRequest('response_format.json_schema.schema', '"response_format.json_schema.schema" must be a JSON schema object');
      return { type: 'json_object', json_schema: schema };
    }
    default:
      throw unsupported(ctx, 'response_format.type', `"response_format.type" "${String(rf.type)}" cannot be sent to Cohere`);
  }
}

function toThinking(body: ChatRequest, ctx: TranslateContext): CohereChatRequest['thinking'] | null {
  const effort = body.reasoning_effort;
  if (given(effort) && given(body.thinking)) throw badRequest('thinking', 'give either "reasoning_effort" or "thinking", not both');
  if (given(body.thinking)) {
    const t = body.thinking;
    if (!isObject(t) || (t.type !== 'enabled' && t.type !== 'disabled')) throw badRequest('thinking', '"thinking.type" must be "enabled" or "disabled"');
    return t as CohereChatRequest['thinking'];
  }
  if (!given(effort)) return null;
  if (effort === 'none') return { type: 'disabled' };
  const budget = typeof effort === 'string' ? THINKING_BUDGETS[effort] : undefined;
  if (budget === undefined) throw unsupported(ctx, 'reasoning_effort', `"reasoning_effort" "${String(effort)}" has no Cohere thinking budget`);
  return { type: 'enabled', token_budget: budget };
}
