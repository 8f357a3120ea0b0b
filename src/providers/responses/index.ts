/**
 * @module providers/responses
 * The OpenAI Responses API (`POST /v1/responses`, the stateless part: text, images, function tools,
 * structured output, reasoning, streaming events) in front of any provider: requests become OpenAI
 * chat requests, chat answers and chunk streams become Response objects and Responses events.
 */
export {
  fromResponsesRequest, defaultResponsesEcho, type ResponsesConversion, type ResponsesEcho,
} from './from-responses-request.js';
export { responsesDialect, type FailableDialectStream, type ResponsesClientDialect } from './responses-dialect.js';
export { toResponsesBody, type ResponsesTranslateContext } from './to-responses-response.js';
export {
  createResponsesStreamState, feedResponsesStream, endResponsesStream, failResponsesStream,
  type ResponsesStreamState, type StreamFailure,
} from './to-responses-stream.js';
export type { ChatRequest } from './chat-types.js';
