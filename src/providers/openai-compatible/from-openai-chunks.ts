import { LocalRouterError } from '../../errors/index.js';
import type { FinishReason, PlainError, StreamPart, ThinkingBlock, Usage } from '../../model/index.js';
import type { PartStream, TranslateContext } from '../adapter.js';
import { createSseState, endSse, feedSse, type SseEvent } from '../../model/index.js';
import { scanOpenAIBody } from './scan-body.js';
import { usageOf } from './usage.js';

/** The slice of a `chat.completion.chunk` read here; every field is checked where it is used. */
interface Chunk {
  id?: unknown;
  created?: unknown;
  model?: unknown;
  choices?: { index?: number; delta?: Delta; finish_reason?: string | null }[] | null;
  usage?: Parameters<typeof usageOf>[0];
  error?: OpenAIErrorObject | null;
}

interface Delta {
  content?: string | null;
  refusal?: string | null;
  /** DeepSeek, vLLM, llama.cpp... name it `reasoning_content`; OpenRouter and Ollama `reasoning`. */
  reasoning_content?: string | null;
  reasoning?: string | null;
  thinking_blocks?: ThinkingBlock[] | null;
  tool_calls?: { index?: number; id?: string; function?: { name?: string; arguments?: string } }[] | null;
}

/** An OpenAI error object, as an upstream reports it inside a stream or in a 2xx body. */
export interface OpenAIErrorObject {
  message?: unknown;
  type?: unknown;
  code?: unknown;
  param?: unknown;
}

const FINISHED = /"finish_reason"\s*:\s*"/;

/**
 * An OpenAI chat-completions SSE stream → parts, for clients of another dialect (an OpenAI-chat
 * client gets the bytes as they are). Choice 0 only: the other dialects carry one answer. The finish
 * waits for the usage chunk the gateway always asks for (or `[DONE]`, or the end of the body), so it
 * carries the usage; a `[DONE]` without a finish reason finishes as `stop`. An `error` object in the
 * stream becomes an error part (the client's dialect relays it) and nothing after it is translated;
 * as for an OpenAI-chat client, whose bytes pass through, the call still fails at the end, with that
 * error marked as relayed (the client gets no second terminal event), unless the upstream sent a
 * finish reason or `[DONE]` after all. An event that is not a JSON object, or a body
 * that ends before a finish reason or `[DONE]`, throws LR_ERR_UPSTREAM_BAD_RESPONSE.
 */
export function createOpenAIPartStream(ctx: TranslateContext): PartStream {
  const provider = ctx.provider.name;
  const sse = createSseState();
  let started = false;
  let done = false;
  /**
   * The error the upstream reported, already relayed to the client as an error part: nothing more is
   * translated, but the end is still checked as the pass-through checks it.
   */
  let failedWith: PlainError | null = null;
  let sawEnd = false;
  let finish: FinishReason | null = null;
  let usage: Usage | null = null;
  /** Started calls by index, with whether they have a name yet. */
  const calls = new Map<number, boolean>();

  const flushFinish = (out: StreamPart[], reason: FinishReason): void => {
    for (const index of calls.keys()) out.push({ type: 'tool-call-end', index });
    out.push({ type: 'finish', reason, usage });
    done = true;
  };

  const onDelta = (d: Delta, out: StreamPart[]): void => {
    const reasoning = d.reasoning_content ?? d.reasoning;
    if (typeof reasoning === 'string' && reasoning.length > 0) out.push({ type: 'reasoning-delta', text: reasoning });
    if (Array.isArray(d.thinking_blocks)) {
      for (const b of d.thinking_blocks) {
        if (b?.type === 'thinking') out.push({ type: 'reasoning-end', text: b.thinking ?? '', signature: b.signature ?? '' });
        else if (b?.type === 'redacted_thinking') out.push({ type: 'redacted-reasoning', data: b.data });
      }
    }
    if (typeof d.content === 'string' && d.content.length > 0) out.push({ type: 'text-delta', text: d.content });
    if (typeof d.refusal === 'string' && d.refusal.length > 0) out.push({ type: 'refusal-delta', text: d.refusal });
    if (!Array.isArray(d.tool_calls)) return;
    for (const tc of d.tool_calls) {
      const index = typeof tc.index === 'number' ? tc.index : 0;
      const name = typeof tc.function?.name === 'string' ? tc.function.name : '';
      const args = typeof tc.function?.arguments === 'string' ? tc.function.arguments : '';
      const named = calls.get(index);
      if (named === undefined) {
        calls.set(index, name.length > 0);
        out.push({ type: 'tool-call-start', index, id: typeof tc.id === 'string' ? tc.id : '', name, args });
      } else if (!named && name.length > 0) {
        // Some upstreams send the name after the first delta.
        calls.set(index, true);
        out.push({ type: 'tool-call-delta', index, args, name });
      } else if (args.length > 0) {
        out.push({ type: 'tool-call-delta', index, args });
      }
    }
  };

  const onEvent = (ev: SseEvent, out: StreamPart[]): void => {
    if (ev.data === null) return;
    if (failedWith !== null) {
      // Relayed already; the stream still ends as cut short unless the upstream finished it.
      if (ev.data === '[DONE]' || FINISHED.test(ev.data)) sawEnd = true;
      return;
    }
    if (done) return;
    if (ev.data === '[DONE]') {
      flushFinish(out, finish ?? 'stop');
      return;
    }
    const chunk = parseChunk(ev.data, provider);
    if (chunk.error !== undefined && chunk.error !== null) {
      const error = streamError(chunk.error);
      out.push({ type: 'error', error });
      failedWith = error;
      return;
    }
    if (!started) {
      started = true;
      out.push({
        type: 'response-start',
        id: typeof chunk.id === 'string' ? chunk.id : '',
        model: typeof chunk.model === 'string' && chunk.model.length > 0 ? chunk.model : ctx.model,
        created: typeof chunk.created === 'number' ? chunk.created : Math.floor(ctx.now() / 1000),
      });
    }
    const choice = Array.isArray(chunk.choices) ? chunk.choices.find((c) => (c.index ?? 0) === 0) : undefined;
    if (choice?.delta) onDelta(choice.delta, out);
    if (typeof choice?.finish_reason === 'string' && choice.finish_reason.length > 0) finish = finishReasonOf(choice.finish_reason);
    const hasUsage = chunk.usage !== null && typeof chunk.usage === 'object';
    if (hasUsage) usage = usageOf(chunk.usage);
    if (finish !== null && hasUsage) flushFinish(out, finish);
  };

  return {
    feed(text) {
      const out: StreamPart[] = [];
      feedSse(sse, text, (ev) => onEvent(ev, out));
      return out;
    },
    end() {
      const out: StreamPart[] = [];
      endSse(sse, (ev) => onEvent(ev, out));
      if (done || (failedWith !== null && sawEnd)) return out;
      if (failedWith !== null) throw relayedError(failedWith);
      if (finish === null) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" ended the stream before a finish_reason or [DONE]`);
      flushFinish(out, finish);
      return out;
    },
  };
}

function parseChunk(data: string, provider: string): Chunk {
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch { /* reported below */ }
  if (typeof chunk !== 'object' || chunk === null || Array.isArray(chunk)) {
    const scan = scanOpenAIBody(data);
    const why = scan.ok ? 'it is not valid JSON' : scan.reason;
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" sent a stream event that is not a JSON object (${why})`);
  }
  return chunk as Chunk;
}

/** OpenAI finish reasons, with the deprecated `function_call` read as `tool_calls`; anything else is a stop. */
export function finishReasonOf(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'length': return 'length';
    case 'tool_calls':
    case 'function_call': return 'tool_calls';
    case 'content_filter': return 'content_filter';
    default: return 'stop';
  }
}

/** Error types (OpenAI's and Anthropic's, which some OpenAI-compatible servers relay) → the HTTP status they stand for. */
const STATUS_OF_TYPE: Record<string, number> = {
  invalid_request_error: 400, authentication_error: 401, billing_error: 402, insufficient_quota: 402, permission_error: 403,
  not_found_error: 404, request_too_large: 413, rate_limit_error: 429, rate_limit_exceeded: 429, api_error: 500, server_error: 500,
  overloaded_error: 529, timeout_error: 504,
};

/**
 * An upstream's error object as the error to relay: its message as is, the status its code or type
 * stands for (502 when neither says), and the object itself as the body OpenAI-shaped dialects relay.
 */
/**
 * The call's failure after an upstream error event was relayed: the upstream's own error, so the
 * request log and metrics class it as what it was, marked so the client gets no second terminal event.
 */
export function relayedError(error: PlainError): LocalRouterError {
  return new LocalRouterError(error.code, error.message, { status: error.status, param: error.param ?? null, relayed: true });
}

export function streamError(e: OpenAIErrorObject): PlainError {
  const statusOf = (v: unknown): number | undefined => (typeof v === 'string' && Object.hasOwn(STATUS_OF_TYPE, v) ? STATUS_OF_TYPE[v] : undefined);
  const error: PlainError = {
    code: 'LR_ERR_UPSTREAM_STATUS',
    message: typeof e.message === 'string' && e.message.length > 0 ? e.message : 'upstream error',
    status: statusOf(e.code) ?? statusOf(e.type) ?? 502,
    upstreamBody: JSON.stringify({ error: e }),
  };
  if (typeof e.param === 'string') error.param = e.param;
  return error;
}
