import { emptyUsage } from '../../model/index.js';
import type { TranslateContext, TranslatedBody } from '../adapter.js';
import { GEMINI_PATHS, geminiModelResource } from './api.js';
import { parseGemini } from './from-gemini-response.js';
import { badRequest, badResponse, given, unsupported } from './request-errors.js';

/**
 * What the answer's translation needs from the request. The adapter interface hands `response()`
 * only the context, so `request()` records it there (as the other native adapters do).
 */
export type GeminiEmbeddingsContext = TranslateContext & { geminiEmbedding?: { encoding: 'float' | 'base64'; batch: boolean } };

const PARAMS = new Set(['model', 'input', 'dimensions', 'encoding_format']);
/** An end-user id for OpenAI's abuse monitoring: nothing to do with the vectors. */
const NO_EFFECT = new Set(['user']);

/**
 * An OpenAI `/v1/embeddings` body → `embedContent` (one string) or `batchEmbedContents` (a list of
 * strings, one request each). `dimensions` → `outputDimensionality`. Token-id inputs are rejected:
 * Gemini embeds text only.
 */
export function toGeminiEmbedRequest(body: Record<string, unknown>, ctx: GeminiEmbeddingsContext): { path: string; body: string } {
  for (const key of Object.keys(body)) {
    if (!PARAMS.has(key) && !NO_EFFECT.has(key) && given(body[key])) throw unsupported(key, `parameter "${key}" is not supported for embeddings`);
  }
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((t) => typeof t !== 'string')) {
    throw unsupported('input', '"input": Gemini embeds text only (a string or an array of strings), not token arrays');
  }
  const format = body.encoding_format ?? 'float';
  if (format !== 'float' && format !== 'base64') throw badRequest('encoding_format', '"encoding_format" must be "float" or "base64"');
  const extra: Record<string, unknown> = {};
  if (given(body.dimensions)) {
    if (!Number.isInteger(body.dimensions) || (body.dimensions as number) < 1) throw badRequest('dimensions', '"dimensions" must be a positive integer');
    extra.outputDimensionality = body.dimensions;
  }
  const batch = Array.isArray(input);
  ctx.geminiEmbedding = { encoding: format, batch };
  const content = (text: string) => ({ parts: [{ text }] });
  if (!batch) return { path: GEMINI_PATHS.embed(ctx.model), body: JSON.stringify({ content: content(texts[0] as string), ...extra }) };
  const model = geminiModelResource(ctx.model);
  const requests = (texts as string[]).map((t) => ({ model, content: content(t), ...extra }));
  return { path: GEMINI_PATHS.batchEmbed(ctx.model), body: JSON.stringify({ requests }) };
}

/** `embedContent` / `batchEmbedContents` answer → an OpenAI embedding list (base64 when asked for). */
export function fromGeminiEmbedResponse(body: string, ctx: GeminiEmbeddingsContext): TranslatedBody {
  const parsed = parseGemini(body, ctx) as { embedding?: { values?: unknown }; embeddings?: { values?: unknown }[]; usageMetadata?: { promptTokenCount?: unknown } };
  const vectors = Array.isArray(parsed.embeddings) ? parsed.embeddings.map((e) => e?.values) : [parsed.embedding?.values];
  if (vectors.length === 0 || vectors.some((v) => !Array.isArray(v) || v.some((x) => typeof x !== 'number'))) {
    throw badResponse(`provider "${ctx.provider.name}" sent an embedding answer without vectors`);
  }
  const base64 = ctx.geminiEmbedding?.encoding === 'base64';
  const tokens = typeof parsed.usageMetadata?.promptTokenCount === 'number' ? parsed.usageMetadata.promptTokenCount : 0;
  const out = {
    object: 'list',
    data: (vectors as number[][]).map((v, index) => ({ object: 'embedding', index, embedding: base64 ? float32Base64(v) : v })),
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
