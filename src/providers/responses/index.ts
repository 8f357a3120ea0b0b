/**
 * @module providers/responses
 * The OpenAI Responses API (`POST /v1/responses`, the stateless part: text, images, function tools,
 * structured output, reasoning, streaming events) in front of any provider: requests become typed
 * chat requests, whole answers and parts become Response objects and Responses events.
 */
export {
  fromResponsesRequest, defaultResponsesEcho, type ResponsesConversion, type ResponsesEcho,
} from './from-responses-request.js';
export { responsesDialect } from './responses-dialect.js';
export { toResponsesBody, type ResponsesTranslateContext } from './to-responses-response.js';
export { createResponsesPartEncoder, type StreamFailure } from './to-responses-stream.js';
