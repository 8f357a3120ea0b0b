import type { ClientDialect } from '../client-dialect.js';
import { toOpenAIResponse } from './to-openai-response.js';
import { createOpenAIChunkEncoder } from './to-openai-stream.js';

/**
 * OpenAI chat completions as a client dialect, for answers of providers that speak something else
 * (an OpenAI upstream's answer reaches an OpenAI-chat client as its own bytes): parts become
 * `chat.completion.chunk` SSE, whole results a `chat.completion` body, with the usage's `cost`.
 */
export const openAIChatDialect: ClientDialect = {
  specificationVersion: 'v2',
  name: 'chat',
  encodeStream: (ctx, costOf) => createOpenAIChunkEncoder(ctx, costOf),
  encodeResult: (result, _ctx, costOf) => toOpenAIResponse(result, costOf),
  /** OpenAI's shape already: an OpenAI upstream's own bytes, or another's error in that shape. */
  encodeError: (passed) => passed.body,
};
