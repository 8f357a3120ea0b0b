import { randomUUID } from 'node:crypto';

type Item = Record<string, unknown>;

/** Requests an upstream made of the client during a call (sampling, elicitation, roots), by the key the client answers under. */
export type InputRequests = Record<string, { method: string; params?: Item }>;

/** How one HTTP round of a call ends: the call's answer (a JSON-RPC response), or requests for the client to fulfil first. */
export type RoundOutcome = { kind: 'answer'; answer: Item } | { kind: 'input'; requests: InputRequests };

/** One HTTP request of a call (the first, or a retry carrying answers): where its outcome and progress go. */
export interface CallRound {
  settle(outcome: RoundOutcome): void;
  notify(method: string, params: Item | undefined): void;
}

export interface BridgedCallDeps {
  /** A message to the call's actor session. */
  deliver(message: Item): void;
  /** The call is over (answered, cancelled, expired): its actor session ends. */
  end(call: BridgedCall): void;
  /** The call waits for the client's answers (`true`), or no longer does. */
  parked(call: BridgedCall, waiting: boolean): void;
  /** How long a parked call waits for the client to come back. */
  parkMs: number;
  /**
   * Why an upstream request cannot go to the client of the round that resumes the call, given the
   * capabilities that round's request declared (each round declares its own), or null when it can.
   */
  refusal?(request: { method: string; params?: Item }, declared: Item | undefined): string | null;
}

/** The JSON-RPC id of the call's request in its actor session. */
export const CALL_ID = 1;

/**
 * One call of a 2026-07-28 client answered by the MCP actor, across the HTTP rounds of the
 * multi-round-trip pattern. When the upstream asks the client something mid-call (a legacy
 * server's sampling or elicitation request), the round ends with those requests (`input_required`)
 * while the upstream call stays open, parked under this call's handle; the client's retry brings
 * the answers, which go to the upstream as its requests' responses, and the round waits for what
 * comes next (the result, or more requests). A client that does not come back within `parkMs` ends
 * the call (the upstream request is cancelled).
 */
export class BridgedCall {
  readonly handle = randomUUID();
  readonly method: string;
  readonly clientId: string;
  /** The endpoint the call came through (null: `/mcp`, else a virtual server's name): only there may it resume. */
  readonly endpoint: string | null;
  readonly #deps: BridgedCallDeps;
  #round: CallRound | null;
  /** The answer, when it came while no round was open. */
  #answer: Item | null = null;
  /** Upstream requests the client has not answered: key → the actor's request id and the request. */
  readonly #waiting = new Map<string, { id: string | number; request: { method: string; params?: Item } }>();
  /** Keys of those not handed to the client yet. */
  #fresh: string[] = [];
  #seq = 0;
  #timer: NodeJS.Timeout | null = null;
  #handOutQueued = false;
  #over = false;
  /** The client capabilities the current (or last) round's request declared. */
  #declared: Item | undefined;

  constructor(method: string, clientId: string, deps: BridgedCallDeps, round: CallRound, endpoint: string | null = null, declared?: Item) {
    this.method = method;
    this.clientId = clientId;
    this.endpoint = endpoint;
    this.#deps = deps;
    this.#round = round;
    this.#declared = declared;
  }

  get over(): boolean {
    return this.#over;
  }

  /** The client capabilities the current (or last) round's request declared: what the upstream's requests are checked against. */
  get declared(): Item | undefined {
    return this.#declared;
  }

  /** A message of the actor session about the call's request: its response (`final`), a notification, or a request to the client. */
  fromActor(message: Item, final: boolean): void {
    if (this.#over) return;
    if (final) {
      if (this.#round === null) this.#answer = message;
      else this.#finish(message);
      return;
    }
    if (typeof message.method !== 'string') return;
    if (message.id === undefined) {
      this.#round?.notify(message.method, message.params as Item | undefined);
      return;
    }
    const key = `input-${++this.#seq}`;
    const request = message.params === undefined ? { method: message.method } : { method: message.method, params: message.params as Item };
    this.#waiting.set(key, { id: message.id as string | number, request });
    this.#fresh.push(key);
    // Requests the upstream makes at once go to the client in one round.
    if (this.#round !== null && !this.#handOutQueued) {
      this.#handOutQueued = true;
      queueMicrotask(() => this.#handOut());
    }
  }

  /**
   * The client came back (a retry with this call's request state, declaring `declared`): each
   * answered request's response goes to the upstream; a request left unanswered is asked again,
   * unless this round's declared capabilities do not cover it (the SDK would refuse the round's
   * result, leaving the call parked): the upstream gets an error for it instead.
   */
  resume(round: CallRound, responses: Record<string, unknown> | undefined, declared?: Item): void {
    if (this.#over) {
      round.settle({ kind: 'answer', answer: { error: { code: -32602, message: 'Invalid or expired requestState' } } });
      return;
    }
    this.#park(false);
    this.#round = round;
    this.#declared = declared;
    if (this.#answer !== null) return this.#finish(this.#answer);
    for (const [key, waiting] of this.#waiting) {
      const response = responses?.[key];
      if (response !== undefined && response !== null && typeof response === 'object') {
        this.#waiting.delete(key);
        this.#deps.deliver({ jsonrpc: '2.0', id: waiting.id, result: response });
        continue;
      }
      const refusal = this.#deps.refusal?.(waiting.request, declared) ?? null;
      if (refusal !== null) {
        this.#waiting.delete(key);
        this.#fresh = this.#fresh.filter((k) => k !== key);
        this.#deps.deliver({ jsonrpc: '2.0', id: waiting.id, error: { code: -32601, message: refusal } });
      } else if (!this.#fresh.includes(key)) {
        this.#fresh.push(key);
      }
    }
    if (this.#fresh.length > 0) this.#handOut();
  }

  /** The round's client went away, or the call waited too long: the upstream request is cancelled. */
  cancel(reason: string): void {
    if (this.#over) return;
    this.#deps.deliver({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: CALL_ID, reason } });
    this.#finish({ error: { code: -32000, message: `request cancelled: ${reason}` } });
  }

  #handOut(): void {
    this.#handOutQueued = false;
    const round = this.#round;
    if (round === null || this.#over || this.#fresh.length === 0) return;
    const requests: InputRequests = {};
    for (const key of this.#fresh) requests[key] = this.#waiting.get(key)!.request;
    this.#fresh = [];
    this.#round = null;
    this.#park(true);
    round.settle({ kind: 'input', requests });
  }

  #park(on: boolean): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#deps.parked(this, on);
    if (!on) return;
    this.#timer = setTimeout(() => this.cancel('the client did not come back with the input the call needs'), this.#deps.parkMs);
    this.#timer.unref();
  }

  #finish(answer: Item): void {
    if (this.#over) return;
    this.#over = true;
    this.#park(false);
    const round = this.#round;
    this.#round = null;
    this.#deps.end(this);
    round?.settle({ kind: 'answer', answer });
  }
}
