import { fromPlain, LocalRouterError } from '../errors/index.js';
import type { Attempt, CallController, CallHandler, CallRequest, PlainError, UpstreamEngine } from '../model/index.js';

/** A whole, non-streamed answer from the engine. */
export interface WholeAnswer {
  status: number;
  contentType: string;
  body: string;
}

/**
 * Runs a non-streamed call (the gateway's own: model lists, MCP sampling) and resolves with its
 * answer, whatever its status; a failed call rejects with its coded error. `onAttempt` sees every try.
 */
export function callForAnswer(engine: UpstreamEngine, request: CallRequest, onAttempt: (attempt: Attempt) => void = ignore): Promise<WholeAnswer> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let controller: CallController | null = null;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    const handler: CallHandler = {
      onAttempt,
      onStart() {
        if (!settle()) return;
        controller?.abort();
        reject(new LocalRouterError('LR_ERR_INTERNAL', 'the engine streamed an answer to a call that asked for a whole one'));
      },
      onChunk: ignore,
      onEnd: ignore,
      onResponse(status: number, contentType: string, body: string) {
        if (settle()) resolve({ status, contentType, body });
      },
      onError(error: PlainError) {
        if (settle()) reject(fromPlain(error));
      },
    };
    controller = engine.call(request, handler);
  });
}

function ignore(): void {}
