import type { ClientDialect } from '../client-dialect.js';
import { createAnthropicPartEncoder } from './to-anthropic-stream.js';
import { anthropicUpstreamError } from './to-anthropic-error.js';
import { toAnthropicResponse } from './to-anthropic-response.js';

/**
 * The Anthropic Messages dialect for clients of `POST /v1/messages` whose answer comes from a
 * provider that speaks something else (an Anthropic upstream's answer reaches them as its own
 * bytes): parts become Messages stream events, whole results a `message`.
 */
export const anthropicDialect: ClientDialect = {
  specificationVersion: 'v2',
  name: 'anthropic',
  encodeStream: (ctx) => createAnthropicPartEncoder(ctx),
  encodeResult: (result, ctx) => JSON.stringify(toAnthropicResponse(result, ctx)),
  encodeError: (passed) => anthropicUpstreamError(passed.status, passed.detail),
};
