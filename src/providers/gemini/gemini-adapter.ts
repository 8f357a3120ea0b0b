import { asChatRequest, type Operation, type ProviderAdapter, type TranslateContext, type TranslatedBody, type UpstreamRequest } from '../adapter.js';
import { GEMINI_PATHS, geminiHeaders } from './api.js';
import { fromGeminiResponse } from './from-gemini-response.js';
import { createGeminiPartStream } from './from-gemini-stream.js';
import { fromGeminiEmbedResponse, toGeminiEmbedRequest } from './gemini-embeddings.js';
import { fromGeminiModelList } from './gemini-models.js';
import { mapGeminiError } from './map-gemini-error.js';
import { badRequest, isObject, unsupported } from './request-errors.js';
import { toGeminiRequest } from './to-gemini-request.js';

/**
 * Google's Gemini API (`generativelanguage.googleapis.com/v1beta`): chat completions over
 * `generateContent` / `streamGenerateContent?alt=sse`, embeddings over `embedContent` /
 * `batchEmbedContents`, the model list over `models`. Auth is the `x-goog-api-key` header.
 */
export const geminiAdapter: ProviderAdapter = {
  specificationVersion: 'v2',
  protocol: 'gemini',

  request(op: Operation, body: string | null, ctx: TranslateContext): UpstreamRequest {
    const p = ctx.provider;
    if (op === 'models') return { method: 'GET', path: GEMINI_PATHS.models, headers: geminiHeaders(p, false, false), body: null, streams: false };
    if (op !== 'chat' && op !== 'embeddings') {
      throw unsupported('model', `operation "${op}" is not offered by Gemini providers such as "${p.name}"`);
    }
    const parsed = parseBody(body);
    if (op === 'embeddings') {
      const embed = toGeminiEmbedRequest(parsed, ctx);
      return { method: 'POST', path: embed.path, headers: geminiHeaders(p, true, false), body: embed.body, streams: false };
    }
    const req = toGeminiRequest(asChatRequest(parsed), ctx.model);
    const path = ctx.stream ? GEMINI_PATHS.stream(ctx.model) : GEMINI_PATHS.generate(ctx.model);
    return { method: 'POST', path, headers: geminiHeaders(p, true, ctx.stream), body: JSON.stringify(req), streams: ctx.stream };
  },

  response(op, body, ctx): TranslatedBody {
    if (op === 'embeddings') return fromGeminiEmbedResponse(body, ctx);
    if (op === 'models') return fromGeminiModelList(body, ctx);
    throw unsupported('model', `operation "${op}" is not offered by Gemini providers such as "${ctx.provider.name}"`);
  },

  chatResult: (body, ctx) => fromGeminiResponse(body, ctx),
  chatStream: (ctx) => createGeminiPartStream(ctx),

  error(status, body, ctx) {
    return mapGeminiError(ctx.provider.name, status, body);
  },
};

function parseBody(body: string | null): Record<string, unknown> {
  let parsed: unknown = null;
  try {
    parsed = body === null ? null : JSON.parse(body);
  } catch { /* reported below */ }
  if (!isObject(parsed)) throw badRequest('body', 'the request body must be a JSON object');
  return parsed;
}
