import { LocalRouterError, openAIErrorBody, type PlainError } from '../errors/index.js';
import { modelIdProblem, withinJsonDepth, type ChatRequest, type EmbeddingsRequest, type ClientDialectName, type Operation } from '../model/index.js';
import { isUtf8 } from 'node:buffer';
import {
  anthropicErrorEvent, fromAnthropicRequest, parseTopLevelPieces, scanTopLevel, skimJsonBody, TOO_DEEP, type TopLevelObject,
  fromCompletionsRequest, fromResponsesRequest, anthropicUpstreamError, toAnthropicError,
} from '../providers/index.js';
import type { MessageFacts } from '../routing/index.js';
import { SkimmedMessages } from './skimmed-messages.js';

/** A typed chat request (or, for embeddings, an OpenAI embeddings body), ready for model resolution. */
export interface FrontRequest {
  /** The model the client named. */
  model: string;
  /** The request (its `model` is replaced by the upstream's before dispatch): a chat request, or embeddings for that operation. */
  body: ChatRequest | EmbeddingsRequest;
  stream: boolean;
  /** The client asked for the streamed usage chunk. */
  wantsUsage: boolean;
  /** JSON the client dialect needs in the engine (see `CallRequest.meta`). */
  meta?: string;
  /**
   * `body` is the client's own JSON object, unconverted: its bytes can go upstream with only the
   * top-level members the gateway changes spliced in.
   */
  clientBody: boolean;
  /** Set when `body.messages` was skimmed, not built (it is built on first read): what routing needs of it. */
  messageFacts?: MessageFacts;
}

/**
 * One client-facing API on top of the shared LLM path: how to turn the client's body into an
 * OpenAI-dialect request, which dialect answers are converted to, and how errors look to it.
 */
export interface LlmFront {
  op: Operation;
  /** The dialect the engine converts answers to. */
  dialect: ClientDialectName;
  parse(body: Record<string, unknown>, limits: { maxMessages: number }, skimmed?: SkimmedMessages | null): FrontRequest;
  /**
   * The client's body goes upstream as its own bytes and the front reads only the `messages` facts
   * `SkimmedMessages` answers: a large body's messages are skimmed rather than parsed.
   */
  skimsMessages?: boolean;
  /** The error body for a gateway error, or for an upstream error passed through (`err.upstreamBody`). */
  errorBody(err: PlainError): string;
  /** The stream event that ends a stream after an error. */
  errorEvent(err: PlainError): string;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A request body parsed: the object, and its top level as found on the bytes (null when not scanned, or when the scan gave up). */
export interface ParsedBody {
  value: Record<string, unknown>;
  top: TopLevelObject | null;
  /** Set when `value.messages` was skimmed (built only when first read). */
  messages: SkimmedMessages | null;
}

/**
 * Bodies at least this long are parsed in pieces (see `parseTopLevelPieces`); shorter ones in one
 * go, which is faster for them. A body with text outside Latin-1 decodes to a string of two bytes a
 * character, which passes V8's 128 KiB large-object size at 64 KiB of UTF-8: a whole parse of a
 * 70 KB agent body cost three times its parse in pieces.
 */
const PIECEWISE_MIN_BYTES = 64 * 1024;

/**
 * JSON body → object, with the gateway's errors for bad JSON, bodies nested deeper than `maxDepth`
 * (checked on the bytes, before anything recurses into them) and non-objects. A large body is
 * parsed in pieces, never decoded into one large string; any doubt, and any error, goes through
 * `JSON.parse` of the whole text, so the result and the error messages are the parser's.
 */
export function parseJsonBody(raw: Buffer, maxDepth: number, skimFromBytes = Infinity): ParsedBody {
  if (raw.length >= skimFromBytes && isUtf8(raw)) {
    const skimmed = skimBody(raw, maxDepth);
    if (skimmed !== null) return skimmed;
  }
  if (!withinJsonDepth(raw, maxDepth)) throw tooDeep(maxDepth);
  if (raw.length >= PIECEWISE_MIN_BYTES && isUtf8(raw)) {
    const top = scanTopLevel(raw);
    const value = top === null ? null : parseTopLevelPieces(raw, top);
    if (value !== null) return { value, top, messages: null };
  }
  return { value: parseJsonObject(raw), top: null, messages: null };
}

/**
 * Bodies at least this long have their `messages` skimmed (when the front allows it): checked and
 * split on the bytes, each message parsed only when something reads it. A translation to another
 * wire protocol reads every message, and skim plus that costs about twice a whole parse (at 4 /
 * 16 KB: 41 / 130 µs against 17 / 62), so below this size a body is parsed whole.
 */
export const SKIM_MIN_BYTES = 32 * 1024;

/**
 * The same when every provider speaks the client's protocol (see `GatewayTables.openAIOnly`): the
 * messages are then never all read, and the skim costs less than a whole parse from about 3 KB
 * (at 4 / 8 / 16 KB: 14 / 20 / 35 µs against 17 / 31 / 62).
 */
export const PASS_THROUGH_SKIM_MIN_BYTES = 4 * 1024;

/**
 * Members of a skimmed body at least this long are parsed only when something reads them: an
 * agent's 20 tool definitions (10–20 KB) go upstream as bytes, and routing reads them only to choose
 * among fallbacks.
 */
const DEFER_MEMBER_BYTES = 4 * 1024;

/**
 * `raw` skimmed (see json-skim.ts): `messages` and any other large member parsed when first read,
 * the rest now; null when the skim gives up.
 */
function skimBody(raw: Buffer, maxDepth: number): ParsedBody | null {
  const skim = skimJsonBody(raw, maxDepth);
  if (skim === TOO_DEEP) throw tooDeep(maxDepth);
  if (skim === null || skim.messages === null) return null;
  const value = parseTopLevelPieces(raw, skim.top, 'messages', DEFER_MEMBER_BYTES);
  if (value === null) return null;
  return { value, top: skim.top, messages: new SkimmedMessages(raw, skim.messages) };
}

function tooDeep(maxDepth: number): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', `request body nests objects/arrays deeper than ${maxDepth} levels (server.max_json_depth)`);
}

/** JSON text → object, with the gateway's errors for bad JSON and non-objects. */
function parseJsonObject(raw: Buffer): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new LocalRouterError('LR_ERR_BAD_JSON', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(body)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'request body must be a JSON object');
  return body;
}

function requireModel(body: Record<string, unknown>): string {
  // OpenRouter's convention: `models` alone names the primary first and the fallbacks after it.
  if (body.model === undefined && Array.isArray(body.models) && body.models.length > 0 && typeof body.models[0] === 'string') {
    checkModelsList(body);
    return body.models[0];
  }
  if (typeof body.model !== 'string' || body.model.length === 0) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'missing required parameter: "model" (or "models", a list whose first entry is the primary)', { param: 'model' });
  }
  checkModelId(body.model, 'model');
  return body.model;
}

/**
 * Model ids reach response headers, logs, metric labels and the request log: they are held to an
 * allow-list of characters and a bounded length before anything else looks at them.
 */
function checkModelId(id: string, param: string): void {
  const problem = modelIdProblem(id);
  if (problem !== null) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `"${param}" ${problem}`, { param });
}

/** The OpenRouter-style `models` fallback list, held to the same rules as `model`. */
function checkModelsList(body: Record<string, unknown>): void {
  const models = body.models;
  if (models === undefined) return;
  if (!Array.isArray(models) || models.length > 32) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', '"models" must be an array of at most 32 model ids', { param: 'models' });
  }
  for (let i = 0; i < models.length; i++) {
    const m: unknown = models[i];
    if (typeof m !== 'string') throw new LocalRouterError('LR_ERR_BAD_REQUEST', `"models[${i}]" must be a string`, { param: `models[${i}]` });
    checkModelId(m, `models[${i}]`);
  }
}

function requireStreamFlag(body: Record<string, unknown>): boolean {
  if (body.stream !== undefined && typeof body.stream !== 'boolean') {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', '"stream" must be a boolean', { param: 'stream' });
  }
  return body.stream === true;
}

/**
 * Checks the parts of a chat request the gateway relies on (model, messages and their roles); the
 * rest goes upstream as is, and each adapter checks the fields it reads.
 */
export function checkChatBody(body: Record<string, unknown> | ChatRequest, maxMessages: number, skimmed: SkimmedMessages | null = null): FrontRequest {
  const fields = body as Record<string, unknown>;
  const model = requireModel(fields);
  checkModelsList(fields);
  const count = skimmed !== null ? skimmed.count : checkedMessages(fields.messages);
  if (count === 0) throw noMessages();
  if (count > maxMessages) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `"messages" has ${count} items; at most ${maxMessages} are accepted`, { param: 'messages' });
  }
  const badRole = skimmed !== null ? skimmed.firstWithoutRole() : firstWithoutRole(fields.messages as unknown[]);
  if (badRole !== -1) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `messages[${badRole}] must be an object with a string "role"`, { param: `messages[${badRole}]` });
  }
  const stream = requireStreamFlag(fields);
  const wantsUsage = stream && isObject(fields.stream_options) && fields.stream_options.include_usage === true;
  const request: FrontRequest = { model, body: fields as unknown as ChatRequest, stream, wantsUsage, clientBody: false };
  if (skimmed !== null) request.messageFacts = skimmed;
  return request;
}

/** The number of messages, once `messages` is known to be an array. */
function checkedMessages(messages: unknown): number {
  if (!Array.isArray(messages)) throw noMessages();
  return messages.length;
}

function noMessages(): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', '"messages" must be a non-empty array', { param: 'messages' });
}

/** Index of the first message that is not an object with a string `role`, or -1. */
function firstWithoutRole(messages: unknown[]): number {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    if (!isObject(m) || typeof m.role !== 'string') return i;
  }
  return -1;
}

const openAIErrorEvent = (err: PlainError): string => `data: ${openAIErrorBody(err)}\n\n`;
const openAIError = (err: PlainError): string => err.upstreamBody ?? openAIErrorBody(err);

/** `POST /v1/chat/completions`. */
export const chatFront: LlmFront = {
  op: 'chat',
  dialect: 'chat',
  parse(body, limits, skimmed) {
    const checked = checkChatBody(body, limits.maxMessages, skimmed ?? null);
    checked.clientBody = true;
    return checked;
  },
  skimsMessages: true,
  errorBody: openAIError,
  errorEvent: openAIErrorEvent,
};

/** `POST /v1/embeddings`. */
export const embeddingsFront: LlmFront = {
  op: 'embeddings',
  dialect: 'chat',
  parse(body) {
    const model = requireModel(body);
    checkModelsList(body);
    const input = body.input;
    const ok = typeof input === 'string' || (Array.isArray(input) && input.length > 0);
    if (!ok) throw new LocalRouterError('LR_ERR_BAD_REQUEST', '"input" must be a string or a non-empty array', { param: 'input' });
    const request: EmbeddingsRequest = { ...body, model, input };
    return { model, body: request, stream: false, wantsUsage: false, clientBody: true };
  },
  errorBody: openAIError,
  errorEvent: openAIErrorEvent,
};

/** An error event in the Responses stream shape; the SDK raises it as an APIError. */
function responsesErrorEvent(err: PlainError): string {
  const data = { type: 'error', code: err.code, message: err.message, param: err.param ?? null, sequence_number: 0 };
  return `event: error\ndata: ${JSON.stringify(data)}\n\n`;
}

/** `POST /v1/responses`: the stateless Responses API, answered by any provider through chat. */
export const responsesFront: LlmFront = {
  op: 'chat',
  dialect: 'responses',
  parse(body, limits) {
    const { chat, echo } = fromResponsesRequest(body);
    const checked = checkChatBody(chat, limits.maxMessages);
    // The Response object always reports usage, so the actor must keep the usage chunk.
    return { ...checked, wantsUsage: true, meta: JSON.stringify({ responsesEcho: echo }) };
  },
  errorBody: openAIError,
  errorEvent: responsesErrorEvent,
};

/** `POST /v1/completions`: legacy completions, mapped onto chat for every provider. */
export const completionsFront: LlmFront = {
  op: 'chat',
  dialect: 'completions',
  parse(body, limits) {
    const { chat, clientWantsUsage } = fromCompletionsRequest(body);
    const checked = checkChatBody(chat, limits.maxMessages);
    return { ...checked, wantsUsage: checked.stream && clientWantsUsage };
  },
  errorBody: openAIError,
  errorEvent: openAIErrorEvent,
};

/** `POST /v1/messages`: Anthropic-SDK clients (Claude Code and friends) in front of any provider. */
export const anthropicFront: LlmFront = {
  op: 'chat',
  dialect: 'anthropic',
  parse(body, limits) {
    const checked = checkChatBody(fromAnthropicRequest(body), limits.maxMessages);
    // Anthropic answers always report usage (message_start / message_delta), so keep the usage chunk.
    return { ...checked, wantsUsage: true };
  },
  errorBody: (err) => err.upstream !== undefined ? anthropicUpstreamError(err.status, err.upstream) : JSON.stringify(toAnthropicError(err)),
  errorEvent: anthropicErrorEvent,
};

/**
 * `POST /v1/messages/count_tokens`: answered only by providers that can count (Anthropic); others
 * refuse with LR_ERR_UNSUPPORTED_PARAM rather than guess.
 */
export const countTokensFront: LlmFront = {
  ...anthropicFront,
  op: 'count_tokens',
  dialect: 'chat',
  parse(body, limits) {
    // count_tokens has no max_tokens; the converter requires one, and it is not sent on.
    const chat = fromAnthropicRequest({ max_tokens: 1, ...body, stream: false });
    return { ...checkChatBody(chat, limits.maxMessages), stream: false, wantsUsage: false };
  },
};
