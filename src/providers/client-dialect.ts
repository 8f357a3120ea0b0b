import type { ChatResult, StreamPart } from '../model/index.js';
import type { CostOf, TranslateContext } from './adapter.js';

/**
 * A client-facing API other than OpenAI chat completions (Anthropic Messages, OpenAI Responses,
 * legacy completions). Requests are converted to OpenAI chat at the ingress; answers, which every
 * adapter produces in the OpenAI chat dialect, are converted back here, inside the actor. Pure, like
 * the adapters: text and context in, text out.
 */
export interface ClientDialect {
  readonly specificationVersion: 'v1';
  readonly name: ClientDialectName;
  /** An OpenAI `chat.completion` JSON body → this dialect's response body. */
  response(chatCompletion: string, ctx: TranslateContext): string;
  /** A translator from OpenAI `chat.completion.chunk` SSE text (any split) to this dialect's stream text. */
  stream(ctx: TranslateContext): DialectStream;
}

export interface DialectStream {
  feed(openAISse: string): string;
  end(): string;
}

/** Encodes one streamed answer's parts as a client dialect's stream text; stateful, owned by the caller. */
export interface PartEncoder {
  /** One part → the text it completes (possibly empty). */
  part(p: StreamPart): string;
  /** The answer ended (after its last part): any closing text. */
  end(): string;
}

/** What a client dialect does with answers: encode parts as a stream, or a whole result as a body. */
export interface DialectEncoder {
  readonly name: ClientDialectName | 'chat';
  encodeStream(ctx: TranslateContext, costOf: CostOf): PartEncoder;
  encodeResult(result: ChatResult, ctx: TranslateContext, costOf: CostOf): string;
}

export type ClientDialectName = 'anthropic' | 'responses' | 'completions';
