import type { ChatResult, ClientDialectName, StreamPart } from '../model/index.js';
import type { CostOf, PassedError, TranslateContext } from './adapter.js';

/**
 * A client-facing API (OpenAI chat, Anthropic Messages, OpenAI Responses, legacy completions) as an
 * encoder of answers. Requests are converted to the typed `ChatRequest` at the ingress; answers,
 * which every adapter produces as parts (streams) or a `ChatResult` (whole answers), are encoded
 * here, inside the actor, exactly once. Pure, like the adapters: parts and context in, text out.
 * An answer whose upstream speaks the client's own dialect never comes here: its bytes pass through.
 */
export interface ClientDialect {
  readonly specificationVersion: 'v2';
  readonly name: ClientDialectName;
  /** An encoder for one streamed answer. `costOf` prices its usage where the dialect reports a cost. */
  encodeStream(ctx: TranslateContext, costOf: CostOf): PartEncoder;
  /** One whole answer → this dialect's response body. */
  encodeResult(result: ChatResult, ctx: TranslateContext, costOf: CostOf): string;
  /** An upstream 4xx passed through to the client → this dialect's error body. */
  encodeError(passed: PassedError): string;
}

/** Encodes one streamed answer's parts as a client dialect's stream text; stateful, owned by the caller. */
export interface PartEncoder {
  /** One part → the text it completes (possibly empty). */
  part(p: StreamPart): string;
  /** The upstream ended: closing text for an answer that never finished (its dialect's error), else nothing. */
  end(): string;
}
