import type { PlainError } from '../errors/index.js';
import type { ChatRequest, ChatResult, Operation, ProviderRuntime, StreamPart, UpstreamErrorDetail, Usage, WireProtocol } from '../model/index.js';

export type { Operation, WireProtocol };

/** The identity an answer carries to the client. */
export interface AnswerIdentity {
  id: string;
  model: string;
}

/** Pure inputs of a translation: no clock or id source of its own (style: translation is pure). */
export interface TranslateContext {
  provider: ProviderRuntime;
  /** The model id the upstream knows (after `provider/` was stripped). */
  model: string;
  stream: boolean;
  /** The client asked for the streamed usage chunk. */
  clientWantsUsage: boolean;
  now(): number;
  newId(prefix: string): string;
  /**
   * The id and model the client's answer carries (the gateway's generation id, the serving
   * `provider/model`); absent in a bare translation, which keeps the upstream's.
   */
  answer?: AnswerIdentity;
}

/** One upstream HTTP request, fully built. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Path and query, relative to the provider's base URL. */
  path: string;
  /** Path and query from the origin's root, when the endpoint lives outside the base URL's path (Cohere's model list). */
  originPath?: string;
  headers: Record<string, string>;
  body: string | null;
  /** The upstream answers with a stream (SSE or NDJSON) when the status is 2xx. */
  streams: boolean;
}

/** An upstream request whose body is JSON the client sent, as UTF-8 bytes (see `ProviderAdapter.requestBytes`). */
export interface UpstreamBytesRequest extends Omit<UpstreamRequest, 'body'> {
  body: Uint8Array;
}

/** A chat stream translator, stateful per request, owned by the caller: upstream text in, parts out. */
export interface PartStream {
  /** Upstream text in (any split); the parts it completes (possibly none). */
  feed(text: string): StreamPart[];
  /** Upstream ended: the last parts. Throws a coded error when the stream was cut short. */
  end(): StreamPart[];
}

/** The USD cost of a usage on the current candidate; null when unknown (no usage, no price). */
export type CostOf = (usage: Usage | null) => number | null;

/** A non-streamed answer of an operation other than chat (model list, embeddings, token count), in OpenAI's shape. */
export interface TranslatedBody {
  body: string;
  usage: Usage | null;
}

/**
 * One versioned interface per wire protocol (vercel/ai's LanguageModel habit). Every method is pure:
 * text and context in, typed answers out. Chat answers become parts (streams) or a `ChatResult`
 * (whole answers), which the client's dialect encodes; the other operations answer in OpenAI's
 * shape. Anything a target cannot express is rejected with LR_ERR_UNSUPPORTED_PARAM, never dropped.
 */
export interface ProviderAdapter {
  readonly specificationVersion: 'v2';
  readonly protocol: WireProtocol;
  /** Builds the upstream request for an operation; `body` is the client's request as JSON (a `ChatRequest` for chat; null for `models`). */
  request(op: Operation, body: string | null, ctx: TranslateContext): UpstreamRequest;
  /**
   * `request` for a body that is already this protocol's own JSON, as UTF-8 bytes, sent as they are.
   * Absent: such a body is decoded and given to `request`.
   */
  requestBytes?(op: Operation, body: Uint8Array, ctx: TranslateContext): UpstreamBytesRequest;
  /**
   * Why a 2xx answer of this content type (`''` when the upstream sent none) cannot be the stream or
   * body asked for; null when it can. Absent: every content type is tried.
   */
  contentTypeProblem?(contentType: string, streamed: boolean): string | null;
  /** A 2xx non-streamed chat answer → the typed result. */
  chatResult(body: string, ctx: TranslateContext): ChatResult;
  /** A translator for a 2xx streamed chat answer: upstream text → parts. */
  chatStream(ctx: TranslateContext): PartStream;
  /** A 2xx non-streamed answer of another operation → its OpenAI-shaped body (`models`: an OpenAI model list). */
  response(op: Exclude<Operation, 'chat'>, body: string, ctx: TranslateContext): TranslatedBody;
  /** An upstream error status → a client answer (4xx passed through, typed and in the OpenAI shape) or a coded error. */
  error(status: number, body: string, ctx: TranslateContext): PassedError | PlainError;
}

/**
 * An upstream 4xx answered to the client as an answer about its request: `body` is OpenAI-shaped
 * (the upstream's own bytes when it spoke OpenAI's dialect), `detail` the same error typed, which
 * the other client dialects encode from.
 */
export interface PassedError {
  status: number;
  body: string;
  detail: UpstreamErrorDetail;
}

/** A passed-through error built from its typed fields, with the OpenAI-shaped body that says the same. */
export function passedError(status: number, detail: UpstreamErrorDetail): PassedError {
  return { status, body: JSON.stringify({ error: { message: detail.message, type: detail.type, param: detail.param, code: detail.code } }), detail };
}

/**
 * The chat request in a body parsed as a JSON object. The ingress checked the parts routing needs
 * (model, messages and their roles); every builder still checks each other field it reads, since the
 * client's JSON may hold anything where the type says `number`.
 */
export function asChatRequest(body: Record<string, unknown>): ChatRequest {
  return body as unknown as ChatRequest;
}
