import { StringDecoder } from 'node:string_decoder';
import { answerPipeline, type AnswerPipeline, type ClientDialect, type TranslateContext } from '../../../../src/providers/index.js';
import { openAIAdapter } from '../../../../src/providers/openai-compatible/openai-adapter.js';
import type { ResponsesEcho } from '../../../../src/providers/responses/index.js';

/** A deterministic TranslateContext: a fixed clock and ids `<prefix>1`, `<prefix>2`... */
export function dialectContext(opts: { clientWantsUsage?: boolean; stream?: boolean; echo?: ResponsesEcho } = {}): TranslateContext & { responsesEcho?: ResponsesEcho } {
  let n = 0;
  const ctx: TranslateContext & { responsesEcho?: ResponsesEcho } = {
    // Only the name is read by the dialects; the runtime's other fields are another area's and still changing.
    provider: { name: 'mock', protocol: 'openai', baseUrl: 'http://127.0.0.1:1', apiKey: null, headers: {} } as TranslateContext['provider'],
    model: 'upstream-model',
    stream: opts.stream ?? true,
    clientWantsUsage: opts.clientWantsUsage ?? true,
    now: () => 1767225700_000,
    newId: (prefix) => `${prefix}${++n}`,
  };
  if (opts.echo) ctx.responsesEcho = opts.echo;
  return ctx;
}

/**
 * Feeds upstream bytes to a dialect stream as the engine does: split at `splits`, bytes → utf8
 * decoder → text. An upstream that reported an error mid-stream is relayed in the dialect, and its
 * stream then fails at the end (LR_ERR_UPSTREAM_BAD_RESPONSE, as for an OpenAI-chat client, whose
 * bytes pass through): the engine ends the call there and the ingress adds its own error event (the
 * engine goldens cover that). Here the text up to that point is returned.
 */
export function runDialectStream(stream: { feed(text: string): string; end(): string }, bytes: Buffer, splits: number[]): string {
  const decoder = new StringDecoder('utf8');
  let out = '';
  let from = 0;
  for (const at of [...splits, bytes.length]) {
    out += stream.feed(decoder.write(bytes.subarray(from, at)));
    from = at;
  }
  out += stream.feed(decoder.end());
  try {
    return out + stream.end();
  } catch (err) {
    // An upstream error event was relayed already: the call fails with it, and the ingress writes nothing more.
    if ((err as { relayed?: boolean }).relayed !== true) throw err;
    return out;
  }
}

/** Every byte offset: the worst framing an upstream can produce. */
export function everyByte(bytes: Buffer): number[] {
  return Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
}

/** Parses Responses SSE text into its events, checking each `event:` line matches the data's `type`. */
export function parseResponsesEvents(text: string): Array<Record<string, unknown> & { type: string; sequence_number: number }> {
  const blocks = text.split('\n\n').filter((b) => b.length > 0);
  return blocks.map((block) => {
    const lines = block.split('\n');
    if (lines.length !== 2 || !lines[0]!.startsWith('event: ') || !lines[1]!.startsWith('data: ')) throw new Error(`malformed event: ${block}`);
    const data = JSON.parse(lines[1]!.slice(6)) as Record<string, unknown> & { type: string; sequence_number: number };
    if (data.type !== lines[0]!.slice(7)) throw new Error(`event line ${lines[0]} does not match type ${data.type}`);
    return data;
  });
}

/** The engine's pipeline for an OpenAI upstream's chat answer to a client of `dialect`: chunks → parts → the dialect's encoder. */
export function openAIUpstream(dialect: ClientDialect, ctx: TranslateContext): AnswerPipeline {
  return answerPipeline(openAIAdapter, dialect, 'chat', ctx, () => null);
}
