import { requestFields, type ChatRequest, type JsonObject } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import type { OllamaChatRequest, OllamaThink, OllamaTool } from './ollama-types.js';
import { toOllamaMessages } from './to-ollama-messages.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';

/**
 * Every top-level OpenAI chat parameter and what becomes of it. Anything not listed is rejected:
 * the table is the whole contract (Portkey's silent drops are what we avoid).
 * - `map`: translated below;
 * - `advisory`: describes the caller, not the answer (ids, metadata, storage/billing hints), so
 *   there is nothing for Ollama to do with it;
 * - `extension`: Ollama-native knobs accepted in the OpenAI body, as Ollama's own OpenAI layer does.
 */
const PARAMS: Record<string, 'map' | 'advisory' | 'extension'> = {
  model: 'map', messages: 'map', stream: 'map', stream_options: 'map', temperature: 'map', top_p: 'map',
  max_tokens: 'map', max_completion_tokens: 'map', stop: 'map', seed: 'map', presence_penalty: 'map',
  frequency_penalty: 'map', response_format: 'map', tools: 'map', tool_choice: 'map', parallel_tool_calls: 'map',
  reasoning_effort: 'map', logprobs: 'map', top_logprobs: 'map', n: 'map', logit_bias: 'map', modalities: 'map',
  service_tier: 'map',
  user: 'advisory', metadata: 'advisory', store: 'advisory', safety_identifier: 'advisory', prompt_cache_key: 'advisory',
  top_k: 'extension', min_p: 'extension', repeat_penalty: 'extension', num_ctx: 'extension', keep_alive: 'extension',
  think: 'extension',
};

/** `reasoning_effort` → `think`. Ollama's levels are low/medium/high; the OpenAI ends map to the nearest. */
const THINK: Record<string, OllamaThink> = { none: false, minimal: 'low', low: 'low', medium: 'medium', high: 'high', xhigh: 'high' };

/** A chat request → an Ollama `/api/chat` body. Throws a coded error for what Ollama cannot do. */
export function toOllamaChatRequest(body: ChatRequest, ctx: TranslateContext): OllamaChatRequest {
  for (const [key, value] of requestFields(body)) {
    if (PARAMS[key] === undefined && given(value)) {
      throw unsupported(ctx, key, `parameter "${key}" is not supported`);
    }
  }
  if (!Array.isArray(body.messages)) throw badRequest('messages', '"messages" must be an array');
  checkSingleChoice(body, ctx);

  const req: OllamaChatRequest = { model: ctx.model, messages: toOllamaMessages(body.messages, ctx), stream: ctx.stream };
  const tools = toOllamaTools(body, ctx);
  if (tools) req.tools = tools;
  const format = toOllamaFormat(body.response_format, ctx);
  if (format !== undefined) req.format = format;
  const think = toOllamaThink(body, ctx);
  if (think !== undefined) req.think = think;
  const options = toOllamaOptions(body);
  if (options) req.options = options;
  if (given(body.keep_alive)) req.keep_alive = body.keep_alive as string | number;
  if (body.logprobs === true) req.logprobs = true;
  if (given(body.top_logprobs)) req.top_logprobs = body.top_logprobs as number;
  return req;
}

/** Parameters Ollama has no counterpart for, unless they hold their default. */
function checkSingleChoice(body: ChatRequest, ctx: TranslateContext): void {
  if (given(body.n) && body.n !== 1) throw unsupported(ctx, 'n', '"n" above 1: Ollama returns one choice per request');
  if (isObject(body.logit_bias) && Object.keys(body.logit_bias).length > 0) {
    throw unsupported(ctx, 'logit_bias', '"logit_bias": Ollama has no token biasing');
  }
  if (Array.isArray(body.modalities) && body.modalities.some((m) => m !== 'text')) {
    throw unsupported(ctx, 'modalities', '"modalities": Ollama answers with text only');
  }
  if (given(body.service_tier) && body.service_tier !== 'auto' && body.service_tier !== 'default') {
    throw unsupported(ctx, 'service_tier', `"service_tier": "${String(body.service_tier)}" is an OpenAI processing tier`);
  }
}

function toOllamaOptions(body: ChatRequest): JsonObject | null {
  const o: JsonObject = {};
  if (given(body.temperature)) o.temperature = body.temperature;
  if (given(body.top_p)) o.top_p = body.top_p;
  const max = given(body.max_completion_tokens) ? body.max_completion_tokens : body.max_tokens;
  if (given(max)) o.num_predict = max;
  if (typeof body.stop === 'string') o.stop = [body.stop];
  else if (Array.isArray(body.stop)) o.stop = body.stop;
  else if (given(body.stop)) throw badRequest('stop', '"stop" must be a string or an array of strings');
  if (given(body.seed)) o.seed = body.seed;
  if (given(body.presence_penalty)) o.presence_penalty = body.presence_penalty;
  if (given(body.frequency_penalty)) o.frequency_penalty = body.frequency_penalty;
  for (const key of ['top_k', 'min_p', 'repeat_penalty', 'num_ctx'] as const) {
    if (given(body[key])) o[key] = body[key];
  }
  return Object.keys(o).length > 0 ? o : null;
}

function toOllamaTools(body: ChatRequest, ctx: TranslateContext): OllamaTool[] | null {
  if (given(body.parallel_tool_calls) && body.parallel_tool_calls !== true) {
    throw unsupported(ctx, 'parallel_tool_calls', '"parallel_tool_calls": false cannot be enforced: Ollama may return several tool calls');
  }
  const choice = body.tool_choice;
  if (given(choice) && choice !== 'auto' && choice !== 'none') {
    throw unsupported(ctx, 'tool_choice', '"tool_choice" other than "auto" or "none": Ollama cannot force a tool call');
  }
  if (!given(body.tools)) return null;
  if (!Array.isArray(body.tools)) throw badRequest('tools', '"tools" must be an array');
  const tools = body.tools.map((t: unknown, i: number): OllamaTool => {
    const at = `tools[${i}]`;
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function) || typeof t.function.name !== 'string') {
      if (isObject(t) && t.type !== 'function') throw unsupported(ctx, `${at}.type`, `${at}: only function tools can be sent to Ollama`);
      throw badRequest(at, `${at} must be a function tool with a name`);
    }
    const f = t.function;
    if (f.strict === true) {
      throw unsupported(ctx, `${at}.function.strict`, `${at}.function.strict: Ollama does not constrain tool arguments to the schema`);
    }
    const tool: OllamaTool = { type: 'function', function: { name: f.name as string, parameters: isObject(f.parameters) ? f.parameters : { type: 'object', properties: {} } } };
    if (typeof f.description === 'string') tool.function.description = f.description;
    return tool;
  });
  // "none" means no call may be made: the model is simply not offered any tool.
  if (choice === 'none' || tools.length === 0) return null;
  return tools;
}

function toOllamaFormat(rf: unknown, ctx: TranslateContext): 'json' | JsonObject | undefined {
  if (!given(rf)) return undefined;
  if (!isObject(rf)) throw badRequest('response_format', '"response_format" must be an object');
  switch (rf.type) {
    case 'text': return undefined;
    case 'json_object': return 'json';
    case 'json_schema': {
      const schema = isObject(rf.json_schema) ? rf.json_schema.schema : undefined;
      if (!isObject(schema)) throw badRequest('response_format.json_schema.schema', '"response_format.json_schema.schema" must be a JSON schema object');
      return schema;
    }
    default:
      throw unsupported(ctx, 'response_format.type', `"response_format.type" "${String(rf.type)}" cannot be sent to Ollama`);
  }
}

function toOllamaThink(body: ChatRequest, ctx: TranslateContext): OllamaThink | undefined {
  const effort = body.reasoning_effort;
  if (given(effort) && given(body.think)) throw badRequest('think', 'give either "reasoning_effort" or "think", not both');
  if (given(body.think)) {
    const t = body.think;
    if (typeof t === 'boolean' || t === 'low' || t === 'medium' || t === 'high') return t;
    throw badRequest('think', '"think" must be a boolean or "low", "medium", "high"');
  }
  if (!given(effort)) return undefined;
  const think = typeof effort === 'string' ? THINK[effort] : undefined;
  if (think === undefined) throw unsupported(ctx, 'reasoning_effort', `"reasoning_effort" "${String(effort)}" has no Ollama "think" level`);
  return think;
}
