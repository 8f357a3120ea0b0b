import { StringDecoder } from 'node:string_decoder';
import type { ChatResult, StreamPart, Usage } from '../../../src/model/index.js';
import { answerPipeline, type AnswerPipeline, type ClientDialect, type PartStream, type ProviderAdapter, type TranslateContext } from '../../../src/providers/index.js';
import { toOpenAIResponse } from '../../../src/providers/openai-compatible/to-openai-response.js';
import { createOpenAIChunkEncoder } from '../../../src/providers/openai-compatible/to-openai-stream.js';

/** What a part stream gave for some upstream bytes: the parts, and the error that ended it (null when it finished). */
export interface PartRun { parts: StreamPart[]; error: (Error & { code?: string; status?: number }) | null }

/**
 * Feeds upstream bytes to a part stream the way the engine does: split at `splits` → UTF-8 decoder
 * → feed(); at the end feed(decoder.end()) and end(). A throw ends the run, keeping the parts before it.
 */
export function runParts(stream: PartStream, bytes: Buffer, splits: number[] = []): PartRun {
  const decoder = new StringDecoder('utf8');
  const parts: StreamPart[] = [];
  let from = 0;
  try {
    for (const at of [...splits, bytes.length]) {
      parts.push(...stream.feed(decoder.write(bytes.subarray(from, at))));
      from = at;
    }
    parts.push(...stream.feed(decoder.end()), ...stream.end());
  } catch (err) {
    return { parts, error: err as PartRun['error'] };
  }
  return { parts, error: null };
}

/** What an OpenAI-chat client got: the text, the usage of the finish, and the error that ended the stream. */
export interface TextRun { out: string; usage: Usage | null; error: PartRun['error'] }

/** Upstream bytes → parts → OpenAI chunk SSE, as an OpenAI-chat client of a translating adapter gets it. */
export function runOpenAIClient(stream: PartStream, ctx: TranslateContext, bytes: Buffer, splits: number[] = [], costOf = (_u: Usage | null): number | null => null): TextRun {
  const r = runParts(stream, bytes, splits);
  return { out: encodeOpenAI(r.parts, ctx, costOf), usage: usageOf(r.parts), error: r.error };
}

export function encodeOpenAI(parts: StreamPart[], ctx: TranslateContext, costOf = (_u: Usage | null): number | null => null): string {
  const enc = createOpenAIChunkEncoder(ctx, costOf);
  return parts.map((p) => enc.part(p)).join('') + enc.end();
}

/** The usage of the answer's finish part; null when it did not finish. */
export function usageOf(parts: StreamPart[]): Usage | null {
  const finish = parts.find((p) => p.type === 'finish' && (p.choice ?? 0) === 0);
  return finish?.type === 'finish' ? finish.usage : null;
}

/** Splits to try: one at every byte offset, and every byte apart. */
export function everySplit(length: number): number[][] {
  const all = Array.from({ length: length - 1 }, (_, i) => i + 1);
  return [...all.map((at) => [at]), all];
}

/** Parts as JSON text, one per line, for golden files a reviewer can read. */
export function partsJson(parts: StreamPart[]): string {
  return `[\n${parts.map((p) => `  ${JSON.stringify(p)}`).join(',\n')}\n]\n`;
}

/** A whole result as the `chat.completion` body an OpenAI-chat client gets. */
export function openAIBody(result: ChatResult, costOf = (_u: Usage | null): number | null => null): string {
  return toOpenAIResponse(result, costOf);
}

/** The chat answer pipeline the engine builds for this adapter and client dialect (cost unknown unless given). */
export function chatPipeline(adapter: ProviderAdapter, dialect: ClientDialect, ctx: TranslateContext, costOf = (_u: Usage | null): number | null => null): AnswerPipeline {
  return answerPipeline(adapter, dialect, 'chat', ctx, costOf);
}

/** A whole chat answer as an OpenAI-chat client gets it from this adapter, with its usage. */
export function chatAnswer(adapter: ProviderAdapter, body: string, ctx: TranslateContext): { body: string; usage: Usage | null } {
  const result = adapter.chatResult(body, ctx);
  return { body: openAIBody(result), usage: result.usage };
}
