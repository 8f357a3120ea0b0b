import { LocalRouterError } from '../errors/index.js';
import type { StreamPart, Usage } from '../model/index.js';
import type { CostOf, Operation, ProviderAdapter, TranslateContext } from './adapter.js';
import { anthropicMessageUsage, createAnthropicPassStream } from './anthropic/index.js';
import type { ClientDialect } from './client-dialect.js';
import { createOpenAIStreamState, endOpenAIStream, passOpenAIStream, type OpenAIStreamState } from './openai-compatible/from-openai-stream.js';
import { openAIChatDialect } from './openai-compatible/openai-chat-dialect.js';
import { onlyWhitespace, SCAN, scanPassedBody } from './openai-compatible/scan-body.js';
import { formatUsd, injectCost } from './openai-compatible/usage.js';
import { rewriteIdentity, spliceIdentity, type RewrittenText } from './answer-identity.js';

/** A streamed answer on its way to the client: upstream text in (any split), the client's text out. */
export interface AnswerStream {
  feed(text: string): string;
  /** The upstream ended: the last text. Throws a coded error when the answer was cut short. */
  end(): string;
  /** The answer's usage, once the upstream reported it. */
  readonly usage: Usage | null;
  /** The id the upstream gave the answer (the client sees `ctx.answer`'s), once seen. */
  readonly upstreamId: string | null;
}

/** A whole answer, ready for the client. */
export interface AnswerBody {
  body: string;
  usage: Usage | null;
  costUsd: number | null;
  /** The id the upstream gave the answer, when it gave one. */
  upstreamId: string | null;
}

/** How one call's answers travel from the upstream's wire format to the client's. */
export interface AnswerPipeline {
  /**
   * `pass`: the upstream speaks the client's dialect, bytes pass through with a usage sniffer;
   * `parts`: adapter → parts (or a `ChatResult`) → the client dialect's encoder, once;
   * `operation`: not a chat answer (model list, embeddings, token count), in OpenAI's shape.
   */
  readonly route: 'pass' | 'parts' | 'operation';
  /** A translator for a 2xx streamed body. */
  stream(): AnswerStream;
  /** A 2xx non-streamed body → the client's body, with its usage and cost. */
  response(body: string): AnswerBody;
}

/**
 * Chooses, once per call, how answers travel: same-dialect pairs (an OpenAI upstream for an
 * OpenAI-chat client, an Anthropic upstream for an Anthropic Messages client) pass bytes through
 * while their usage is read; every other chat pair goes adapter → parts → encoder exactly once.
 * `dialect` is the client's, for chat; null for the other operations. `costOf` prices a usage on
 * the call's candidate (the OpenAI-chat dialect reports it as the usage's `cost`).
 */
export function answerPipeline(adapter: ProviderAdapter, dialect: ClientDialect | null, op: Operation, ctx: TranslateContext, costOf: CostOf): AnswerPipeline {
  if (op !== 'chat') return operationPipeline(adapter, op, ctx, costOf);
  const client = dialect ?? openAIChatDialect;
  if (adapter.protocol === 'openai' && client.name === 'chat') return openAIPassPipeline(ctx, costOf);
  if (adapter.protocol === 'anthropic' && client.name === 'anthropic') return anthropicPassPipeline(ctx, costOf);
  return partsPipeline(adapter, client, ctx, costOf);
}

/**
 * OpenAI → OpenAI chat: bytes pass through (`from-openai-stream.ts` checks each event and removes
 * the usage chunk a client did not ask for); the chunk that hands the client its usage also gets
 * the cost, priced on the usage known then, and so does a whole answer's usage object.
 */
function openAIPassPipeline(ctx: TranslateContext, costOf: CostOf): AnswerPipeline {
  return {
    route: 'pass',
    stream: () => new OpenAIPassStream(ctx, costOf),
    response: (body) => passedOpenAIBody(body, ctx, costOf),
  };
}

/**
 * A whole OpenAI answer relayed: one scan checks it and finds its usage object and its top-level
 * `id` and `model`; the identity and the usage's `cost` are then spliced in at once. A body whose
 * identity members the scan cannot place (see `SCAN.IDENTITY_ODD`) takes the rewrite that parses.
 */
function passedOpenAIBody(body: string, ctx: TranslateContext, costOf: CostOf): AnswerBody {
  const { scan, usage } = scanPassedBody(body, ctx.provider.name);
  const costUsd = costOf(usage);
  const answer = ctx.answer;
  if (answer === undefined || (scan.found & SCAN.IDENTITY_ODD) !== 0) {
    const { text, upstreamId } = withIdentity(body, ctx);
    return { body: costUsd === null ? text : injectCost(text, costUsd), usage, costUsd, upstreamId };
  }
  let insertAt = -1;
  let insert = '';
  if (costUsd !== null && scan.usageOpen !== -1) {
    insertAt = scan.usageClose;
    insert = `${onlyWhitespace(body, scan.usageOpen + 1, scan.usageClose) ? '' : ','}"cost":${formatUsd(costUsd)}`;
  }
  const { text, upstreamId } = spliceIdentity(body, answer, { idStart: scan.idStart, idEnd: scan.idEnd, modelStart: scan.modelStart, modelEnd: scan.modelEnd, insertAt, insert });
  return { body: text, usage, costUsd, upstreamId };
}

/** The OpenAI pass-through's stream: a class, since it runs once per upstream event on the hottest path. */
class OpenAIPassStream implements AnswerStream {
  readonly #state: OpenAIStreamState;

  constructor(ctx: TranslateContext, costOf: CostOf) {
    this.#state = createOpenAIStreamState(ctx.clientWantsUsage, ctx.provider.name, ctx.answer ?? null, costOf);
  }

  get usage(): Usage | null {
    return this.#state.usage;
  }

  get upstreamId(): string | null {
    return this.#state.upstreamId;
  }

  feed(text: string): string {
    return passOpenAIStream(this.#state, text);
  }

  end(): string {
    return endOpenAIStream(this.#state);
  }
}

/** Anthropic → Anthropic Messages: the upstream's own bytes, its usage read from `message_start`/`message_delta` (or the message). */
function anthropicPassPipeline(ctx: TranslateContext, costOf: CostOf): AnswerPipeline {
  return {
    route: 'pass',
    stream: () => createAnthropicPassStream(ctx),
    response(body) {
      const usage = anthropicMessageUsage(body);
      const { text, upstreamId } = withIdentity(body, ctx);
      return { body: text, usage, costUsd: costOf(usage), upstreamId };
    },
  };
}

/** Any other chat pair: the adapter's parts (or result) encoded once in the client's dialect. */
function partsPipeline(adapter: ProviderAdapter, dialect: ClientDialect, ctx: TranslateContext, costOf: CostOf): AnswerPipeline {
  return {
    route: 'parts',
    stream() {
      const parts = adapter.chatStream(ctx);
      const encoder = dialect.encodeStream(ctx, costOf);
      const answer = ctx.answer;
      let usage: Usage | null = null;
      let upstreamId: string | null = null;
      const encode = (ps: StreamPart[]): string => {
        let out = '';
        for (let p of ps) {
          if (p.type === 'finish' && (p.choice ?? 0) === 0) usage = p.usage;
          if (p.type === 'response-start' && answer !== undefined) {
            upstreamId ??= p.id.length > 0 ? p.id : null;
            p = { ...p, id: answer.id, model: answer.model };
          }
          out += encoder.part(p);
        }
        return out;
      };
      return {
        feed: (text) => encode(parts.feed(text)),
        end: () => encode(parts.end()) + encoder.end(),
        get usage() { return usage; },
        get upstreamId() { return upstreamId; },
      };
    },
    response(body) {
      const result = adapter.chatResult(body, ctx);
      const upstreamId = result.id.length > 0 ? result.id : null;
      if (ctx.answer !== undefined) {
        result.id = ctx.answer.id;
        result.model = ctx.answer.model;
      }
      return { body: dialect.encodeResult(result, ctx, costOf), usage: result.usage, costUsd: costOf(result.usage), upstreamId };
    },
  };
}

/** Model lists, embeddings, token counts and legacy completions: the adapter's OpenAI-shaped body; only OpenAI upstreams stream them. */
function operationPipeline(adapter: ProviderAdapter, op: Exclude<Operation, 'chat'>, ctx: TranslateContext, costOf: CostOf): AnswerPipeline {
  if (adapter.protocol === 'openai') {
    const pass = openAIPassPipeline(ctx, costOf);
    return {
      route: 'operation',
      stream: pass.stream,
      response(body) {
        return operationBody(adapter, op, body, ctx, costOf);
      },
    };
  }
  return {
    route: 'operation',
    stream() {
      throw new LocalRouterError('LR_ERR_UNSUPPORTED_PARAM', `operation "${op}" cannot be streamed from provider "${ctx.provider.name}"`);
    },
    response(body) {
      return operationBody(adapter, op, body, ctx, costOf);
    },
  };
}

/** An operation's OpenAI-shaped body; an embeddings list names the `provider/model` that served it (it has no id of its own in OpenAI's shape). */
function operationBody(adapter: ProviderAdapter, op: Exclude<Operation, 'chat'>, body: string, ctx: TranslateContext, costOf: CostOf): AnswerBody {
  const out = adapter.response(op, body, ctx);
  const costUsd = costOf(out.usage);
  if (op !== 'embeddings') return { body: out.body, usage: out.usage, costUsd, upstreamId: null };
  const { text, upstreamId } = withIdentity(out.body, ctx);
  return { body: text, usage: out.usage, costUsd, upstreamId };
}

/** A whole answer's text with the gateway's identity in it (the upstream's id read on the way); unchanged without one. */
function withIdentity(body: string, ctx: TranslateContext): RewrittenText {
  const answer = ctx.answer;
  if (answer === undefined) return { text: body, upstreamId: null };
  return rewriteIdentity(body, answer) ?? { text: body, upstreamId: null };
}
