/**
 * The MCP actor's frames (protocol.ts, MCP section) as typed calls: `encodeMcp…` builds the frame of
 * one message, `decode…` hands each frame of a batch to the method of a handler named after it.
 * Callers batch the encoded frames (`FrameBatcher`), so the wire stays one array of frames per
 * event-loop turn per direction.
 */
import {
  MCP_FRAME, type FromMcpFrame, type McpActorConfig, type McpCallInfo, type McpJsonRpcMessage, type McpJsonText, type McpOAuthState, type McpServerStatus, type McpSessionInfo,
  type SkillModelAnswer, type ToMcpFrame,
} from './protocol.js';

// ---- ingress → MCP actor ----

export function encodeMcpConfig(config: McpActorConfig): ToMcpFrame {
  return [MCP_FRAME.CONFIG, 0, config];
}

export function encodeMcpOpen(session: number, info: McpSessionInfo): ToMcpFrame {
  return [MCP_FRAME.OPEN, session, info];
}

export function encodeMcpMessage(session: number, message: McpJsonRpcMessage): ToMcpFrame {
  return [MCP_FRAME.MESSAGE, session, message];
}

export function encodeMcpClose(session: number): ToMcpFrame {
  return [MCP_FRAME.CLOSE, session];
}

export function encodeMcpStatus(request: number): ToMcpFrame {
  return [MCP_FRAME.STATUS, request];
}

/** The answer to a SAMPLE request: a chat completion (JSON text), or an error message. */
export function encodeMcpSampled(request: number, completion: string | null, error: string | null): ToMcpFrame {
  return [MCP_FRAME.SAMPLED, request, completion, error];
}

export function encodeMcpInterned(names: string[], ids: number[]): ToMcpFrame {
  return [MCP_FRAME.INTERNED, 0, names, ids];
}

/** The answer to MODEL_CALL `request`: the model's answer, or an error message. */
export function encodeMcpModelAnswer(request: number, answer: SkillModelAnswer | null, error: string | null): ToMcpFrame {
  return [MCP_FRAME.MODEL_ANSWER, request, answer, error];
}

export function encodeMcpToolAdmitted(request: number, refusal: string | null): ToMcpFrame {
  return [MCP_FRAME.TOOL_ADMITTED, request, refusal];
}

// ---- MCP actor → ingress ----

/** A skill's tool step of the client of `session`, to admit against its limits before it is called. */
export function encodeMcpToolAdmit(request: number, session: number, tool: string): FromMcpFrame {
  return [MCP_FRAME.TOOL_ADMIT, request, session, tool];
}

/** A skill's `llm` step for the client of `session`: `body` is an OpenAI chat completion request (JSON text). */
export function encodeMcpModelCall(request: number, session: number, body: string): FromMcpFrame {
  return [MCP_FRAME.MODEL_CALL, request, session, body];
}

export function encodeMcpModelCancel(request: number): FromMcpFrame {
  return [MCP_FRAME.MODEL_CANCEL, request];
}

/** A message for the client of `session`, on the stream of client request `related` (null: the session's own); `final` ends that request. */
export function encodeMcpSend(session: number, json: McpJsonText, related: string | number | null, final: boolean): FromMcpFrame {
  return [MCP_FRAME.SEND, session, json, related, final];
}

export function encodeMcpClosed(session: number): FromMcpFrame {
  return [MCP_FRAME.CLOSED, session];
}

export function encodeMcpStatusResult(request: number, servers: McpServerStatus[]): FromMcpFrame {
  return [MCP_FRAME.STATUS_RESULT, request, servers];
}

export function encodeMcpSample(request: number, session: number, body: string): FromMcpFrame {
  return [MCP_FRAME.SAMPLE, request, session, body];
}

export function encodeMcpIntern(names: string[]): FromMcpFrame {
  return [MCP_FRAME.INTERN, 0, names];
}

export function encodeMcpLog(level: McpLogLevel, fields: Record<string, unknown>, message: string): FromMcpFrame {
  return [MCP_FRAME.LOG, 0, level, fields, message];
}

/** What the actor knows of client request `request` of `session` (sent before its response). */
export function encodeMcpCall(session: number, request: string | number, call: McpCallInfo): FromMcpFrame {
  return [MCP_FRAME.CALL, session, request, call];
}

/** New OAuth state of upstream `server` (refreshed tokens), for the secret store. */
export function encodeMcpOAuthSaved(server: string, state: McpOAuthState): FromMcpFrame {
  return [MCP_FRAME.OAUTH_SAVED, 0, server, state];
}

export function encodeMcpReady(): FromMcpFrame {
  return [MCP_FRAME.READY, 0];
}

export type McpLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * What a frame carried, for failing just that when it could not be sent or handled. Never the frame
 * itself: nothing outside src/workers/ reads frames.
 */
export interface McpFrameInfo {
  /** Its kind (an `MCP_FRAME` value), for logs. */
  kind: number;
  /** Its id slot (a session, a request number, or 0), for logs. */
  id: number;
  /** The client session it belongs to; null if none. */
  session: number | null;
  /** The client request it carries (a MESSAGE with a method and an id) or answers (a final SEND); null if none. */
  request: string | number | null;
  /** It opens its session (OPEN). */
  opens: boolean;
}

function requestId(message: McpJsonRpcMessage): string | number | null {
  const { id, method } = message;
  return typeof method === 'string' && (typeof id === 'string' || typeof id === 'number') ? id : null;
}

export function describeToMcp(f: ToMcpFrame): McpFrameInfo {
  const info: McpFrameInfo = { kind: f[0], id: f[1], session: null, request: null, opens: f[0] === MCP_FRAME.OPEN };
  if (f[0] === MCP_FRAME.OPEN || f[0] === MCP_FRAME.CLOSE) info.session = f[1];
  else if (f[0] === MCP_FRAME.MESSAGE) {
    info.session = f[1];
    info.request = requestId(f[2]);
  }
  return info;
}

export function describeFromMcp(f: FromMcpFrame): McpFrameInfo {
  const info: McpFrameInfo = { kind: f[0], id: f[1], session: null, request: null, opens: false };
  if (f[0] === MCP_FRAME.SEND) {
    info.session = f[1];
    if (f[4]) info.request = f[3];
  } else if (f[0] === MCP_FRAME.CLOSED) info.session = f[1];
  else if (f[0] === MCP_FRAME.SAMPLE || f[0] === MCP_FRAME.MODEL_CALL || f[0] === MCP_FRAME.TOOL_ADMIT) info.session = f[2];
  return info;
}

/** What the MCP actor is asked. */
export interface ToMcpHandler {
  onConfig(config: McpActorConfig): void;
  onOpen(session: number, info: McpSessionInfo): void;
  onMessage(session: number, message: McpJsonRpcMessage): void;
  onClose(session: number): void;
  onStatus(request: number): void;
  onSampled(request: number, completion: string | null, error: string | null): void;
  onInterned(names: string[], ids: number[]): void;
  onModelAnswer(request: number, answer: SkillModelAnswer | null, error: string | null): void;
  onToolAdmitted(request: number, refusal: string | null): void;
  /** A method above threw on a frame: fail what it carried, the rest of the batch goes on. */
  onFailed(err: unknown, frame: McpFrameInfo): void;
}

/** What the MCP actor tells the ingress. */
export interface FromMcpHandler {
  onSend(session: number, json: McpJsonText, related: string | number | null, final: boolean): void;
  onClosed(session: number): void;
  onStatusResult(request: number, servers: McpServerStatus[]): void;
  onSample(request: number, session: number, body: string): void;
  onIntern(names: string[]): void;
  onLog(level: McpLogLevel, fields: Record<string, unknown>, message: string): void;
  onReady(): void;
  onCall(session: number, request: string | number, call: McpCallInfo): void;
  onOAuthSaved(server: string, state: McpOAuthState): void;
  onModelCall(request: number, session: number, body: string): void;
  onModelCancel(request: number): void;
  onToolAdmit(request: number, session: number, tool: string): void;
  /** A method above threw on a frame: fail what it carried, the rest of the batch goes on. */
  onFailed(err: unknown, frame: McpFrameInfo): void;
}

/** One frame for the MCP actor (see {@link decodeToMcp}). */
export function dispatchToMcp(f: ToMcpFrame, handler: ToMcpHandler): void {
  try {
    switch (f[0]) {
      case MCP_FRAME.CONFIG: return handler.onConfig(f[2]);
      case MCP_FRAME.OPEN: return handler.onOpen(f[1], f[2]);
      case MCP_FRAME.MESSAGE: return handler.onMessage(f[1], f[2]);
      case MCP_FRAME.CLOSE: return handler.onClose(f[1]);
      case MCP_FRAME.STATUS: return handler.onStatus(f[1]);
      case MCP_FRAME.SAMPLED: return handler.onSampled(f[1], f[2], f[3]);
      case MCP_FRAME.INTERNED: return handler.onInterned(f[2], f[3]);
      case MCP_FRAME.MODEL_ANSWER: return handler.onModelAnswer(f[1], f[2], f[3]);
      case MCP_FRAME.TOOL_ADMITTED: return handler.onToolAdmitted(f[1], f[2]);
    }
  } catch (err) {
    handler.onFailed(err, describeToMcp(f));
  }
}

/** A batch for the MCP actor; a frame whose handler throws goes to `onFailed`, and the batch goes on. */
export function decodeToMcp(frames: ToMcpFrame[], handler: ToMcpHandler): void {
  for (let i = 0; i < frames.length; i++) dispatchToMcp(frames[i]!, handler);
}

/** A batch from the MCP actor; a frame whose handler throws goes to `onFailed`, and the batch goes on. */
export function decodeFromMcp(frames: FromMcpFrame[], handler: FromMcpHandler): void {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    try {
      switch (f[0]) {
        case MCP_FRAME.SEND: handler.onSend(f[1], f[2], f[3], f[4]); break;
        case MCP_FRAME.CLOSED: handler.onClosed(f[1]); break;
        case MCP_FRAME.STATUS_RESULT: handler.onStatusResult(f[1], f[2]); break;
        case MCP_FRAME.SAMPLE: handler.onSample(f[1], f[2], f[3]); break;
        case MCP_FRAME.INTERN: handler.onIntern(f[2]); break;
        case MCP_FRAME.LOG: handler.onLog(f[2], f[3], f[4]); break;
        case MCP_FRAME.READY: handler.onReady(); break;
        case MCP_FRAME.CALL: handler.onCall(f[1], f[2], f[3]); break;
        case MCP_FRAME.OAUTH_SAVED: handler.onOAuthSaved(f[2], f[3]); break;
        case MCP_FRAME.MODEL_CALL: handler.onModelCall(f[1], f[2], f[3]); break;
        case MCP_FRAME.MODEL_CANCEL: handler.onModelCancel(f[1]); break;
        case MCP_FRAME.TOOL_ADMIT: handler.onToolAdmit(f[1], f[2], f[3]); break;
      }
    } catch (err) {
      handler.onFailed(err, describeFromMcp(f));
    }
  }
}
