import { LocalRouterError } from '../../errors/index.js';
import { asChatRequest, type Operation, type ProviderAdapter, type TranslateContext, type UpstreamRequest } from '../adapter.js';
import { cohereHeaders, coherePaths } from './api.js';
import { fromCohereEmbedResponse, toCohereEmbedRequest, type EmbeddingsContext } from './cohere-embeddings.js';
import { fromCohereChatResponse, fromCohereModelList } from './from-cohere-response.js';
import { createCoherePartStream } from './from-cohere-stream.js';
import { mapCohereError } from './map-cohere-error.js';
import { isObject } from './request-errors.js';
import { toCohereChatRequest } from './to-cohere-request.js';

/**
 * An upstream request whose path may also be given from the server root: Cohere's model list lives
 * in v1, outside the `/v2` prefix of the preset's base URL. An engine that honors `originPath`
 * sends it instead of prefix + `path`.
 */
export type CohereUpstreamRequest = UpstreamRequest & { originPath?: string };

/**
 * Cohere's v2 API: `/chat` (SSE or NDJSON stream), `/embed`, and the v1 model list. Chat requests
 * are translated to it and its answers to parts and `ChatResult`; what Cohere cannot express is
 * refused with LR_ERR_UNSUPPORTED_PARAM.
 */
export const cohereAdapter: ProviderAdapter = {
  specificationVersion: 'v2',
  protocol: 'cohere',

  request(op: Operation, body: string | null, ctx: TranslateContext): CohereUpstreamRequest {
    const paths = coherePaths(ctx.provider.baseUrl);
    switch (op) {
      case 'models': {
        const req: CohereUpstreamRequest = { method: 'GET', path: paths.models, headers: cohereHeaders(ctx.provider, false, false), body: null, streams: false };
        if (paths.modelsFromOrigin !== null) req.originPath = paths.modelsFromOrigin;
        return req;
      }
      case 'embeddings': {
        const req = toCohereEmbedRequest(parseBody(body), ctx as EmbeddingsContext);
        return { method: 'POST', path: paths.embed, headers: cohereHeaders(ctx.provider, true, false), body: JSON.stringify(req), streams: false };
      }
      case 'chat': {
        const req = toCohereChatRequest(asChatRequest(parseBody(body)), ctx);
        return { method: 'POST', path: paths.chat, headers: cohereHeaders(ctx.provider, true, ctx.stream), body: JSON.stringify(req), streams: ctx.stream };
      }
      default:
        throw unsupportedOperation(op, ctx);
    }
  },

  response(op, body, ctx) {
    if (op === 'embeddings') return fromCohereEmbedResponse(body, ctx as EmbeddingsContext);
    if (op === 'models') return fromCohereModelList(body, ctx);
    throw unsupportedOperation(op, ctx);
  },


  chatResult: (body, ctx) => fromCohereChatResponse(body, ctx),
  chatStream: (ctx) => createCoherePartStream(ctx),

  error(status, body, ctx) {
    return mapCohereError(ctx.provider.name, status, body);
  },
};

function parseBody(body: string | null): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = body === null ? null : JSON.parse(body);
  } catch {
    throw new LocalRouterError('LR_ERR_BAD_JSON', 'request body is not valid JSON');
  }
  if (!isObject(parsed)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'request body must be a JSON object');
  return parsed;
}

function unsupportedOperation(op: Operation, ctx: TranslateContext): LocalRouterError {
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `operation "${op}" is not supported by provider "${ctx.provider.name}" (Cohere)`);
}
