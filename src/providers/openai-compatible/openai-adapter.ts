import { LocalRouterError } from '../../errors/index.js';
import type { Operation, ProviderAdapter, StreamTranslator, TranslateContext, UpstreamRequest } from '../adapter.js';
import { mapStatusError } from '../map-upstream-error.js';
import { upstreamHeaders } from './api.js';
import { createOpenAIStreamState, endOpenAIStream, passOpenAIStream } from './from-openai-stream.js';
import { extractUsage } from './usage.js';

const PATHS: Partial<Record<Operation, string>> = {
  chat: '/chat/completions',
  models: '/models',
  embeddings: '/embeddings',
  completions: '/completions',
};

/**
 * The OpenAI chat protocol, spoken by OpenAI and most other providers. Same dialect on both sides:
 * bodies pass through untouched (the ingress already set the upstream model), streams pass through
 * byte for byte while usage is read on the way.
 */
export const openAIAdapter: ProviderAdapter = {
  specificationVersion: 'v1',
  protocol: 'openai',

  request(op: Operation, body: string | null, ctx: TranslateContext): UpstreamRequest {
    const path = PATHS[op];
    if (!path) throw new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `operation ${op} is not supported by provider "${ctx.provider.name}"`);
    return {
      method: op === 'models' ? 'GET' : 'POST',
      path,
      headers: upstreamHeaders(ctx.provider, body !== null, ctx.stream),
      body,
      streams: ctx.stream,
    };
  },

  response(_op, body) {
    return { body, usage: extractUsage(body) };
  },

  stream(_op, ctx): StreamTranslator {
    const state = createOpenAIStreamState(ctx.clientWantsUsage);
    return {
      feed: (text) => passOpenAIStream(state, text),
      end: () => endOpenAIStream(state),
      get usage() { return state.usage; },
    };
  },

  error(status, body, ctx) {
    return mapStatusError(ctx.provider.name, status, body);
  },
};
