import type { ClientDialect } from '../client-dialect.js';
import { toCompletionsBody } from './to-completions-response.js';
import { createCompletionsStreamState, endCompletionsStream, feedCompletionsStream } from './to-completions-stream.js';

/**
 * Legacy completions (`POST /v1/completions`) as a client dialect over chat: `chat.completion` →
 * `text_completion`, chunk streams → `text_completion` chunks ending with `data: [DONE]`, usage as a
 * final chunk with no choices when the client asked for it (`stream_options.include_usage`).
 */
export const completionsDialect: ClientDialect = {
  specificationVersion: 'v1',
  name: 'completions',

  response(chatCompletion, ctx) {
    return toCompletionsBody(chatCompletion, ctx);
  },

  stream(ctx) {
    const state = createCompletionsStreamState(ctx);
    return {
      feed: (text) => feedCompletionsStream(state, text),
      end: () => endCompletionsStream(state),
    };
  },
};
