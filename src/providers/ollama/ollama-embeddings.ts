import { emptyUsage } from '../../model/index.js';
import type { TranslateContext, TranslatedBody } from '../adapter.js';
import { count, parseJson } from './from-ollama-response.js';
import { badRequest, given, unsupported } from './request-errors.js';

/**
 * What the answer's translation needs from the request. The adapter interface hands `response()`
 * only the context, so `request()` records it there (the Responses dialect does the same).
 */
export type EmbeddingsContext = TranslateContext & { embeddingEncoding?: 'float' | 'base64' };

const PARAMS = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user', 'truncate', 'keep_alive']);

/** An OpenAI `/v1/embeddings` body → an Ollama `/api/embed` body. */
export function toOllamaEmbedRequest(body: Record<string, unknown>, ctx: EmbeddingsContext): Record<string, unknown> {
  for (const key of Object.keys(body)) {
    if (!PARAMS.has(key) && given(body[key])) throw unsupported(ctx, key, `parameter "${key}" is not supported for embeddings`);
  }
  const input = body.input;
  const texts = typeof input === 'string' || (Array.isArray(input) && input.every((s) => typeof s === 'string'));
  if (!texts) throw unsupported(ctx, 'input', '"input": Ollama embeds text only, not token arrays');
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest('encoding_format', '"encoding_format" must be "float" or "base64"');
  ctx.embeddingEncoding = format;
  const req: Record<string, unknown> = { model: ctx.model, input };
  if (given(body.dimensions)) req.dimensions = body.dimensions;
  if (given(body.truncate)) req.truncate = body.truncate;
  if (given(body.keep_alive)) req.keep_alive = body.keep_alive;
  return req;
}

/** `/api/embed`'s answer → an OpenAI embedding list, base64 when the client asked for it. */
export function fromOllamaEmbedResponse(body: string, ctx: EmbeddingsContext): TranslatedBody {
  const parsed = parseJson<{ model?: unknown; embeddings?: unknown; prompt_eval_count?: unknown }>(body, ctx, 'an embedding answer');
  const vectors = Array.isArray(parsed.embeddings) ? parsed.embeddings as number[][] : [];
  const base64 = ctx.embeddingEncoding === 'base64';
  const tokens = count(parsed.prompt_eval_count);
  const out = {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? float32Base64(v) : v })),
    model: typeof parsed.model === 'string' ? parsed.model : ctx.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
  return { body: JSON.stringify(out), usage: { ...emptyUsage(), input: tokens } };
}

/** OpenAI's base64 embedding: the vector as little-endian float32, base64-encoded. */
export function float32Base64(values: number[]): string {
  const buf = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i]!, i * 4);
  return buf.toString('base64');
}
