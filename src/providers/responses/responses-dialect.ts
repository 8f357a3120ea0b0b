import type { ClientDialect } from '../client-dialect.js';
import { toResponsesBody, type ResponsesTranslateContext } from './to-responses-response.js';
import { createResponsesPartEncoder } from './to-responses-stream.js';

/**
 * The OpenAI Responses API as a client dialect (`POST /v1/responses`): whole answers from any
 * adapter become Response objects, parts become Responses events (`response.created` ...
 * `response.completed`). The Response reports usage: the ingress sets CLIENT_WANTS_USAGE for it.
 */
export const responsesDialect: ClientDialect = {
  specificationVersion: 'v2',
  name: 'responses',
  encodeStream: (ctx: ResponsesTranslateContext) => createResponsesPartEncoder(ctx),
  encodeResult: (result, ctx: ResponsesTranslateContext) => toResponsesBody(result, ctx),
  encodeError: (passed) => passed.body,
};
