import type { ClientDialect, DialectStream } from '../client-dialect.js';
import { toResponsesBody, type ResponsesTranslateContext } from './to-responses-response.js';
import {
  createResponsesStreamState, endResponsesStream, failResponsesStream, feedResponsesStream, type StreamFailure,
} from './to-responses-stream.js';

/**
 * A dialect stream that can also end itself with its own error event, for failures the gateway
 * detects after the first byte (upstream cut, timeout, untranslatable chunk): the ingress would
 * otherwise write an OpenAI chat `data: {"error":...}` event, which Responses clients do not expect.
 */
export interface FailableDialectStream extends DialectStream {
  fail(err: StreamFailure): string;
}

/** The Responses dialect's type: its streams also have `fail`. */
export interface ResponsesClientDialect extends ClientDialect {
  stream(ctx: ResponsesTranslateContext): FailableDialectStream;
}

/**
 * The OpenAI Responses API as a client dialect (`POST /v1/responses`): chat answers from any adapter
 * become Response objects, chat chunk streams become Responses events (`response.created` ...
 * `response.completed`, each with `event:` and `data:` lines and a `sequence_number`; no `[DONE]`).
 * The stream needs the upstream's usage chunk: the ingress must set CLIENT_WANTS_USAGE for it.
 */
export const responsesDialect: ResponsesClientDialect = {
  specificationVersion: 'v1',
  name: 'responses',

  response(chatCompletion, ctx) {
    return toResponsesBody(chatCompletion, ctx);
  },

  stream(ctx: ResponsesTranslateContext): FailableDialectStream {
    const state = createResponsesStreamState(ctx);
    return {
      feed: (text) => feedResponsesStream(state, text),
      end: () => endResponsesStream(state),
      fail: (err) => failResponsesStream(state, err),
    };
  },
};
