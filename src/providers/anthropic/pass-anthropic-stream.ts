import { LocalRouterError, type PlainError } from '../../errors/index.js';
import type { Usage } from '../../model/index.js';
import type { AnswerIdentity, TranslateContext } from '../adapter.js';
import { memberValueStart, rewriteIdentity } from '../answer-identity.js';
import { scanOpenAIBody } from '../openai-compatible/scan-body.js';
import { createSseState, endSse, feedSse, type SseEvent } from '../../model/index.js';
import { mapAnthropicStreamError } from './map-anthropic-error.js';
import { emptyCounters, mergeUsage, toUsage } from './map-anthropic-usage.js';
import type { AnthropicMessage, AnthropicStopReason, AnthropicUsage } from './wire-types.js';

/** A same-dialect stream: upstream text in, the client's bytes out, the usage read on the way. */
export interface PassStream {
  feed(text: string): string;
  end(): string;
  readonly usage: Usage | null;
  /** The upstream's message id (the client sees `ctx.answer`'s), once `message_start` came. */
  readonly upstreamId: string | null;
}

/** Events whose data is read (few and small); content events are only checked to be JSON objects. */
const READ = new Set(['message_start', 'message_delta', 'message_stop', 'error']);
const MESSAGE_STOP = 'event: message_stop\ndata: {"type":"message_stop"}\n\n';

/**
 * An Anthropic upstream's stream for an Anthropic-SDK client: every event passes through byte for
 * byte (so `message_start` carries the real input and cache usage, ids and stop sequences are the
 * upstream's own), while the usage is read from `message_start` and `message_delta`. What reaches
 * the client is checked on the way: an event that is not a JSON object, or content before
 * `message_start`, fails the stream; an upstream `error` event fails it with a coded error (the
 * ingress writes the client's error event, after everything before it); a stream that ends after
 * its stop reason without `message_stop` gets one; one that ends before its stop reason was cut short.
 */
export function createAnthropicPassStream(ctx: TranslateContext): PassStream {
  const provider = ctx.provider.name;
  const sse = createSseState();
  const counters = emptyCounters();
  let started = false;
  let stopReason: AnthropicStopReason | null = null;
  let stopped = false;
  let failure: PlainError | null = null;
  let upstreamId: string | null = null;

  const onEvent = (ev: SseEvent): string => {
    if (stopped || failure !== null) return '';
    if (ev.data === null) return ev.raw;
    const named = ev.event;
    if (named !== null && !READ.has(named)) {
      const scan = scanOpenAIBody(ev.data);
      if (!scan.ok) throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" sent an event that is not JSON (${scan.reason})`);
      if (!started && named.startsWith('content_block')) notStarted(provider);
      return ev.raw;
    }
    let data: { type?: string; message?: AnthropicMessage; delta?: { stop_reason?: AnthropicStopReason | null }; usage?: AnthropicUsage };
    try {
      data = JSON.parse(ev.data) as typeof data;
    } catch {
      throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" sent an event that is not JSON`);
    }
    switch (data.type ?? named) {
      case 'message_start':
        started = true;
        mergeUsage(counters, data.message?.usage);
        if (typeof data.message?.id === 'string') upstreamId = data.message.id;
        if (ctx.answer !== undefined) return withIdentity(ev, ctx.answer);
        break;
      case 'message_delta':
        if (data.delta?.stop_reason) stopReason = data.delta.stop_reason;
        mergeUsage(counters, data.usage);
        break;
      case 'message_stop':
        stopped = true;
        break;
      case 'error':
        failure = mapAnthropicStreamError(provider, ev.data);
        return '';
      default:
        if (!started && (data.type ?? '').startsWith('content_block')) notStarted(provider);
    }
    return ev.raw;
  };

  const raise = (): void => {
    if (failure !== null) throw new LocalRouterError(failure.code, failure.message, { status: failure.status });
  };

  return {
    feed(text) {
      raise();
      let out = '';
      feedSse(sse, text, (ev) => { out += onEvent(ev); });
      if (out.length === 0) raise();
      return out;
    },
    end() {
      raise();
      let out = '';
      endSse(sse, (ev) => { out += terminated(onEvent(ev)); });
      raise();
      if (stopped) return out;
      if (stopReason !== null) return out + MESSAGE_STOP;
      throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" ended the stream before message_stop`);
    },
    get usage() { return started ? toUsage(counters) : null; },
    get upstreamId() { return upstreamId; },
  };
}

/**
 * `message_start` with the gateway's id and `provider/model` spliced into its `message` (the rest
 * of its bytes as they came); data on several `data:` lines is written back on one.
 */
function withIdentity(ev: SseEvent, answer: AnswerIdentity): string {
  const data = ev.data!;
  const open = memberValueStart(data, 'message');
  const rewritten = open === -1 ? null : rewriteIdentity(data, answer, open);
  if (rewritten === null || rewritten.text === data) return ev.raw;
  const at = ev.raw.indexOf(data);
  return at === -1 ? `event: message_start\ndata: ${rewritten.text}\n\n` : ev.raw.slice(0, at) + rewritten.text + ev.raw.slice(at + data.length);
}

function notStarted(provider: string): never {
  throw new LocalRouterError('LR_ERR_UPSTREAM_BAD_RESPONSE', `provider "${provider}" streamed content before message_start`);
}

/** The event flushed at the end of the body may lack its blank line: the client gets it terminated. */
function terminated(raw: string): string {
  if (raw.length === 0 || raw.endsWith('\n\n') || raw.endsWith('\r\n\r\n') || raw.endsWith('\r\r')) return raw;
  return raw.endsWith('\n') || raw.endsWith('\r') ? `${raw}\n` : `${raw}\n\n`;
}
