import { LocalRouterError } from '../../errors/index.js';
import { labelSafe } from '../../model/index.js';
import type { Operation, ProviderAdapter, TranslateContext, UpstreamBytesRequest, UpstreamRequest } from '../adapter.js';
import { mapStatusError } from '../map-upstream-error.js';
import { upstreamHeaders } from './api.js';
import { createOpenAIPartStream } from './from-openai-chunks.js';
import { fromOpenAIResponse } from './from-openai-response.js';
import { passedBodyUsage } from './scan-body.js';

const PATHS: Partial<Record<Operation, string>> = {
  chat: '/chat/completions',
  models: '/models',
  embeddings: '/embeddings',
  completions: '/completions',
};

/**
 * The OpenAI chat protocol, spoken by OpenAI and most other providers. Requests pass through
 * untouched (the ingress already set the upstream model). An OpenAI-chat client gets the answer's
 * own bytes (the answer pipeline's same-dialect path, `from-openai-stream.ts`, reads the usage on
 * the way); clients of another dialect get it through parts (`chatStream`) or a `ChatResult`
 * (`chatResult`). Either way a 2xx answer must have the content type asked for and a body that is
 * one whole JSON object, and a stream must end with a `finish_reason` or `[DONE]`.
 */
export const openAIAdapter: ProviderAdapter = {
  specificationVersion: 'v2',
  protocol: 'openai',

  request(op: Operation, body: string | null, ctx: TranslateContext): UpstreamRequest {
    return openAIRequest(op, body, ctx);
  },

  requestBytes(op: Operation, body: Uint8Array, ctx: TranslateContext): UpstreamBytesRequest {
    return openAIRequest(op, body, ctx);
  },

  contentTypeProblem(contentType, streamed) {
    // No content type at all: the body decides (the JSON scan, or the stream's end check).
    if (contentType === '') return null;
    if (streamed ? /^\s*text\/event-stream\b/i.test(contentType) : /^\s*application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType)) return null;
    return `sent content-type "${labelSafe(contentType, 100)}" where ${streamed ? 'text/event-stream' : 'application/json'} was asked for`;
  },

  response(_op, body, ctx) {
    return { body, usage: passedBodyUsage(body, ctx.provider.name) };
  },

  chatResult: (body, ctx) => fromOpenAIResponse(body, ctx),
  chatStream: (ctx) => createOpenAIPartStream(ctx),

  error(status, body, ctx) {
    return mapStatusError(ctx.provider.name, status, body);
  },
};

/** The upstream request: the body goes as it is (the ingress already set the upstream model). */
function openAIRequest<B extends string | Uint8Array | null>(op: Operation, body: B, ctx: TranslateContext): Omit<UpstreamRequest, 'body'> & { body: B } {
  const path = PATHS[op];
  if (!path) throw new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `operation ${op} is not supported by provider "${ctx.provider.name}"`);
  return {
    method: op === 'models' ? 'GET' : 'POST',
    path,
    headers: upstreamHeaders(ctx.provider, body !== null, ctx.stream),
    body,
    streams: ctx.stream,
  };
}
