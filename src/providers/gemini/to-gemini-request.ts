import { requestFields, type ChatRequest, type JsonObject } from '../../model/index.js';
import { isGemini3OrLater } from './api.js';
import type { GeminiGenerationConfig, GeminiRequest } from './gemini-types.js';
import { badRequest, given, isObject, unsupported } from './request-errors.js';
import { toGeminiContents } from './to-gemini-contents.js';
import { toGeminiSchema } from './to-gemini-schema.js';
import { toGeminiThinking } from './to-gemini-thinking.js';
import { toGeminiTools } from './to-gemini-tools.js';

/** Parameters this translation maps (each below). Any other parameter is rejected. */
const MAPPED = new Set([
  'model', 'messages', 'stream', 'stream_options', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'top_k',
  'n', 'stop', 'presence_penalty', 'frequency_penalty', 'seed', 'response_format', 'tools', 'tool_choice',
  'parallel_tool_calls', 'reasoning_effort', 'reasoning', 'modalities', 'logprobs', 'logit_bias', 'service_tier', 'extra_body',
]);

/** No effect on what is generated: end-user ids and OpenAI-side storage and caching hints. */
const NO_EFFECT = new Set(['user', 'safety_identifier', 'prompt_cache_key', 'metadata', 'store']);

const GOOGLE_EXTRAS = new Set(['thinking_config', 'safety_settings', 'cached_content']);

/**
 * A chat request → a Gemini `generateContent` body (the same body streams).
 * `model` is the upstream model id (it picks thinking levels vs budgets and signature handling).
 */
export function toGeminiRequest(body: ChatRequest, model: string): GeminiRequest {
  for (const [key, value] of requestFields(body)) {
    if (!MAPPED.has(key) && !NO_EFFECT.has(key) && given(value)) {
      throw unsupported(key, `parameter "${key}" is not supported`);
    }
  }
  if (!Array.isArray(body.messages)) throw badRequest('messages', '"messages" must be an array');
  const google = googleExtras(body.extra_body);
  const conversation = toGeminiContents(body.messages, isGemini3OrLater(model));
  const req: GeminiRequest = { contents: conversation.contents };
  if (conversation.systemInstruction) req.systemInstruction = conversation.systemInstruction;
  const { tools, toolConfig } = toGeminiTools(body);
  if (tools) req.tools = tools;
  if (toolConfig) req.toolConfig = toolConfig;

  const gc: GeminiGenerationConfig = {};
  setSampling(body, gc);
  setResponseFormat(body.response_format, gc);
  const thinking = toGeminiThinking(body, google, model);
  if (thinking) gc.thinkingConfig = thinking;
  if (conversation.mediaResolution) gc.mediaResolution = conversation.mediaResolution;
  if (Object.keys(gc).length > 0) req.generationConfig = gc;

  if (google && given(google.safety_settings)) {
    if (!Array.isArray(google.safety_settings)) throw badRequest('extra_body.google.safety_settings', '"safety_settings" must be an array');
    req.safetySettings = google.safety_settings;
  }
  if (google && given(google.cached_content)) {
    if (typeof google.cached_content !== 'string') throw badRequest('extra_body.google.cached_content', '"cached_content" must be a string');
    req.cachedContent = google.cached_content;
  }
  return req;
}

function setSampling(body: ChatRequest, gc: GeminiGenerationConfig): void {
  const maxTokens = given(body.max_completion_tokens) ? body.max_completion_tokens : body.max_tokens;
  if (given(maxTokens)) gc.maxOutputTokens = integer(maxTokens, given(body.max_completion_tokens) ? 'max_completion_tokens' : 'max_tokens', 1);
  if (given(body.temperature)) gc.temperature = number(body.temperature, 'temperature', 0, 2);
  if (given(body.top_p)) gc.topP = number(body.top_p, 'top_p', 0, 1);
  if (given(body.top_k)) gc.topK = integer(body.top_k, 'top_k', 1);
  if (given(body.presence_penalty)) gc.presencePenalty = number(body.presence_penalty, 'presence_penalty', -2, 2);
  if (given(body.frequency_penalty)) gc.frequencyPenalty = number(body.frequency_penalty, 'frequency_penalty', -2, 2);
  if (given(body.seed)) gc.seed = integer(body.seed, 'seed', -(2 ** 31));
  if (given(body.n)) {
    const n = integer(body.n, 'n', 1);
    if (n > 8) throw unsupported('n', 'Gemini returns at most 8 candidates ("n" ≤ 8)');
    if (n > 1) gc.candidateCount = n;
  }
  if (given(body.stop)) {
    const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
    if (!Array.isArray(stop) || stop.some((s) => typeof s !== 'string')) throw badRequest('stop', '"stop" must be a string or an array of strings');
    if (stop.length > 5) throw unsupported('stop', 'Gemini accepts at most 5 stop sequences');
    if (stop.length > 0) gc.stopSequences = stop as string[];
  }
  if (given(body.modalities) && (!Array.isArray(body.modalities) || body.modalities.some((m) => m !== 'text'))) {
    throw unsupported('modalities', 'only text output is supported');
  }
  if (body.logprobs === true) throw unsupported('logprobs', 'log probabilities are not translated from Gemini');
  if (isObject(body.logit_bias) && Object.keys(body.logit_bias).length > 0) throw unsupported('logit_bias', 'Gemini has no logit bias');
  if (given(body.service_tier) && body.service_tier !== 'auto' && body.service_tier !== 'default') {
    throw unsupported('service_tier', `service tier "${String(body.service_tier)}" has no Gemini equivalent`);
  }
}

/** `json_object` → JSON mode; `json_schema` → JSON mode with `responseJsonSchema` (the JSON Schema field). */
function setResponseFormat(rf: unknown, gc: GeminiGenerationConfig): void {
  if (!given(rf)) return;
  if (!isObject(rf)) throw badRequest('response_format', '"response_format" must be an object');
  if (rf.type === 'text') return;
  if (rf.type === 'json_object') {
    gc.responseMimeType = 'application/json';
    return;
  }
  if (rf.type !== 'json_schema') throw unsupported('response_format.type', `response format "${String(rf.type)}" is not supported`);
  const js = rf.json_schema;
  if (!isObject(js) || !given(js.schema)) throw badRequest('response_format.json_schema.schema', '"response_format.json_schema.schema" is required');
  const schema = toGeminiSchema(js.schema, { strict: js.strict === true, param: 'response_format.json_schema.schema' });
  // The format's description tells the model what the output is for; Gemini's place for it is the schema.
  if (typeof js.description === 'string' && js.description.length > 0 && !given(schema.description)) schema.description = js.description;
  gc.responseMimeType = 'application/json';
  gc.responseJsonSchema = schema;
}

/** `extra_body.google`: Gemini-only settings, as Google's own OpenAI-compatible endpoint takes them. */
function googleExtras(extra: unknown): JsonObject | null {
  if (!given(extra)) return null;
  if (!isObject(extra)) throw badRequest('extra_body', '"extra_body" must be an object');
  for (const key of Object.keys(extra)) if (key !== 'google') throw unsupported(`extra_body.${key}`, `"extra_body.${key}" is not supported`);
  if (!given(extra.google)) return null;
  if (!isObject(extra.google)) throw badRequest('extra_body.google', '"extra_body.google" must be an object');
  for (const key of Object.keys(extra.google)) {
    if (!GOOGLE_EXTRAS.has(key)) throw unsupported(`extra_body.google.${key}`, `"extra_body.google.${key}" is not supported`);
  }
  return extra.google;
}

function number(v: unknown, param: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw badRequest(param, `"${param}" must be a number from ${min} to ${max}`);
  return v;
}

function integer(v: unknown, param: string, min: number): number {
  if (!Number.isInteger(v) || (v as number) < min) throw badRequest(param, `"${param}" must be an integer ≥ ${min}`);
  return v as number;
}
