import { LocalRouterError } from '../../errors/index.js';
import { asChatRequest, type Operation, type ProviderAdapter, type TranslateContext, type UpstreamRequest } from '../adapter.js';
import { OLLAMA_PATHS, ollamaHeaders } from './api.js';
import { fromOllamaChatResponse, fromOllamaModelList } from './from-ollama-response.js';
import { createOllamaPartStream } from './from-ollama-stream.js';
import { mapOllamaError } from './map-ollama-error.js';
import { fromOllamaEmbedResponse, toOllamaEmbedRequest, type EmbeddingsContext } from './ollama-embeddings.js';
import { isObject } from './request-errors.js';
import { toOllamaChatRequest } from './to-ollama-request.js';

/**
 * Ollama's native API: `/api/chat` (NDJSON stream), `/api/embed`, `/api/tags`. Chat requests are
 * translated to it and its answers to parts and `ChatResult`; what Ollama cannot express is refused
 * with LR_ERR_UNSUPPORTED_PARAM.
 */
export const ollamaAdapter: ProviderAdapter = {
  specificationVersion: 'v2',
  protocol: 'ollama',

  request(op: Operation, body: string | null, ctx: TranslateContext): UpstreamRequest {
    const path = OLLAMA_PATHS[op];
    if (path === undefined) throw unsupportedOperation(op, ctx);
    if (op === 'models') return { method: 'GET', path, headers: ollamaHeaders(ctx.provider, false, false), body: null, streams: false };
    const parsed = parseBody(body);
    if (op === 'embeddings') {
      const req = toOllamaEmbedRequest(parsed, ctx as EmbeddingsContext);
      return { method: 'POST', path, headers: ollamaHeaders(ctx.provider, true, false), body: JSON.stringify(req), streams: false };
    }
    const req = toOllamaChatRequest(asChatRequest(parsed), ctx);
    return { method: 'POST', path, headers: ollamaHeaders(ctx.provider, true, ctx.stream), body: JSON.stringify(req), streams: ctx.stream };
  },

  response(op, body, ctx) {
    if (op === 'embeddings') return fromOllamaEmbedResponse(body, ctx as EmbeddingsContext);
    if (op === 'models') return fromOllamaModelList(body, ctx);
    throw unsupportedOperation(op, ctx);
  },


  chatResult: (body, ctx) => fromOllamaChatResponse(body, ctx),
  chatStream: (ctx) => createOllamaPartStream(ctx),

  error(status, body, ctx) {
    return mapOllamaError(ctx.provider.name, status, body);
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
  return new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `operation "${op}" is not supported by provider "${ctx.provider.name}" (Ollama)`);
}
