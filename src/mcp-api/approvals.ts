import { randomUUID } from 'node:crypto';
import { LocalRouterError } from '../errors/index.js';
import { labelSafe } from '../model/index.js';

/** Calls waiting at once, in all and per client, and the bytes of their arguments: a hostile client cannot grow memory past these. */
export const MAX_PENDING_APPROVALS = 1000;
export const MAX_PENDING_APPROVALS_PER_CLIENT = 100;
const MAX_PENDING_BYTES = 32 * 1024 * 1024;
/** How long an "always" answer allows the tool in memory, until the config reload that carries it arrives. */
const ALWAYS_BRIDGE_MS = 10_000;

export type ApprovalScope = 'once' | 'session' | 'always';

/** What waits: a client's own `tools/call`, a tool step of a skill run (whose arguments the workflow made), or an LLM request for a model. */
export type ApprovalKind = 'tool' | 'skill_step' | 'model';

export interface ApprovalAsk {
  kind: ApprovalKind;
  clientId: string;
  client: string;
  strategy: string;
  /** The MCP session number (a "session" answer applies to it); -1 for a model request (no session). */
  session: number;
  /** The tool name as the client calls it, or the model the client named. */
  tool: string;
  /** The call's arguments (null for a skill step: not editable). */
  arguments: Record<string, unknown> | null;
  /** The tool's input schema as the session's last tool list gave it; null when unknown. */
  inputSchema: Record<string, unknown> | null;
  /** Size of the call on the wire (counted against the byte cap). */
  bytes: number;
  timeoutMs: number;
}

/** How a wait ended. */
export type ApprovalDecision =
  | { allow: true; arguments: Record<string, unknown> | null; id: string }
  | { allow: false; code: 'LR_ERR_APPROVAL_DENIED' | 'LR_ERR_APPROVAL_TIMEOUT'; message: string; id: string };

/** One waiting call as the admin API shows it. */
export interface ApprovalView {
  id: string;
  kind: ApprovalKind;
  client: string;
  strategy: string;
  tool: string;
  arguments: Record<string, unknown> | null;
  input_schema: Record<string, unknown> | null;
  created_at: string;
  expires_at: string;
}

interface Pending {
  id: string;
  ask: ApprovalAsk;
  createdAt: number;
  decide(d: ApprovalDecision): void;
  /** Called instead when the wait ends without a decision (its client went away). */
  dropped: (() => void) | undefined;
  timer: NodeJS.Timeout;
}

export interface ApprovalsOptions {
  /** Writes an "always" answer into the strategy (locked, atomic config write); throws when it cannot. */
  persistAlways(strategy: string, kind: 'tool' | 'model', name: string): void;
  /** Validates edited arguments against an input schema: null, or why not. */
  validate(schema: Record<string, unknown>, args: Record<string, unknown>): Promise<string | null>;
  /** The number of waiting calls changed. */
  onChange?(count: number): void;
}

/**
 * Calls waiting for a person's approval, in the main thread: each resolves once, by an approval
 * (possibly with edited arguments; "session" also lets the session's later calls of the tool through,
 * "always" writes the tool into the strategy's `ask.allowed_tools`), a denial, its timeout, or its
 * client going away (then it is dropped without an answer). Bounded in count and bytes.
 */
export class Approvals {
  readonly #opts: ApprovalsOptions;
  readonly #pending = new Map<string, Pending>();
  #bytes = 0;
  /** Tools a "session" answer allowed, by session number. */
  readonly #sessionAllowed = new Map<number, Set<string>>();
  /** `<tool|model>\n<strategy>\n<name>` allowed "always", until when (the config reload takes over). */
  readonly #alwaysBridge = new Map<string, number>();

  constructor(opts: ApprovalsOptions) {
    this.#opts = opts;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Whether an earlier "session" or "always" answer lets this call through without asking. */
  preAllowed(session: number, strategy: string, tool: string, kind: 'tool' | 'model' = 'tool'): boolean {
    if (kind === 'tool' && this.#sessionAllowed.get(session)?.has(tool) === true) return true;
    const key = `${kind}\n${strategy}\n${tool}`;
    const until = this.#alwaysBridge.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#alwaysBridge.delete(key);
    return false;
  }

  /**
   * Holds a call until it is decided; `decide` runs exactly once, or `dropped` for a call dropped
   * with {@link drop}, {@link closed} or {@link close}. A call past the caps is denied at once.
   * Returns the approval id.
   */
  hold(ask: ApprovalAsk, decide: (d: ApprovalDecision) => void, dropped?: () => void): string {
    const id = `apr_${randomUUID()}`;
    let mine = 0;
    for (const p of this.#pending.values()) if (p.ask.clientId === ask.clientId) mine++;
    if (this.#pending.size >= MAX_PENDING_APPROVALS || mine >= MAX_PENDING_APPROVALS_PER_CLIENT || this.#bytes + ask.bytes > MAX_PENDING_BYTES) {
      decide({ allow: false, code: 'LR_ERR_APPROVAL_DENIED', id, message: `too many calls wait for approval (at most ${MAX_PENDING_APPROVALS} in all, ${MAX_PENDING_APPROVALS_PER_CLIENT} per client); answer or let them time out first` });
      return id;
    }
    const timer = setTimeout(() => this.#settle(id, {
      allow: false, code: 'LR_ERR_APPROVAL_TIMEOUT', id,
      message: `${what(ask)} waited for approval and nobody answered within ${Math.round(ask.timeoutMs / 1000)} s (ask.timeout_ms of strategy "${labelSafe(ask.strategy, 100)}")`,
    }), ask.timeoutMs);
    timer.unref();
    this.#pending.set(id, { id, ask, createdAt: Date.now(), decide, dropped, timer });
    this.#bytes += ask.bytes;
    this.#changed();
    return id;
  }

  list(): ApprovalView[] {
    return [...this.#pending.values()].map((p) => viewOf(p));
  }

  get(id: string): ApprovalView {
    return viewOf(this.#find(id));
  }

  /**
   * Lets a waiting call run, with `args` instead of its own when given (validated against the
   * tool's input schema). "session" and "always" also let the matching waiting calls through.
   */
  async approve(id: string, scope: ApprovalScope, args: Record<string, unknown> | undefined): Promise<ApprovalView> {
    const p = this.#find(id);
    if (scope === 'session' && p.ask.kind === 'model') {
      throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'an LLM request has no MCP session: use scope "once" or "always"', { param: 'scope' });
    }
    if (args !== undefined) {
      if (p.ask.arguments === null) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `the arguments of ${p.ask.kind === 'model' ? 'an LLM request' : 'a skill step'} cannot be edited`, { param: 'arguments' });
      const schema = p.ask.inputSchema;
      const why = schema === null ? null : await this.#opts.validate(schema, args);
      if (why !== null) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `the arguments do not match the tool's input schema: ${why}`, { param: 'arguments' });
    }
    // The wait may have ended while the arguments were checked.
    const view = viewOf(this.#find(id));
    const { session, strategy, tool } = p.ask;
    const kind = kindOf(p.ask);
    if (scope === 'always') {
      this.#opts.persistAlways(strategy, kind, tool);
      this.#alwaysBridge.set(`${kind}\n${strategy}\n${tool}`, Date.now() + ALWAYS_BRIDGE_MS);
    } else if (scope === 'session') {
      let allowed = this.#sessionAllowed.get(session);
      if (allowed === undefined) this.#sessionAllowed.set(session, (allowed = new Set()));
      allowed.add(tool);
    }
    this.#settle(id, { allow: true, id, arguments: args ?? p.ask.arguments });
    if (scope !== 'once') {
      for (const other of [...this.#pending.values()]) {
        const a = other.ask;
        if (a.tool === tool && a.strategy === strategy && kindOf(a) === kind && (scope === 'always' || a.session === session)) this.#settle(other.id, { allow: true, id: other.id, arguments: a.arguments });
      }
    }
    return view;
  }

  deny(id: string, reason: string | undefined): ApprovalView {
    const p = this.#find(id);
    const why = reason === undefined || reason === '' ? '' : `: ${labelSafe(reason, 500)}`;
    this.#settle(id, { allow: false, code: 'LR_ERR_APPROVAL_DENIED', id, message: `${what(p.ask)} was denied by an approver${why}` });
    return viewOf(p);
  }

  /** Lets every waiting call through for which `noLongerAsks(ask)` (a config reload). */
  release(noLongerAsks: (ask: ApprovalAsk) => boolean, strategyGone: (ask: ApprovalAsk) => boolean = () => false): void {
    for (const p of [...this.#pending.values()]) {
      // A strategy renamed or removed is no approval: its waiting calls are refused, not let through.
      if (strategyGone(p.ask)) this.#settle(p.id, { allow: false, code: 'LR_ERR_APPROVAL_DENIED', id: p.id, message: `${what(p.ask)} was refused: strategy "${p.ask.strategy}" is no longer in the config` });
      else if (noLongerAsks(p.ask)) this.#settle(p.id, { allow: true, id: p.id, arguments: p.ask.arguments });
    }
  }

  /** Forgets a waiting call without answering it (its client cancelled or went away). */
  drop(id: string): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#remove(p);
    p.dropped?.();
  }

  /** The session ended: its waiting calls are dropped and its "session" answers forgotten. */
  closed(session: number): void {
    this.#sessionAllowed.delete(session);
    for (const p of [...this.#pending.values()]) if (p.ask.session === session) this.drop(p.id);
  }

  /** Shutdown: every waiting call is dropped. */
  close(): void {
    for (const p of [...this.#pending.values()]) this.drop(p.id);
  }

  #find(id: string): Pending {
    const p = this.#pending.get(id);
    if (p === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no call waits for approval with id "${labelSafe(id, 100)}" (answered, timed out or cancelled)`);
    return p;
  }

  #settle(id: string, d: ApprovalDecision): void {
    const p = this.#pending.get(id);
    if (p === undefined) return;
    this.#remove(p);
    p.decide(d);
  }

  #remove(p: Pending): void {
    clearTimeout(p.timer);
    this.#pending.delete(p.id);
    this.#bytes -= p.ask.bytes;
    this.#changed();
  }

  #changed(): void {
    this.#opts.onChange?.(this.#pending.size);
  }
}

/** Whether an "always" answer goes to `allowed_tools` or `allowed_models`. */
function kindOf(a: ApprovalAsk): 'tool' | 'model' {
  return a.kind === 'model' ? 'model' : 'tool';
}

function what(a: ApprovalAsk): string {
  return a.kind === 'model' ? `the request for model "${labelSafe(a.tool, 200)}"` : `the call of tool "${labelSafe(a.tool, 200)}"`;
}

function viewOf(p: Pending): ApprovalView {
  const a = p.ask;
  return {
    id: p.id, kind: a.kind, client: a.client, strategy: a.strategy, tool: a.tool, arguments: a.arguments, input_schema: a.inputSchema,
    created_at: new Date(p.createdAt).toISOString(), expires_at: new Date(p.createdAt + a.timeoutMs).toISOString(),
  };
}
