import { LocalRouterError } from '../../errors/index.js';
import type { Usage } from '../../model/index.js';
import type { TranslateContext } from '../adapter.js';
import { createNdjsonState, endNdjson, feedNdjson, type NdjsonState } from '../ndjson/parse-ndjson.js';
import { ollamaUsage, toOpenAILogprobs, toOpenAIToolCall } from './from-ollama-response.js';
import { mapOllamaFinishReason } from './map-ollama-finish-reason.js';
import { ollamaReportedError } from './map-ollama-error.js';
import type { OllamaChatChunk } from './ollama-types.js';

/**
 * Ollama's NDJSON chat stream → OpenAI `chat.completion.chunk` SSE ending with `data: [DONE]`.
 * Caller-owned state, no clock or id source of its own (both come from the context).
 */
export interface OllamaStreamState {
  ctx: TranslateContext;
  lines: NdjsonState;
  /** `{"id":...,"choices":[{"index":0,"delta":` — fixed once the first line names the model. */
  head: string;
  /** `,"usage":null` on every chunk when the client asked for the usage chunk, as OpenAI does. */
  usageNull: string;
  id: string;
  created: number;
  model: string;
  toolCalls: number;
  done: boolean;
  usage: Usage | null;
  /** An error the upstream reported: raised on the next call, once the text before it is out. */
  failure: LocalRouterError | null;
}

export function createOllamaStreamState(ctx: TranslateContext): OllamaStreamState {
  return {
    ctx, lines: createNdjsonState(), head: '', usageNull: ctx.clientWantsUsage ? ',"usage":null' : '',
    id: ctx.newId('chatcmpl-'), created: Math.floor(ctx.now() / 1000), model: ctx.model, toolCalls: 0, done: false, usage: null, failure: null,
  };
}

export function feedOllamaStream(state: OllamaStreamState, text: string): string {
  if (state.failure) throw state.failure;
  let out = '';
  feedNdjson(state.lines, text, (line) => { out += onLine(state, line); });
  if (state.failure && out.length === 0) throw state.failure;
  return out;
}

/** Upstream ended. A stream without its final `done` line was cut: that is an error, not a stop. */
export function endOllamaStream(state: OllamaStreamState): string {
  if (state.failure) throw state.failure;
  let out = '';
  endNdjson(state.lines, (line) => { out += onLine(state, line); });
  if (state.failure) throw state.failure;
  if (!state.done) {
    throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" ended the stream before its final message`);
  }
  return out;
}

function onLine(state: OllamaStreamState, line: string): string {
  if (state.failure || state.done) return '';
  let c: OllamaChatChunk;
  try {
    c = JSON.parse(line) as OllamaChatChunk;
  } catch {
    state.failure = new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${state.ctx.provider.name}" sent a stream line that is not JSON`);
    return '';
  }
  if (typeof c.error === 'string') {
    state.failure = ollamaReportedError(state.ctx.provider.name, c.error);
    return '';
  }
  let out = '';
  if (state.head.length === 0) {
    if (typeof c.model === 'string' && c.model.length > 0) state.model = c.model;
    state.head = `${envelope(state)},"choices":[{"index":0,"delta":`;
    out += chunk(state, '{"role":"assistant","content":""}', null, null);
  }
  const m = c.message;
  if (m) {
    if (typeof m.thinking === 'string' && m.thinking.length > 0) out += chunk(state, `{"reasoning_content":${JSON.stringify(m.thinking)}}`, null, null);
    const logprobs = Array.isArray(c.logprobs) && c.logprobs.length > 0 ? JSON.stringify(toOpenAILogprobs(c.logprobs)) : null;
    if (typeof m.content === 'string' && m.content.length > 0) out += chunk(state, `{"content":${JSON.stringify(m.content)}}`, null, logprobs);
    if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
      // Ollama sends each call whole, arguments as an object: one delta per batch, ids made here.
      const calls = m.tool_calls.map((t) => {
        const { id, type, function: f } = toOpenAIToolCall(t, state.ctx);
        return { index: state.toolCalls++, id, type, function: f };
      });
      out += chunk(state, `{"tool_calls":${JSON.stringify(calls)}}`, null, null);
    }
  }
  if (c.done === true) {
    state.done = true;
    state.usage = ollamaUsage(c);
    out += chunk(state, '{}', mapOllamaFinishReason(c.done_reason, state.toolCalls > 0), null);
    if (state.ctx.clientWantsUsage) {
      const { input: p, output: k } = state.usage;
      out += `data: ${envelope(state)},"choices":[],"usage":{"prompt_tokens":${p},"completion_tokens":${k},"total_tokens":${p + k}}}\n\n`;
    }
    out += 'data: [DONE]\n\n';
  }
  return out;
}

function envelope(state: OllamaStreamState): string {
  return `{"id":${JSON.stringify(state.id)},"object":"chat.completion.chunk","created":${state.created},"model":${JSON.stringify(state.model)}`;
}

function chunk(state: OllamaStreamState, delta: string, finish: string | null, logprobs: string | null): string {
  return `data: ${state.head}${delta},"logprobs":${logprobs ?? 'null'},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]${state.usageNull}}\n\n`;
}
