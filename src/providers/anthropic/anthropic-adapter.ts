import type { ChatRequest } from '../../model/index.js';
import { LocalRouterError } from '../../errors/index.js';
import type { Operation, ProviderAdapter, TranslateContext, UpstreamRequest } from '../adapter.js';
import { ANTHROPIC_PATHS, anthropicHeaders } from './api.js';
import { fromAnthropicModels, fromAnthropicResponse } from './from-anthropic-response.js';
import { createAnthropicPartStream } from './from-anthropic-stream.js';
import { mapAnthropicError } from './map-anthropic-error.js';
import { toAnthropicRequest } from './to-anthropic-request.js';


/**
 * The Anthropic Messages API (`POST /messages`, `x-api-key`, `anthropic-version`): chat requests
 * translated to it, its answers to parts and `ChatResult` (an Anthropic-SDK client gets them as
 * they are, through the answer pipeline's pass-through). `chat`, `count_tokens` and `models` only:
 * Anthropic has no embeddings and no legacy completions.
 */
export const anthropicAdapter: ProviderAdapter = {
  specificationVersion: 'v2',
  protocol: 'anthropic',

  request(op: Operation, body: string | null, ctx: TranslateContext): UpstreamRequest {
    if (op === 'models') {
      return { method: 'GET', path: ANTHROPIC_PATHS.models, headers: anthropicHeaders(ctx.provider, false, false), body: null, streams: false };
    }
    if (op !== 'chat' && op !== 'count_tokens') {
      throw new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `provider "${ctx.provider.name}" (Anthropic) does not offer ${op}`, { param: 'model' });
    }
    let parsed: ChatRequest;
    try {
      parsed = JSON.parse(body ?? '') as ChatRequest;
    } catch {
      throw new LocalRouterError('LR_ERR_BAD_JSON', 'request body is not valid JSON');
    }
    const upstream = toAnthropicRequest(parsed, ctx.model, ctx.stream);
    if (op === 'count_tokens') return countTokensRequest(upstream as unknown as Record<string, unknown>, ctx);
    return {
      method: 'POST',
      path: ANTHROPIC_PATHS.messages,
      headers: anthropicHeaders(ctx.provider, true, ctx.stream),
      body: JSON.stringify(upstream),
      streams: ctx.stream,
    };
  },

  response(op, body, ctx) {
    if (op === 'models') return { body: fromAnthropicModels(body), usage: null };
    // Anthropic's own answer (`{"input_tokens": n}`) is what count_tokens clients expect.
    if (op === 'count_tokens') return { body, usage: null };
    throw new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `provider "${ctx.provider.name}" (Anthropic) does not offer ${op}`);
  },

  chatResult: (body, ctx) => fromAnthropicResponse(body, Math.floor(ctx.now() / 1000)),
  chatStream: (ctx) => createAnthropicPartStream(ctx),

  error(status, body, ctx) {
    return mapAnthropicError(ctx.provider.name, status, body);
  },
};

/** Fields the count_tokens endpoint takes; sampling settings are not among them. */
const COUNT_TOKENS_FIELDS = ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'output_config'];

function countTokensRequest(upstream: Record<string, unknown>, ctx: TranslateContext): UpstreamRequest {
  const body: Record<string, unknown> = {};
  for (const k of COUNT_TOKENS_FIELDS) if (upstream[k] !== undefined) body[k] = upstream[k];
  return {
    method: 'POST', path: `${ANTHROPIC_PATHS.messages}/count_tokens`,
    headers: anthropicHeaders(ctx.provider, true, false), body: JSON.stringify(body), streams: false,
  };
}
