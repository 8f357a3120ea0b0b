import { emptyUsage } from '../../model/index.js';
import type { TranslateContext, TranslatedBody } from '../adapter.js';
import { count, parseJson } from './from-cohere-response.js';
import { badRequest, given, unsupported } from './request-errors.js';

/**
 * What the answer's translation needs from the request. The adapter interface hands `response()`
 * only the context, so `request()` records it there (the Responses dialect does the same).
 */
export type EmbeddingsContext = TranslateContext & { embeddingEncoding?: 'float' | 'base64' };

const PARAMS = new Set(['model', 'input', 'dimensions', 'encoding_format', 'user', 'input_type', 'truncate']);
const INPUT_TYPES = new Set(['search_document', 'search_query', 'classification', 'clustering']);

/**
 * Cohere's v3+ embed models require an `input_type`, which OpenAI's API has no notion of. The
 * default is `search_document`, the type for text that gets stored and searched (what most callers
 * of an embeddings endpoint index); a caller embedding queries passes `input_type: "search_query"`.
 */
export const DEFAULT_INPUT_TYPE = 'search_document';

/** An OpenAI `/v1/embeddings` body → a Cohere v2 `/embed` body (float embeddings). */
export function toCohereEmbedRequest(body: Record<string, unknown>, ctx: EmbeddingsContext): Record<string, unknown> {
  for (const key of Object.keys(body)) {
    if (!PARAMS.has(key) && given(body[key])) throw unsupported(ctx, key, `parameter "${key}" is not supported for embeddings`);
  }
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((s) => typeof s === 'string') ? input as string[] : null;
  if (!texts) throw unsupported(ctx, 'input', '"input": Cohere embeds text, not token arrays');
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest('encoding_format', '"encoding_format" must be "float" or "base64"');
  ctx.embeddingEncoding = format;
  const inputType = body.input_type ?? DEFAULT_INPUT_TYPE;
  if (typeof inputType !== 'string' || !INPUT_TYPES.has(inputType)) {
    throw badRequest('input_type', '"input_type" must be search_document, search_query, classification or clustering');
  }
  const req: Record<string, unknown> = { model: ctx.model, texts, input_type: inputType, embedding_types: ['float'] };
  if (given(body.dimensions)) req.output_dimension = body.dimensions;
  if (given(body.truncate)) req.truncate = body.truncate;
  return req;
}

/** Cohere's embed answer → an OpenAI embedding list, base64 when the client asked for it. */
export function fromCohereEmbedResponse(body: string, ctx: EmbeddingsContext): TranslatedBody {
  const parsed = parseJson<{ embeddings?: { float?: unknown }; meta?: { billed_units?: { input_tokens?: unknown } } }>(body, ctx, 'an embedding answer');
  const vectors = Array.isArray(parsed.embeddings?.float) ? parsed.embeddings.float as number[][] : [];
  const base64 = ctx.embeddingEncoding === 'base64';
  const tokens = count(parsed.meta?.billed_units?.input_tokens);
  const out = {
    object: 'list',
    data: vectors.map((v, index) => ({ object: 'embedding', index, embedding: base64 ? float32Base64(v) : v })),
    model: ctx.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  };
  return { body: JSON.stringify(out), usage: { ...emptyUsage(), input: tokens } };
}

/** OpenAI's base64 embedding: the vector as little-endian float32, base64-encoded. */
function float32Base64(values: number[]): string {
  const buf = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i]!, i * 4);
  return buf.toString('base64');
}
