import type { ClientDialectName } from '../model/index.js';
import type { TranslateContext } from './adapter.js';

/**
 * A client-facing API other than OpenAI chat completions (Anthropic Messages, OpenAI Responses,
 * legacy completions). Requests are converted to OpenAI chat at the ingress; answers, which every
 * adapter produces in the OpenAI chat dialect, are converted back here, inside the actor. Pure, like
 * the adapters: text and context in, text out.
 */
export interface ClientDialect {
  readonly specificationVersion: 'v1';
  readonly name: Exclude<ClientDialectName, 'chat'>;
  /** An OpenAI `chat.completion` JSON body → this dialect's response body. */
  response(chatCompletion: string, ctx: TranslateContext): string;
  /** A translator from OpenAI `chat.completion.chunk` SSE text (any split) to this dialect's stream text. */
  stream(ctx: TranslateContext): DialectStream;
}

export interface DialectStream {
  feed(openAISse: string): string;
  end(): string;
}
