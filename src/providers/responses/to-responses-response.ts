import { LocalRouterError, openAIErrorBody } from '../../errors/index.js';
import type { ChatResult, FinishReason, Usage } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import { defaultResponsesEcho, type ResponsesEcho } from './from-responses-request.js';

/**
 * A TranslateContext that may carry the request's echo (from `fromResponsesRequest`). The ingress
 * sets it when it can; the dialect falls back to the API defaults otherwise.
 */
export type ResponsesTranslateContext = TranslateContext & { responsesEcho?: ResponsesEcho };

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

export interface OutputText { type: 'output_text'; annotations: never[]; logprobs: never[]; text: string }
export interface OutputRefusal { type: 'refusal'; refusal: string }
export interface ReasoningText { type: 'reasoning_text'; text: string }

export type OutputItem =
  | { id: string; type: 'reasoning'; summary: never[]; content: ReasoningText[] }
  | { id: string; type: 'message'; status: ResponseStatus; content: Array<OutputText | OutputRefusal>; role: 'assistant' }
  | { id: string; type: 'function_call'; status: ResponseStatus; arguments: string; call_id: string; name: string };

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** The parts of a Response object that vary; the rest comes from the echo. */
export interface ResponseState {
  id: string;
  createdAt: number;
  status: ResponseStatus;
  completedAt: number | null;
  error: { code: string; message: string } | null;
  incompleteReason: 'max_output_tokens' | 'content_filter' | null;
  model: string;
  output: OutputItem[];
  usage: ResponsesUsage | null;
}

export function echoOf(ctx: ResponsesTranslateContext): ResponsesEcho {
  return ctx.responsesEcho ?? defaultResponsesEcho();
}

/** A Response object with the API's field order; `store` is always false (nothing is kept). */
export function responseObject(s: ResponseState, echo: ResponsesEcho): Record<string, unknown> {
  const r: Record<string, unknown> = {
    id: s.id, object: 'response', created_at: s.createdAt, status: s.status, background: false,
  };
  if (s.completedAt !== null) r.completed_at = s.completedAt;
  r.error = s.error;
  r.incomplete_details = s.incompleteReason === null ? null : { reason: s.incompleteReason };
  r.instructions = echo.instructions;
  r.max_output_tokens = echo.max_output_tokens;
  r.model = s.model;
  r.output = s.output;
  r.parallel_tool_calls = echo.parallel_tool_calls;
  r.previous_response_id = null;
  r.reasoning = echo.reasoning;
  if (echo.service_tier !== undefined) r.service_tier = echo.service_tier;
  if (echo.prompt_cache_key !== undefined) r.prompt_cache_key = echo.prompt_cache_key;
  if (echo.safety_identifier !== undefined) r.safety_identifier = echo.safety_identifier;
  r.store = false;
  r.temperature = echo.temperature;
  r.text = echo.text;
  r.tool_choice = echo.tool_choice;
  r.tools = echo.tools;
  r.top_p = echo.top_p;
  r.truncation = 'disabled';
  r.usage = s.usage;
  r.user = echo.user;
  r.metadata = echo.metadata;
  return r;
}

/** Usage → Responses usage (input/output naming, the total computed). */
export function responsesUsage(u: Usage | null): ResponsesUsage | null {
  if (u === null) return null;
  return {
    input_tokens: u.input,
    input_tokens_details: { cached_tokens: u.cacheRead },
    output_tokens: u.output,
    output_tokens_details: { reasoning_tokens: u.reasoning },
    total_tokens: u.input + u.output,
  };
}

/** A finish reason → why a Response is incomplete (null: it completed). */
export function incompleteReason(finish: FinishReason): 'max_output_tokens' | 'content_filter' | null {
  if (finish === 'length') return 'max_output_tokens';
  if (finish === 'content_filter') return 'content_filter';
  return null;
}

export function outputText(text: string): OutputText {
  return { type: 'output_text', annotations: [], logprobs: [], text };
}

/**
 * A whole answer → a Response object body. Output order: reasoning (when the upstream returned
 * reasoning text), the message (when it has text or a refusal), then one item per tool call. A 2xx
 * error answer passes through as the upstream's error body (the error shape is the same in both APIs).
 * A completion without a choice is LR_ERR_UPSTREAM_BAD_RESPONSE, as for Anthropic clients: a
 * `completed` response with no output would tell the client the model said nothing.
 */
export function toResponsesBody(result: ChatResult, ctx: ResponsesTranslateContext): string {
  if (result.error) return result.error.upstreamBody ?? openAIErrorBody(result.error);
  const id = ctx.answer?.id ?? ctx.newId('resp_');
  const choice = result.choices.find((c) => c.index === 0) ?? result.choices[0];
  if (choice === undefined) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', 'the upstream sent a completion without a choice');
  const reason = incompleteReason(choice.finishReason);
  const itemStatus: ResponseStatus = reason === null ? 'completed' : 'incomplete';
  const output: OutputItem[] = [];
  if (choice.reasoning) {
    output.push({ id: ctx.newId('rs_'), type: 'reasoning', summary: [], content: [{ type: 'reasoning_text', text: choice.reasoning }] });
  }
  const content: Array<OutputText | OutputRefusal> = [];
  if (choice.content) content.push(outputText(choice.content));
  if (choice.refusal) content.push({ type: 'refusal', refusal: choice.refusal });
  if (content.length > 0) {
    output.push({ id: ctx.newId('msg_'), type: 'message', status: itemStatus, content, role: 'assistant' });
  }
  for (const call of choice.toolCalls) {
    output.push({
      id: ctx.newId('fc_'), type: 'function_call', status: itemStatus, arguments: call.arguments,
      call_id: call.id.length > 0 ? call.id : ctx.newId('call_'), name: call.name,
    });
  }
  const now = Math.floor(ctx.now() / 1000);
  const state: ResponseState = {
    id,
    createdAt: result.created,
    status: reason === null ? 'completed' : 'incomplete',
    completedAt: reason === null ? now : null,
    error: null,
    incompleteReason: reason,
    model: result.model.length > 0 ? result.model : ctx.model,
    output,
    usage: responsesUsage(result.usage),
  };
  return JSON.stringify(responseObject(state, echoOf(ctx)));
}
