import type { ChatResult, StreamPart, Usage } from '../model/index.js';
import type { PartStream, StreamTranslator, TranslateContext, TranslatedBody } from './adapter.js';
import { toOpenAIResponse } from './openai-compatible/to-openai-response.js';
import { createOpenAIChunkEncoder } from './openai-compatible/to-openai-stream.js';

/** An adapter's parts, encoded for OpenAI-chat clients, behind the text translator interface. */
export function openAITextStream(parts: PartStream, ctx: TranslateContext): StreamTranslator {
  const enc = createOpenAIChunkEncoder(ctx, () => null);
  let usage: Usage | null = null;
  const encode = (ps: StreamPart[]): string => {
    let out = '';
    for (const p of ps) {
      if (p.type === 'finish' && (p.choice ?? 0) === 0) usage = p.usage;
      out += enc.part(p);
    }
    return out;
  };
  return { feed: (text) => encode(parts.feed(text)), end: () => encode(parts.end()) + enc.end(), get usage() { return usage; } };
}

/** An adapter's whole result, encoded for OpenAI-chat clients. */
export function openAITextBody(result: ChatResult): TranslatedBody {
  return { body: toOpenAIResponse(result, () => null), usage: result.usage };
}
