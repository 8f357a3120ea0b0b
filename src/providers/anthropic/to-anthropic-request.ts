import { requestFields, type ChatRequest, type ToolDefinition } from '../../model/index.js';
import { planReasoning, DEFAULT_MAX_TOKENS } from './map-reasoning-effort.js';
import { parseCacheControl, toAnthropicMessages } from './to-anthropic-messages.js';
import { badRequest, isRecord, isUnset, unsupported } from './translate-errors.js';
import type { AnthropicOutputConfig, AnthropicRequest, AnthropicThinkingConfig, AnthropicTool, AnthropicToolChoice } from './wire-types.js';

/**
 * OpenAI parameters with no Anthropic equivalent. Each is accepted only when it asks for nothing
 * (absent, null, false, 0, empty) and rejected otherwise, never dropped.
 */
const INEXPRESSIBLE: Record<string, string> = {
  n: 'Anthropic returns one choice per request',
  logprobs: 'Anthropic does not return log probabilities',
  top_logprobs: 'Anthropic does not return log probabilities',
  presence_penalty: 'Anthropic has no presence penalty',
  frequency_penalty: 'Anthropic has no frequency penalty',
  logit_bias: 'Anthropic has no logit bias',
  seed: 'Anthropic has no sampling seed',
  store: 'Anthropic does not store completions',
  metadata: 'Anthropic metadata only holds a user id (send "user")',
  audio: 'Anthropic does not produce audio',
  prediction: 'Anthropic has no predicted outputs',
  web_search_options: 'web search is not mapped to Anthropic server tools',
  verbosity: 'Anthropic has no verbosity setting',
  prompt_cache_key: 'Anthropic caches by cache_control breakpoints, not by key',
  prompt_cache_retention: 'Anthropic caches by cache_control breakpoints (ttl), not by retention policy',
  prompt_cache_options: 'Anthropic caches by cache_control breakpoints',
  moderation: 'Anthropic has no moderation option',
  functions: 'the deprecated "functions" is not supported; use tools',
  function_call: 'the deprecated "function_call" is not supported; use tool_choice',
};

/** Parameters translated below (plus `thinking`, `output_config`, `top_k` and `cache_control`, Anthropic-native extensions). */
const TRANSLATED = new Set(['model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature',
  'top_p', 'top_k', 'stop', 'tools', 'tool_choice', 'parallel_tool_calls', 'response_format', 'reasoning_effort', 'user',
  'safety_identifier', 'service_tier', 'modalities', 'thinking', 'output_config', 'cache_control']);

/**
 * An OpenAI chat-completions body → an Anthropic Messages request for `model`. Everything is mapped
 * or rejected with LR_ERR_UNSUPPORTED_PARAM. Besides OpenAI's parameters it takes a few
 * Anthropic-native extensions, sent as they are: `top_k`, `thinking` (instead of
 * `reasoning_effort`, for an exact budget), `output_config`, a top-level `cache_control`, and
 * `cache_control` on content parts, tools and messages.
 */
export function toAnthropicRequest(body: ChatRequest, model: string, stream: boolean): AnthropicRequest {
  for (const [key, value] of requestFields(body)) {
    if (TRANSLATED.has(key)) continue;
    const why = INEXPRESSIBLE[key];
    if (why !== undefined) {
      if (key === 'n' && value === 1) continue;
      if (!isUnset(value)) throw unsupported(key, why);
      continue;
    }
    if (value !== undefined && value !== null) throw unsupported(key, `"${key}" cannot be sent to Anthropic`);
  }
  if (!Array.isArray(body.messages)) throw badRequest('messages', '"messages" must be an array');
  const { system, messages } = toAnthropicMessages(body.messages);

  const clientMax = maxTokens(body);
  const out: AnthropicRequest = { model, max_tokens: clientMax ?? DEFAULT_MAX_TOKENS, messages };
  if (system.length > 0) out.system = system;
  if (stream) out.stream = true;

  sampling(body, out);
  const stop = stopSequences(body.stop);
  if (stop) out.stop_sequences = stop;
  tools(body, out);
  const outputConfig = reasoning(body, model, clientMax, out);
  const format = responseFormat(body.response_format);
  if (format) outputConfig.format = format;
  if (Object.keys(outputConfig).length > 0) out.output_config = outputConfig;

  const userId = body.safety_identifier ?? body.user;
  if (typeof userId === 'string' && userId.length > 0) out.metadata = { user_id: userId };
  serviceTier(body.service_tier, out);
  if (!isUnset(body.modalities) && !(Array.isArray(body.modalities) && body.modalities.every((m) => m === 'text'))) {
    throw unsupported('modalities', 'Anthropic only produces text');
  }
  if (body.cache_control !== undefined && body.cache_control !== null) out.cache_control = parseCacheControl(body.cache_control, 'cache_control');
  return out;
}

function maxTokens(body: ChatRequest): number | null {
  const v = body.max_completion_tokens ?? body.max_tokens;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw badRequest(body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens', 'the token limit must be a positive integer');
  }
  return v;
}

function sampling(body: ChatRequest, out: AnthropicRequest): void {
  const { temperature, top_p: topP, top_k: topK } = body;
  if (temperature !== undefined && temperature !== null) {
    if (typeof temperature !== 'number' || temperature < 0) throw badRequest('temperature', '"temperature" must be a number >= 0');
    // OpenAI's scale runs to 2, Anthropic's to 1; the same number means different things above 1.
    if (temperature > 1) throw unsupported('temperature', 'Anthropic temperatures range from 0 to 1');
    out.temperature = temperature;
  }
  if (topP !== undefined && topP !== null) {
    if (typeof topP !== 'number' || topP < 0 || topP > 1) throw badRequest('top_p', '"top_p" must be a number from 0 to 1');
    out.top_p = topP;
  }
  if (topK !== undefined && topK !== null) {
    if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0) throw badRequest('top_k', '"top_k" must be a non-negative integer');
    out.top_k = topK;
  }
}

function stopSequences(stop: unknown): string[] | null {
  if (stop === undefined || stop === null) return null;
  if (typeof stop === 'string') return [stop];
  if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) return stop.length > 0 ? stop as string[] : null;
  throw badRequest('stop', '"stop" must be a string or an array of strings');
}

function tools(body: ChatRequest, out: AnthropicRequest): void {
  const list = body.tools;
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) throw badRequest('tools', '"tools" must be an array');
    if (list.length > 0) out.tools = list.map((t, i) => toAnthropicTool(t as ToolDefinition, `tools[${i}]`));
  }
  const parallel = body.parallel_tool_calls;
  if (parallel !== undefined && parallel !== null && typeof parallel !== 'boolean') throw badRequest('parallel_tool_calls', '"parallel_tool_calls" must be a boolean');
  const choice = toolChoice(body.tool_choice, out.tools);
  const single = parallel === false;
  if (choice) {
    out.tool_choice = single && choice.type !== 'none' ? { ...choice, disable_parallel_tool_use: true } : choice;
  } else if (single && out.tools) {
    out.tool_choice = { type: 'auto', disable_parallel_tool_use: true };
  }
}

function toAnthropicTool(t: ToolDefinition, at: string): AnthropicTool {
  if (!isRecord(t) || t.type !== 'function' || !isRecord(t.function)) {
    throw unsupported(at, `only function tools can be sent to Anthropic, not "${isRecord(t) ? String(t.type) : typeof t}"`);
  }
  const fn = t.function;
  if (typeof fn.name !== 'string' || fn.name.length === 0) throw badRequest(`${at}.function.name`, `${at}.function.name is required`);
  const params = fn.parameters ?? { type: 'object', properties: {} };
  if (!isRecord(params)) throw badRequest(`${at}.function.parameters`, `${at}.function.parameters must be a JSON schema object`);
  if (params.type !== undefined && params.type !== 'object') {
    throw unsupported(`${at}.function.parameters`, 'Anthropic tool input schemas must be of type "object"');
  }
  const tool: AnthropicTool = { name: fn.name, input_schema: params.type === undefined ? { type: 'object', ...params } : params };
  if (typeof fn.description === 'string' && fn.description.length > 0) tool.description = fn.description;
  if (fn.strict === true) tool.strict = true;
  if (t.cache_control !== undefined && t.cache_control !== null) tool.cache_control = parseCacheControl(t.cache_control, `${at}.cache_control`);
  return tool;
}

function toolChoice(choice: unknown, tools: AnthropicTool[] | undefined): AnthropicToolChoice | null {
  if (choice === undefined || choice === null) return null;
  if (choice === 'auto') return tools ? { type: 'auto' } : null;
  // Without tools there is nothing to refrain from.
  if (choice === 'none') return tools ? { type: 'none' } : null;
  if (choice === 'required') {
    if (!tools) throw badRequest('tool_choice', '"tool_choice": "required" needs tools');
    return { type: 'any' };
  }
  if (isRecord(choice) && choice.type === 'function' && isRecord(choice.function) && typeof choice.function.name === 'string') {
    const name = choice.function.name;
    if (!tools?.some((t) => t.name === name)) throw badRequest('tool_choice', `"tool_choice" names "${name}", which is not in tools`);
    return { type: 'tool', name };
  }
  if (isRecord(choice) && choice.type === 'allowed_tools') throw unsupported('tool_choice', 'Anthropic has no allowed_tools choice');
  throw badRequest('tool_choice', '"tool_choice" must be "auto", "none", "required" or {"type":"function","function":{"name"}}');
}

/** Sets `thinking` and the token limit; returns the `output_config` to complete. */
function reasoning(body: ChatRequest, model: string, clientMax: number | null, out: AnthropicRequest): AnthropicOutputConfig {
  const native = body.output_config;
  if (native !== undefined && native !== null && !isRecord(native)) throw badRequest('output_config', '"output_config" must be an object');
  const config: AnthropicOutputConfig = native ? { ...native as AnthropicOutputConfig } : {};
  if (body.thinking !== undefined && body.thinking !== null) {
    if (body.reasoning_effort !== undefined && body.reasoning_effort !== null) {
      throw badRequest('thinking', 'send either "reasoning_effort" or "thinking", not both');
    }
    const thinking = body.thinking;
    if (!isRecord(thinking) || typeof thinking.type !== 'string') throw badRequest('thinking', '"thinking" must be an Anthropic thinking config');
    out.thinking = thinking as unknown as AnthropicThinkingConfig;
    if (clientMax === null && thinking.type === 'enabled' && 'budget_tokens' in thinking && typeof thinking.budget_tokens === 'number') {
      out.max_tokens = thinking.budget_tokens + DEFAULT_MAX_TOKENS;
    }
    return config;
  }
  const plan = planReasoning(body.reasoning_effort, model, clientMax);
  out.max_tokens = plan.maxTokens;
  if (plan.thinking) out.thinking = plan.thinking;
  if (plan.effort) {
    if (config.effort !== undefined && config.effort !== plan.effort) throw badRequest('output_config', '"output_config.effort" contradicts "reasoning_effort"');
    config.effort = plan.effort;
  }
  return config;
}

/** `json_schema` → `output_config.format` (structured outputs: the answer text is constrained to the schema). */
function responseFormat(format: unknown): AnthropicOutputConfig['format'] | null {
  if (format === undefined || format === null) return null;
  if (!isRecord(format)) throw badRequest('response_format', '"response_format" must be an object');
  if (format.type === 'text') return null;
  if (format.type === 'json_object') {
    throw unsupported('response_format', 'Anthropic has no schema-less JSON mode; send response_format {"type":"json_schema"} with a schema');
  }
  if (format.type !== 'json_schema') throw badRequest('response_format', `unknown response_format type "${String(format.type)}"`);
  const spec = format.json_schema;
  if (!isRecord(spec) || !isRecord(spec.schema)) throw badRequest('response_format.json_schema.schema', 'response_format.json_schema.schema must be a JSON schema object');
  // `name` only labels the schema; `description` would be guidance Anthropic's format cannot carry.
  if (typeof spec.description === 'string' && spec.description.length > 0) {
    throw unsupported('response_format.json_schema.description', 'Anthropic output formats carry no description; put it in the prompt');
  }
  return { type: 'json_schema', schema: spec.schema };
}

function serviceTier(tier: unknown, out: AnthropicRequest): void {
  if (tier === undefined || tier === null) return;
  if (tier === 'auto') out.service_tier = 'auto';
  else if (tier === 'default') out.service_tier = 'standard_only';
  else throw unsupported('service_tier', `Anthropic offers "auto" and standard capacity, not "${String(tier)}"`);
}
