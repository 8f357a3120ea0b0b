import type { ClientDialect } from '../client-dialect.js';
import { createAnthropicClientStream } from './to-anthropic-stream.js';
import { toAnthropicResponse } from './to-anthropic-response.js';

/**
 * The Anthropic Messages dialect for clients of `POST /v1/messages`: every answer, produced in the
 * OpenAI chat dialect by whichever adapter served it, is converted back to Anthropic's shape.
 * Register it with `registerDialect(anthropicDialect)`.
 */
export const anthropicDialect: ClientDialect = {
  specificationVersion: 'v1',
  name: 'anthropic',
  response: (chatCompletion, ctx) => JSON.stringify(toAnthropicResponse(chatCompletion, ctx)),
  stream: (ctx) => createAnthropicClientStream(ctx),
};
