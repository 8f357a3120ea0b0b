import { LocalRouterError } from '../../errors/index.js';
import type { StreamPart } from '../../model/index.js';
import type { PartStream, TranslateContext } from '../adapter.js';
import { createNdjsonState, endNdjson, feedNdjson, type NdjsonState } from '../ndjson/parse-ndjson.js';
import { logprobsOf, ollamaUsage, toolCallOf } from './from-ollama-response.js';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.js';
import { ollamaReportedError } from './map-ollama-error.js';
import type { OllamaChatChunk } from './ollama-types.js';

/** Ollama's NDJSON chat stream → parts. Caller-owned state, no clock or id source of its own (both come from the context). */
export interface OllamaStreamState {
  ctx: TranslateContext;
  lines: NdjsonState;
  started: boolean;
  toolCalls: number;
  done: boolean;
  /** An error the upstream reported: raised on the next call, once the parts before it are out. */
  failure: LocalRouterError | null;
}

export function createOllamaStreamState(ctx: TranslateContext): OllamaStreamState {
  return { ctx, lines: createNdjsonState(), started: false, toolCalls: 0, done: false, failure: null };
}

/**
 * Ollama's stream → parts: the first line starts the answer (the model it names), thinking is
 * reasoning, content is text (with its logprobs when asked for), tool calls arrive whole (ids are
 * made here), and the `done` line finishes with the usage.
 */
export function createOllamaPartStream(ctx: TranslateContext): PartStream {
  const state = createOllamaStreamState(ctx);
  return { feed: (text) => feedOllamaStream(state, text), end: () => endOllamaStream(state) };
}

export function feedOllamaStream(state: OllamaStreamState, text: string): StreamPart[] {
  if (state.failure) throw state.failure;
  const out: StreamPart[] = [];
  feedNdjson(state.lines, text, (line) => onLine(state, line, out));
  if (state.failure && out.length === 0) throw state.failure;
  return out;
}

/** Upstream ended. A stream without its final `done` line was cut: that is an error, not a stop. */
export function endOllamaStream(state: OllamaStreamState): StreamPart[] {
  if (state.failure) throw state.failure;
  const out: StreamPart[] = [];
  endNdjson(state.lines, (line) => onLine(state, line, out));
  if (state.failure) throw state.failure;
  if (!state.done) {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" ended the stream before its final message`);
  }
  return out;
}

function onLine(state: OllamaStreamState, line: string, out: StreamPart[]): void {
  if (state.failure || state.done) return;
  let c: OllamaChatChunk;
  try {
    c = JSON.parse(line) as OllamaChatChunk;
  } catch {
    state.failure = new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" sent a stream line that is not JSON`);
    return;
  }
  if (typeof c.error === 'string') {
    state.failure = ollamaReportedError(state.ctx.provider.name, c.error);
    return;
  }
  if (!state.started) {
    state.started = true;
    const model = typeof c.model === 'string' && c.model.length > 0 ? c.model : state.ctx.model;
    out.push({ type: 'response-start', id: state.ctx.newId('chatcmpl-'), model, created: Math.floor(state.ctx.now() / 1000) });
  }
  const m = c.message;
  if (m) {
    if (typeof m.thinking === 'string' && m.thinking.length > 0) out.push({ type: 'reasoning-delta', text: m.thinking });
    if (typeof m.content === 'string' && m.content.length > 0) {
      out.push(Array.isArray(c.logprobs) && c.logprobs.length > 0
        ? { type: 'text-delta', text: m.content, logprobs: logprobsOf(c.logprobs) }
        : { type: 'text-delta', text: m.content });
    }
    if (Array.isArray(m.tool_calls)) {
      // Ollama sends each call whole, arguments as an object.
      for (const t of m.tool_calls) {
        const { id, name, arguments: args } = toolCallOf(t, state.ctx);
        const index = state.toolCalls++;
        out.push({ type: 'tool-call-start', index, id, name, args }, { type: 'tool-call-end', index });
      }
    }
  }
  if (c.done === true) {
    state.done = true;
    out.push({ type: 'finish', reason: mapOllamaFinishReason(c.done_reason, state.toolCalls > 0), usage: ollamaUsage(c) });
  }
}
