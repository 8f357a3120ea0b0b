import { encodeMcpModelCall, encodeMcpModelCancel, encodeMcpToolAdmit, type FromMcpFrame, type SkillModelAnswer } from '../workers/index.js';
import type { Item } from './upstream-types.js';

/**
 * What skill runs in the MCP actor ask of the ingress, which owns the clients: an `llm` step's chat
 * completion through the gateway's routing as the client (MODEL_CALL, MODEL_CANCEL when the run
 * stops), and a tool step's admission against the client's limits (TOOL_ADMIT). Answers come back
 * by request number.
 */
export class SkillIngress {
  readonly #post: (frame: FromMcpFrame) => void;
  readonly #models = new Map<number, { resolve(v: SkillModelAnswer): void; reject(e: Error): void }>();
  readonly #admits = new Map<number, (refusal: string | null) => void>();
  #seq = 0;

  constructor(post: (frame: FromMcpFrame) => void) {
    this.#post = post;
  }

  /** Null when the client of `session` may call `tool` now (its limits are charged), else why not. */
  admitTool(session: number, tool: string): Promise<string | null> {
    const id = ++this.#seq;
    return new Promise((resolve) => {
      this.#admits.set(id, resolve);
      this.#post(encodeMcpToolAdmit(id, session, tool));
    });
  }

  admitted(request: number, refusal: string | null): void {
    const waiting = this.#admits.get(request);
    this.#admits.delete(request);
    waiting?.(refusal);
  }

  /** A chat completion (OpenAI body) as the client of `session`; aborting `signal` cancels it at the ingress. */
  callModel(session: number, body: Item, signal: AbortSignal): Promise<SkillModelAnswer> {
    if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.#models.delete(id)) return;
        this.#post(encodeMcpModelCancel(id));
        reject(signal.reason instanceof Error ? signal.reason : new Error('cancelled'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#models.set(id, {
        resolve: (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
        reject: (e) => { signal.removeEventListener('abort', onAbort); reject(e); },
      });
      this.#post(encodeMcpModelCall(id, session, JSON.stringify(body)));
    });
  }

  answered(request: number, answer: SkillModelAnswer | null, error: string | null): void {
    const pending = this.#models.get(request);
    if (pending === undefined) return;
    this.#models.delete(request);
    if (answer === null) pending.reject(new Error(error ?? 'the model call failed'));
    else pending.resolve(answer);
  }
}
