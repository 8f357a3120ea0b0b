import type { ClientDialect } from '../client-dialect.js';
import { toCompletionsBody } from './to-completions-response.js';
import { createCompletionsPartEncoder } from './to-completions-stream.js';

/**
 * Legacy completions (`POST /v1/completions`) as a client dialect over chat: whole answers →
 * `text_completion`, parts → `text_completion` chunks ending with `data: [DONE]`, usage as a final
 * chunk with no choices when the client asked for it (`stream_options.include_usage`).
 */
export const completionsDialect: ClientDialect = {
  specificationVersion: 'v2',
  name: 'completions',
  encodeStream: (ctx) => createCompletionsPartEncoder(ctx),
  encodeResult: (result, ctx) => toCompletionsBody(result, ctx),
  encodeError: (passed) => passed.body,
};
