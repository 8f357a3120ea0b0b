import type { ChatRequest, ResponseFormat } from '../../model/index.js';
import { badParam, isRecord, isUnset, unsupportedParam } from './request-errors.js';
import { toChatMessages } from './responses-input.js';
import { toChatToolChoice, toChatTools, type ResponsesFunctionTool } from './responses-tools.js';

/**
 * The request settings a Response object reports back (`instructions`, `tools`, `temperature`...).
 * The chat answer cannot tell them, so the ingress carries them to the dialect (see
 * `ResponsesTranslateContext`); without them the dialect reports the API defaults.
 */
export interface ResponsesEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  reasoning: { effort: string | null; summary: string | null };
  temperature: number | null;
  text: { format: Record<string, unknown>; verbosity?: string };
  tool_choice: unknown;
  tools: ResponsesFunctionTool[];
  top_p: number | null;
  user: string | null;
  service_tier?: string;
  prompt_cache_key?: string;
  safety_identifier?: string;
}

/** The API's defaults, reported when a setting was not in the request. A fresh object each call. */
export function defaultResponsesEcho(): ResponsesEcho {
  return {
    instructions: null, max_output_tokens: null, metadata: {}, parallel_tool_calls: true,
    reasoning: { effort: null, summary: null }, temperature: null, text: { format: { type: 'text' } },
    tool_choice: 'auto', tools: [], top_p: null, user: null,
  };
}

export interface ResponsesConversion {
  /** The chat request to route (its `model` is still the client's, for the ingress to resolve). */
  chat: ChatRequest;
  /** What the Response object reports back about the request. */
  echo: ResponsesEcho;
}

const EFFORTS = new Set(['none', 'minimal', 'low', 'medium', 'high', 'xhigh']);
const VERBOSITIES = new Set(['low', 'medium', 'high']);

/** Chat has the same field, with the same meaning: copied as is when set. */
const SAME_IN_CHAT = ['prompt_cache_key', 'prompt_cache_retention', 'prompt_cache_options', 'safety_identifier', 'service_tier', 'moderation', 'user'] as const;

/** Every top-level field the conversion knows (see `fromResponsesRequest`'s doc); others are rejected. */
const ACCEPTED = ['model', 'input', 'instructions', 'tools', 'tool_choice', 'parallel_tool_calls', 'max_output_tokens', 'temperature',
  'top_p', 'text', 'reasoning', 'stream', 'stream_options', 'metadata', 'store', 'include', 'truncation', 'background', 'top_logprobs',
  'previous_response_id', 'conversation', 'prompt', 'context_management', 'max_tool_calls', ...SAME_IN_CHAT] as const;
const KNOWN = new Set<string>(ACCEPTED);

/** These need state kept between requests; a set value is rejected. */
const STATEFUL: Record<string, string> = {
  previous_response_id: 'LocalRouter keeps no responses: send the whole conversation in "input" instead of previous_response_id',
  conversation: 'LocalRouter keeps no conversations: send the whole conversation in "input"',
  prompt: 'stored prompt templates are not available through LocalRouter: send the prompt in "instructions" and "input"',
  context_management: 'server-side context management is not available through LocalRouter',
};

/**
 * A Responses API request (`POST /v1/responses`, the non-stateful part) → an OpenAI chat request.
 * Throws LocalRouterError LR_ERR_BAD_REQUEST for malformed fields and LR_ERR_UNSUPPORTED_PARAM for
 * what chat completions cannot express, with `param` naming the field. Decisions:
 * - `instructions` becomes the first (system) message; `max_output_tokens` → `max_completion_tokens`;
 *   `text.format` → `response_format`; `text.verbosity` → `verbosity`; `reasoning.effort` →
 *   `reasoning_effort`. `reasoning.summary` is accepted but no summary is written: reasoning text the
 *   upstream returns comes back as a `reasoning` item's `reasoning_text` content.
 * - Stateless gateway: `previous_response_id`, `conversation`, `prompt`, `context_management` and
 *   `background: true` are rejected. `store` is accepted whatever its value (the API defaults it to
 *   true, and SDKs send it), but nothing is stored: the Response object always says `store: false`.
 * - `metadata` is only echoed in the Response object (it labels a stored object; nothing is stored).
 * - Without tools, `tool_choice` auto/none and `parallel_tool_calls` have no effect and are left out
 *   of the chat request (chat APIs reject them without tools); they are still echoed.
 * - `include` values name extra output (encrypted reasoning, built-in tool results) that is never
 *   produced here, so they are accepted, except `message.output_text.logprobs`, which is rejected;
 *   so is a `top_logprobs` above 0, `max_tool_calls`, and `truncation: "auto"`.
 * - `stream_options.include_obfuscation` is accepted; no obfuscation padding is ever added.
 * - Unknown top-level fields are rejected, never dropped.
 */
export function fromResponsesRequest(body: unknown): ResponsesConversion {
  if (!isRecord(body)) throw badParam('request body must be a JSON object', 'body');
  for (const key of Object.keys(body)) {
    if (!KNOWN.has(key)) throw unsupportedParam(`unsupported parameter: "${key}"`, key);
  }
  for (const [key, why] of Object.entries(STATEFUL)) {
    if (!isUnset(body[key])) throw unsupportedParam(why, key);
  }
  if (!isUnset(body.background) && body.background !== false) {
    throw unsupportedParam('background responses need stored state; LocalRouter answers in the request (use stream for long answers)', 'background');
  }
  if (!isUnset(body.max_tool_calls)) throw unsupportedParam('max_tool_calls cannot be expressed in chat completions', 'max_tool_calls');
  if (!isUnset(body.top_logprobs) && body.top_logprobs !== 0) throw unsupportedParam('logprobs are not supported on /v1/responses', 'top_logprobs');
  if (!isUnset(body.truncation) && body.truncation !== 'disabled') {
    throw unsupportedParam('truncation "auto" (dropping earlier input to fit the context) is not supported', 'truncation');
  }
  checkInclude(body.include);
  checkFlag(body.store, 'store');
  if (!isUnset(body.stream_options) && !isRecord(body.stream_options)) throw badParam('"stream_options" must be an object', 'stream_options');

  if (typeof body.model !== 'string' || body.model.length === 0) throw badParam('missing required parameter: "model"', 'model');
  if (body.input === undefined) throw badParam('missing required parameter: "input"', 'input');
  const instructions = optional(body.instructions, 'string', 'instructions') as string | null;
  const messages = toChatMessages(body.input, instructions);
  if (messages.length === 0) throw badParam('"input" must contain at least one item', 'input');

  const chat: ChatRequest = { model: body.model, messages };
  const echo: ResponsesEcho = { ...defaultResponsesEcho(), instructions, metadata: metadataOf(body.metadata) };

  if (!isUnset(body.tools)) {
    const tools = toChatTools(body.tools);
    if (tools.chat.length > 0) chat.tools = tools.chat;
    echo.tools = tools.echo;
  }
  // Without tools, `auto`/`none` and parallel_tool_calls mean nothing, and chat APIs reject them there.
  const hasTools = chat.tools !== undefined;
  if (!isUnset(body.tool_choice)) {
    const choice = toChatToolChoice(body.tool_choice);
    if (hasTools || (choice !== 'auto' && choice !== 'none')) chat.tool_choice = choice;
    echo.tool_choice = body.tool_choice;
  }
  const parallel = optional(body.parallel_tool_calls, 'boolean', 'parallel_tool_calls');
  if (parallel !== null) {
    echo.parallel_tool_calls = parallel as boolean;
    if (hasTools) chat.parallel_tool_calls = parallel as boolean;
  }
  const maxTokens = body.max_output_tokens;
  if (!isUnset(maxTokens)) {
    if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
      throw badParam('"max_output_tokens" must be a positive integer', 'max_output_tokens');
    }
    chat.max_completion_tokens = echo.max_output_tokens = maxTokens;
  }
  const temperature = optional(body.temperature, 'number', 'temperature');
  if (temperature !== null) chat.temperature = echo.temperature = temperature as number;
  const topP = optional(body.top_p, 'number', 'top_p');
  if (topP !== null) chat.top_p = echo.top_p = topP as number;
  applyText(body.text, chat, echo);
  applyReasoning(body.reasoning, chat, echo);
  // Same name and meaning in chat: copied as given, for the adapter to check.
  for (const key of SAME_IN_CHAT) {
    if (!isUnset(body[key])) Object.assign(chat, { [key]: body[key] });
  }
  if (typeof body.user === 'string') echo.user = body.user;
  for (const key of ['service_tier', 'prompt_cache_key', 'safety_identifier'] as const) {
    if (typeof body[key] === 'string') echo[key] = body[key];
  }
  const stream = optional(body.stream, 'boolean', 'stream');
  if (stream === true) {
    chat.stream = true;
    // The completed event carries usage, so the upstream must always report it.
    chat.stream_options = { include_usage: true };
  }
  return { chat, echo };
}

function optional(v: unknown, type: 'string' | 'number' | 'boolean', param: string): string | number | boolean | null {
  if (isUnset(v)) return null;
  if (typeof v !== type || (type === 'number' && !Number.isFinite(v))) throw badParam(`"${param}" must be a ${type}`, param);
  return v as string | number | boolean;
}

function checkFlag(v: unknown, param: string): void {
  if (!isUnset(v) && typeof v !== 'boolean') throw badParam(`"${param}" must be a boolean`, param);
}

function checkInclude(include: unknown): void {
  if (isUnset(include)) return;
  if (!Array.isArray(include) || include.some((v) => typeof v !== 'string')) throw badParam('"include" must be an array of strings', 'include');
  const i = include.indexOf('message.output_text.logprobs');
  if (i !== -1) throw unsupportedParam('logprobs are not supported on /v1/responses', `include[${i}]`);
}

function metadataOf(v: unknown): Record<string, string> {
  if (isUnset(v)) return {};
  if (!isRecord(v) || Object.values(v).some((x) => typeof x !== 'string')) {
    throw badParam('"metadata" must be an object of string values', 'metadata');
  }
  return v as Record<string, string>;
}

function applyText(text: unknown, chat: ChatRequest, echo: ResponsesEcho): void {
  if (isUnset(text)) return;
  if (!isRecord(text)) throw badParam('"text" must be an object', 'text');
  for (const key of Object.keys(text)) {
    if (key !== 'format' && key !== 'verbosity') throw unsupportedParam(`unsupported parameter: "text.${key}"`, `text.${key}`);
  }
  echo.text = { format: { type: 'text' } };
  if (!isUnset(text.verbosity)) {
    if (typeof text.verbosity !== 'string' || !VERBOSITIES.has(text.verbosity)) throw badParam('"text.verbosity" must be low, medium or high', 'text.verbosity');
    chat.verbosity = echo.text.verbosity = text.verbosity;
  }
  const format = text.format;
  if (isUnset(format)) return;
  if (!isRecord(format)) throw badParam('"text.format" must be an object', 'text.format');
  if (format.type === 'text') return;
  if (format.type === 'json_object') {
    chat.response_format = { type: 'json_object' };
    echo.text.format = { type: 'json_object' };
    return;
  }
  if (format.type !== 'json_schema') throw badParam('"text.format.type" must be text, json_object or json_schema', 'text.format.type');
  if (typeof format.name !== 'string' || format.name.length === 0) throw badParam('"text.format.name" must be a non-empty string', 'text.format.name');
  if (!isRecord(format.schema)) throw badParam('"text.format.schema" must be a JSON schema object', 'text.format.schema');
  const schema: Extract<ResponseFormat, { type: 'json_schema' }>['json_schema'] = { name: format.name, schema: format.schema };
  if (typeof format.description === 'string') schema.description = format.description;
  if (typeof format.strict === 'boolean') schema.strict = format.strict;
  chat.response_format = { type: 'json_schema', json_schema: schema };
  echo.text.format = { type: 'json_schema', ...schema, strict: format.strict ?? false };
}

function applyReasoning(reasoning: unknown, chat: ChatRequest, echo: ResponsesEcho): void {
  if (isUnset(reasoning)) return;
  if (!isRecord(reasoning)) throw badParam('"reasoning" must be an object', 'reasoning');
  for (const key of Object.keys(reasoning)) {
    if (!['effort', 'summary', 'generate_summary', 'context', 'mode'].includes(key)) {
      throw unsupportedParam(`unsupported parameter: "reasoning.${key}"`, `reasoning.${key}`);
    }
  }
  if (!isUnset(reasoning.effort)) {
    if (typeof reasoning.effort !== 'string' || !EFFORTS.has(reasoning.effort)) {
      throw badParam('"reasoning.effort" must be none, minimal, low, medium, high or xhigh', 'reasoning.effort');
    }
    chat.reasoning_effort = reasoning.effort;
  }
  echo.reasoning = { effort: (chat.reasoning_effort as string | undefined) ?? null, summary: null };
  const summary = reasoning.summary ?? reasoning.generate_summary;
  if (!isUnset(summary) && typeof summary !== 'string') throw badParam('"reasoning.summary" must be a string', 'reasoning.summary');
  // Earlier reasoning is never sent upstream (see toChatMessages), so only the defaults can be honoured.
  if (!isUnset(reasoning.context) && reasoning.context !== 'auto' && reasoning.context !== 'current_turn') {
    throw unsupportedParam('reasoning.context "all_turns" is not supported: earlier reasoning items are not sent upstream', 'reasoning.context');
  }
  if (!isUnset(reasoning.mode) && reasoning.mode !== 'standard') {
    throw unsupportedParam(`reasoning.mode ${JSON.stringify(reasoning.mode)} cannot be expressed in chat completions`, 'reasoning.mode');
  }
}
