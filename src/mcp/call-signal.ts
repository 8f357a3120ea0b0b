/**
 * The cancel signal of a client's tool call on the session's fast path (see `ClientSession`).
 *
 * Node 20's `AbortSignal` gets hidden classes of its own for every instance (its constructor
 * changes the prototype of an `EventTarget` and then adds fields, and V8 caches no transition
 * from there). One per call, as the SDK's `Protocol` makes for every request it handles, made the
 * MCP actor's young-generation collections keep ~1 MB of finished calls alive at each collection
 * until they were promoted (`--trace-gc-nvp`; bench/micro/mcp/call-signal-gc.ts measures both).
 * This one has a single shape. It has what the SDK client and this gateway read of a signal
 * (`aborted`, `reason`, `throwIfAborted`, abort listeners); `abortSignalOf` turns it into a real
 * `AbortSignal`, once, for code that needs one (`AbortSignal.any`).
 */
export class CallSignal {
  aborted = false;
  reason: unknown = undefined;
  onabort: ((this: CallSignal, ev: AbortEvent) => unknown) | null = null;
  #listeners: AbortListener[] = [];
  #real: AbortController | null = null;

  throwIfAborted(): void {
    if (this.aborted) throw this.reason;
  }

  addEventListener(type: string, listener: AbortListener | null, options?: boolean | { once?: boolean; signal?: AbortSignal }): void {
    if (type !== 'abort' || listener === null || this.aborted) return;
    if (this.#listeners.includes(listener)) return;
    this.#listeners.push(listener);
    // `once` needs nothing more: abort happens once, and the listeners are dropped then.
    const remover = typeof options === 'object' ? options.signal : undefined;
    remover?.addEventListener('abort', () => this.removeEventListener(type, listener), { once: true });
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || listener === null) return;
    const at = this.#listeners.indexOf(listener);
    if (at >= 0) this.#listeners.splice(at, 1);
  }

  /** A real `AbortSignal` that aborts with this one (made on the first call). */
  toAbortSignal(): AbortSignal {
    if (this.#real === null) {
      this.#real = new AbortController();
      if (this.aborted) this.#real.abort(this.reason);
    }
    return this.#real.signal;
  }

  /** Aborts the call: `onabort` and each listener run once, in the order they were added. */
  abort(reason: unknown = new DOMException('This operation was aborted', 'AbortError')): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = [];
    const event: AbortEvent = { type: 'abort', target: this };
    this.#real?.abort(reason);
    if (this.onabort !== null) callListener(this.onabort, event, this);
    for (const listener of listeners) callListener(listener, event, this);
  }
}

export interface AbortEvent {
  readonly type: 'abort';
  readonly target: CallSignal;
}

type AbortListener = ((ev: AbortEvent) => unknown) | { handleEvent(ev: AbortEvent): unknown };

/**
 * A listener that throws does not stop the others, nor reach the actor's last-resort handler as an
 * EventTarget's would: the listeners here (the SDK client's cancel, the v2 client's stop) settle
 * their call's promise, and the call's answer says what happened.
 */
function callListener(listener: AbortListener, event: AbortEvent, target: CallSignal): void {
  try {
    if (typeof listener === 'function') listener.call(target, event);
    else listener.handleEvent(event);
  } catch {
    // see above
  }
}

/** The signal as a real `AbortSignal` (a `CallSignal` makes one; anything else is one already). */
export function abortSignalOf(signal: AbortSignal | undefined): AbortSignal | undefined {
  return signal instanceof CallSignal ? signal.toAbortSignal() : signal;
}

/** A `CallSignal` typed as the `AbortSignal` the SDK's and this gateway's signatures ask for. */
export function asAbortSignal(signal: CallSignal): AbortSignal {
  return signal as unknown as AbortSignal;
}
