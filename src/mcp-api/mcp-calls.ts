import { randomUUID } from 'node:crypto';
import type { Config, LimitConfig } from '../config/index.js';
import type { ErrorCode } from '../errors/index.js';
import { createRecord, ERROR_CLASS, RECORD_KIND, type MetricsRing, type PromFamily, type RequestLogEntry } from '../metrics/index.js';
import { countOf, labelSafe } from '../model/index.js';
import { compileAccessRules, type RateLimiter } from '../routing/index.js';
import type { McpCallInfo, McpJsonRpcMessage, McpJsonText, SkillRunInfo } from '../workers/index.js';
import { LocalRouterError } from '../errors/index.js';
import type { AuthedClient } from '../ingress/index.js';
import type { Approvals } from './approvals.js';

/** The calls that are limited and logged: each does work upstream (lists, pings and the like are neither). */
const CALL_METHODS = new Set(['tools/call', 'resources/read', 'prompts/get']);
/**
 * The JSON-RPC code of a call refused by a rate limit. JSON-RPC leaves -32000..-32099 to servers;
 * -32000 is taken (the SDK's "connection closed", on which clients reconnect), so the limit gets its
 * own, with `data.code: LR_ERR_RATE_LIMITED` and the retry time in `data`.
 */
export const MCP_RATE_LIMITED = -32029;
/**
 * Tools of skills (their runs report steps after a cancel): the prefix src/skills names, written here
 * because importing that folder would load its parsers (JSONata, YAML) into the ingress at start.
 */
const SKILL_TOOL_PREFIX = 'skills__';
/**
 * The JSON-RPC code of a call that waited for approval and was denied or timed out (next to
 * {@link MCP_RATE_LIMITED}), with `data.code` `LR_ERR_APPROVAL_DENIED` or `LR_ERR_APPROVAL_TIMEOUT`.
 */
export const MCP_APPROVAL_REFUSED = -32030;
/** Input schemas kept per strategy of tools that ask (from its sessions' tool lists), at most. */
const MAX_SCHEMAS_PER_STRATEGY = 1000;
/** Longest client-supplied name kept in a log row of a call refused before reaching the actor. */
const MAX_TARGET = 500;

/** One client call between its request and its response. */
interface PendingCall {
  id: string;
  client: AuthedClient;
  method: string;
  /** The name or URI the client asked for. */
  target: string;
  /** `performance.now()` at its arrival. */
  start: number;
  bytesIn: number;
  requestBody: string | null;
  /** What the actor said of it (arrives just before the response). */
  info: McpCallInfo | null;
  /** The client cancelled it; a skill run's row waits for the actor's account of the run (no response follows). */
  cancelled?: boolean;
  /** The approval it waits for (not yet sent to the actor). */
  approval?: string;
}

/** The request a `notifications/cancelled` names (null when it names none a request could have). */
export function cancelledRequest(message: McpJsonRpcMessage): string | number | null {
  const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/** Where a client message goes once admitted: on to the MCP actor, or answered here (a refusal). */
export interface CallSink {
  forward(message: McpJsonRpcMessage): void;
  /** The answer to request `id`. */
  answer(json: string, id: string | number): void;
}

/** A strategy's `ask` rules, compiled. */
interface AskRule {
  matches(tool: string): boolean;
  timeoutMs: number;
}

/** A per-tool limit of one strategy, compiled. */
interface ToolLimit {
  pattern: string;
  matches(tool: string): boolean;
  limits: LimitConfig[];
}

export interface McpCallsOptions {
  /** The limiter LLM requests are admitted by (client request limits are shared). */
  limiter(): RateLimiter;
  /** Appends a request log row; null when monitoring is off. */
  log: ((entry: RequestLogEntry) => void) | null;
  /** `monitoring.log_bodies` in force: the most bytes kept of the arguments and the result; 0: none. */
  bodyMaxBytes(): number;
  /** The ring refused calls are counted in (they never reach the MCP actor), and the interner of its names. */
  metrics: { ring: MetricsRing; intern(name: string): number } | null;
  /** Where calls of tools a strategy marks `ask` wait. */
  approvals: Approvals;
}

/**
 * The gateway's side of each MCP call (`tools/call`, `resources/read`, `prompts/get`): admission
 * against the client's request limits (the same limiter and budget as its LLM requests; token and
 * cost limits do not apply, a call has neither) and its strategy's per-tool limits, then one request
 * log row per call when its response goes out, from what the ingress saw (client, sizes, time,
 * bodies with `monitoring.log_bodies`) and what the actor said (the server and the name it went to,
 * the JSON-RPC error). The actor counts the calls in its metrics ring; calls refused here are
 * counted in the ingress's.
 */
export class McpCalls {
  readonly #opts: McpCallsOptions;
  /** Calls in flight, per session number, by JSON-RPC id. */
  readonly #pending = new Map<number, Map<string | number, PendingCall>>();
  #toolLimits = new Map<string, ToolLimit[]>();
  /** Each strategy's `ask` rules for tools, and for models (only strategies that have some). */
  #ask = new Map<string, AskRule>();
  #askModels = new Map<string, AskRule>();
  /** `tools/list` requests in flight of sessions whose strategy asks, by session (their answers give the input schemas). */
  readonly #lists = new Map<number, Map<string | number, string>>();
  /**
   * Input schemas of the tools that ask, per strategy, from the tool lists its sessions got (a
   * strategy's tools are shaped alike for all its sessions, so one session's list serves the others).
   */
  readonly #schemas = new Map<string, Map<string, Record<string, unknown>>>();
  /** Each client policy's request limits (policies are rebuilt on reload, so the cache follows). */
  readonly #requestLimits = new WeakMap<object, LimitConfig[]>();
  readonly #rec = createRecord();
  /** Skill runs by `<skill>\n<status>`, steps by `<skill>\n<kind>\n<status>`, and LLM cost by skill (for /metrics). */
  readonly #skillRuns = new Map<string, number>();
  readonly #skillSteps = new Map<string, number>();
  readonly #skillCost = new Map<string, number>();

  constructor(config: Config, opts: McpCallsOptions) {
    this.#opts = opts;
    this.configure(config);
  }

  configure(config: Config): void {
    const next = new Map<string, ToolLimit[]>();
    for (const s of config.strategies) {
      const rules = s.mcp?.tool_limits ?? [];
      if (rules.length === 0) continue;
      next.set(s.name, rules.map((r) => ({
        pattern: r.tool, matches: compileAccessRules([r.tool], []), limits: [{ kind: 'requests', window: r.window, max: r.max }],
      })));
    }
    this.#toolLimits = next;
    const ask = new Map<string, AskRule>();
    const askModels = new Map<string, AskRule>();
    for (const s of config.strategies) {
      if (s.ask === undefined) continue;
      if (s.ask.tools.length > 0) ask.set(s.name, { matches: compileAccessRules(s.ask.tools, s.ask.allowed_tools), timeoutMs: s.ask.timeout_ms });
      if (s.ask.models.length > 0) askModels.set(s.name, { matches: compileAccessRules(s.ask.models, s.ask.allowed_models), timeoutMs: s.ask.timeout_ms });
    }
    this.#ask = ask;
    this.#askModels = askModels;
    for (const strategy of [...this.#schemas.keys()]) if (!ask.has(strategy)) this.#schemas.delete(strategy);
    // Calls waiting under rules the new config no longer has (an "always" made by hand or by the CLI) go on.
    const strategies = new Set(config.strategies.map((st) => st.name));
    this.#opts.approvals.release((a) => (a.kind === 'model' ? askModels : ask).get(a.strategy)?.matches(a.tool) !== true, (a) => !strategies.has(a.strategy));
  }

  /** The approvals calls wait in (for the admin routes). */
  get approvals(): Approvals {
    return this.#opts.approvals;
  }

  /**
   * A message from `client` for session `session`, before it goes to the actor: `sink.forward` it
   * (at once, or once a call of a tool that asks is approved), or `sink.answer` it with the JSON-RPC
   * error of a call refused by a limit or by an approver. `bytes`: its size on the wire when known.
   */
  deliver(session: number, client: AuthedClient, message: McpJsonRpcMessage, sink: CallSink, bytes?: number): void {
    const method = message.method;
    if (typeof method !== 'string') return sink.forward(message);
    if (method === 'notifications/cancelled') {
      this.#cancelled(session, cancelledRequest(message));
      return sink.forward(message);
    }
    const id = message.id;
    if (typeof id !== 'string' && typeof id !== 'number') return sink.forward(message);
    if (method === 'tools/list' && this.#ask.has(client.policy.strategy)) this.#noteList(session, id, client.policy.strategy);
    if (!CALL_METHODS.has(method)) return sink.forward(message);
    const params = (typeof message.params === 'object' && message.params !== null ? message.params : {}) as Record<string, unknown>;
    const target = String((method === 'resources/read' ? params.uri : params.name) ?? '');
    const start = performance.now();
    const refusal = this.#admit(client, method, target);
    const ask = refusal === null && method === 'tools/call' ? this.#askOf(session, client, target) : null;
    if (refusal === null && ask === null && this.#opts.log === null) return sink.forward(message);
    const bodyMax = this.#opts.bodyMaxBytes();
    const call: PendingCall = {
      id: `mcp-${randomUUID()}`, client, method, target, start,
      bytesIn: bytes ?? Buffer.byteLength(JSON.stringify(message)),
      requestBody: bodyMax > 0 ? JSON.stringify(params) : null, info: null,
    };
    if (refusal !== null) {
      const answer = JSON.stringify({ jsonrpc: '2.0', id, error: refusal });
      this.#finish(call, answer, { status: 429, code: 'LR_ERR_RATE_LIMITED', message: refusal.message });
      this.#countRefused(client, method);
      return sink.answer(answer, id);
    }
    let calls = this.#pending.get(session);
    if (calls === undefined) this.#pending.set(session, (calls = new Map()));
    calls.set(id, call);
    if (ask === null) return sink.forward(message);
    this.#hold(session, message, params, call, ask, sink);
  }

  /**
   * An LLM request of `client` for `model` (the model it named): null when its strategy does not
   * ask for it; else the wait, which ends with null (approved) or the error to answer with, and
   * `drop` for a client that went away meanwhile.
   */
  askModel(client: AuthedClient, model: string, bytes = model.length): { decided: Promise<LocalRouterError | null>; drop(): void } | null {
    const strategy = client.policy.strategy;
    const rule = this.#askModels.get(strategy);
    const approvals = this.#opts.approvals;
    if (rule === undefined || !rule.matches(model) || approvals.preAllowed(-1, strategy, model, 'model')) return null;
    let id = '';
    const decided = new Promise<LocalRouterError | null>((resolve) => {
      id = approvals.hold({
        kind: 'model', clientId: client.id, client: client.name, strategy, session: -1, tool: model,
        arguments: null, inputSchema: null, bytes, timeoutMs: rule.timeoutMs,
      }, (d) => resolve(d.allow ? null : new LocalRouterError(d.code, d.message)),
      // Dropped: the client went away (nobody reads this), or the gateway is stopping.
      () => resolve(new LocalRouterError('LR_ERR_SHUTTING_DOWN', 'the gateway is shutting down')));
    });
    return { decided, drop: () => approvals.drop(id) };
  }

  /** The client's HTTP exchange of call `request` went away: a call still waiting for approval is dropped (it never ran). */
  abandoned(session: number, request: string | number): void {
    const calls = this.#pending.get(session);
    const call = calls?.get(request);
    if (call?.approval === undefined) return;
    calls!.delete(request);
    this.#opts.approvals.drop(call.approval);
    this.#finish(call, null, { status: 499, code: null, message: 'the client went away while the call waited for approval' });
  }

  /** The `ask` rule a tool call of `client` waits under, or null (none, or an earlier "session"/"always" answer). */
  #askOf(session: number, client: AuthedClient, tool: string): AskRule | null {
    const strategy = client.policy.strategy;
    const rule = this.#ask.get(strategy);
    if (rule === undefined || !rule.matches(tool) || this.#opts.approvals.preAllowed(session, strategy, tool)) return null;
    return rule;
  }

  /** Holds a tool call for approval; then it goes on (with the approved arguments) or is answered with the refusal. */
  #hold(session: number, message: McpJsonRpcMessage, params: Record<string, unknown>, call: PendingCall, ask: AskRule, sink: CallSink): void {
    const id = message.id as string | number;
    const raw = params.arguments;
    const args = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw as Record<string, unknown> : {};
    let decided = false;
    const approval = this.#opts.approvals.hold({
      kind: 'tool', clientId: call.client.id, client: call.client.name, strategy: call.client.policy.strategy, session, tool: call.target,
      arguments: args, inputSchema: this.#schemas.get(call.client.policy.strategy)?.get(call.target) ?? null, bytes: call.bytesIn, timeoutMs: ask.timeoutMs,
    }, (d) => {
      decided = true;
      call.approval = undefined;
      if (d.allow) {
        if (d.arguments === args || d.arguments === null) return sink.forward(message);
        const edited = { ...params, arguments: d.arguments };
        if (call.requestBody !== null) call.requestBody = JSON.stringify(edited);
        return sink.forward({ ...message, params: edited });
      }
      const calls = this.#pending.get(session);
      if (calls?.get(id) === call) calls.delete(id);
      const answer = JSON.stringify({ jsonrpc: '2.0', id, error: { code: MCP_APPROVAL_REFUSED, message: d.message, data: { code: d.code, approval: d.id } } });
      this.#finish(call, answer, { status: 403, code: d.code, message: d.message });
      this.#countRefused(call.client, 'tools/call', 403);
      sink.answer(answer, id);
    });
    if (!decided) call.approval = approval;
  }

  #noteList(session: number, id: string | number, strategy: string): void {
    let ids = this.#lists.get(session);
    if (ids === undefined) this.#lists.set(session, (ids = new Map()));
    // A client that lists without reading the answers cannot grow this: the oldest is forgotten.
    if (ids.size >= 100) ids.delete(ids.keys().next().value!);
    ids.set(id, strategy);
  }

  /** The answer of a `tools/list` of a session whose strategy asks: the input schemas of its tools that ask are kept. */
  #keepSchemas(strategy: string, json: McpJsonText): void {
    const rule = this.#ask.get(strategy);
    if (rule === undefined) return;
    let tools: unknown;
    try {
      tools = (JSON.parse(textOf(json)) as { result?: { tools?: unknown } }).result?.tools;
    } catch {
      return;
    }
    if (!Array.isArray(tools)) return;
    let kept = this.#schemas.get(strategy);
    for (const t of tools as { name?: unknown; inputSchema?: unknown }[]) {
      if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || typeof t.inputSchema !== 'object' || t.inputSchema === null) continue;
      if (!rule.matches(t.name)) continue;
      if (kept === undefined) this.#schemas.set(strategy, (kept = new Map()));
      if (kept.size >= MAX_SCHEMAS_PER_STRATEGY && !kept.has(t.name)) continue;
      kept.set(t.name, t.inputSchema as Record<string, unknown>);
    }
  }

  /**
   * A skill's tool step, admitted like the client's own `tools/call` of `tool` (its request limits
   * and its strategy's per-tool limits, charged when admitted): null, or the refusal's message.
   */
  admitSkillStep(session: number, client: AuthedClient, tool: string): string | null | Promise<string | null> {
    const refusal = this.#admit(client, 'tools/call', tool);
    if (refusal !== null) {
      this.#countRefused(client, 'tools/call');
      return refusal.message;
    }
    const ask = this.#askOf(session, client, tool);
    if (ask === null) return null;
    // The step's arguments stay in the actor (the workflow made them): the approver allows or denies the step.
    return new Promise((resolve) => {
      this.#opts.approvals.hold({
        kind: 'skill_step', clientId: client.id, client: client.name, strategy: client.policy.strategy, session, tool,
        arguments: null, inputSchema: null, bytes: tool.length, timeoutMs: ask.timeoutMs,
      }, (d) => resolve(d.allow ? null : d.message), () => resolve('the client session ended while the step waited for approval'));
    });
  }

  /** The actor's account of call `request` of `session` (it comes just before the response). */
  called(session: number, request: string | number, info: McpCallInfo): void {
    if (info.skill !== undefined) this.#countSkill(info.skill);
    const calls = this.#pending.get(session);
    const call = calls?.get(request);
    if (call === undefined) return;
    call.info = info;
    if (call.cancelled === true) {
      calls!.delete(request);
      this.#finish(call, null, { status: 499, code: null, message: 'cancelled by the client' });
    }
  }

  /** Skill runs, their steps and their LLM cost, as Prometheus families. */
  skillFamilies(): PromFamily[] {
    const split = (m: Map<string, number>, names: string[]): [Record<string, string>, number][] =>
      [...m].map(([key, n]) => [Object.fromEntries(key.split('\n').map((v, i) => [names[i]!, v])), n]);
    return [
      { name: 'localrouter_skill_runs_total', help: 'Skill runs (skills__<name> calls) by skill and how they ended.', type: 'counter', samples: split(this.#skillRuns, ['skill', 'status']) },
      { name: 'localrouter_skill_steps_total', help: 'Skill steps run, by skill, kind (tool, llm, value) and how they ended.', type: 'counter', samples: split(this.#skillSteps, ['skill', 'kind', 'status']) },
      { name: 'localrouter_skill_cost_usd_total', help: 'USD spent by the llm steps of skill runs, by skill.', type: 'counter', samples: split(this.#skillCost, ['skill']) },
    ];
  }

  #countSkill(run: SkillRunInfo): void {
    const skill = labelSafe(run.skill, 100);
    // Skill names come from the configured folders (a bounded set); the maps stay small.
    if (this.#skillRuns.size > 10_000) return;
    const bump = (m: Map<string, number>, key: string, by = 1): void => { m.set(key, (m.get(key) ?? 0) + by); };
    bump(this.#skillRuns, `${skill}\n${run.status}`);
    let cost = 0;
    for (const s of run.steps) {
      bump(this.#skillSteps, `${skill}\n${s.kind}\n${s.status}`);
      cost += s.cost_usd;
    }
    bump(this.#skillCost, skill, cost);
  }

  /** A message for the client of `session`; a response (`final`) to a pending call ends it and writes its row. */
  sent(session: number, related: string | number | null, final: boolean, json: McpJsonText): void {
    if (!final || related === null) return;
    const lists = this.#lists.get(session);
    const listed = lists?.get(related);
    if (listed !== undefined) {
      lists!.delete(related);
      this.#keepSchemas(listed, json);
    }
    const calls = this.#pending.get(session);
    const call = calls?.get(related);
    if (call === undefined) return;
    calls!.delete(related);
    this.#finish(call, json, outcomeOf(call.info, json));
  }

  /** The session ended: calls still unanswered are logged as cut off. */
  closed(session: number): void {
    this.#opts.approvals.closed(session);
    this.#lists.delete(session);
    const calls = this.#pending.get(session);
    if (calls === undefined) return;
    this.#pending.delete(session);
    for (const call of calls.values()) this.#finish(call, null, { status: 499, code: null, message: 'the MCP session ended before the answer' });
  }

  #cancelled(session: number, request: string | number | null): void {
    if (request === null) return;
    const calls = this.#pending.get(session);
    const call = calls?.get(request);
    if (call === undefined) return;
    if (call.approval !== undefined) this.#opts.approvals.drop(call.approval);
    else if (call.method === 'tools/call' && call.target.startsWith(SKILL_TOOL_PREFIX)) {
      // The run stops step by step; its row is written when the actor reports it (or the session ends).
      call.cancelled = true;
      return;
    }
    calls!.delete(request);
    this.#finish(call, null, { status: 499, code: null, message: 'cancelled by the client' });
  }

  /** The JSON-RPC error of a call over one of the client's limits, or null (then it is charged). */
  #admit(client: AuthedClient, method: string, target: string): { code: number; message: string; data: Record<string, unknown> } | null {
    const limiter = this.#opts.limiter();
    const charged: [string, LimitConfig[]][] = [];
    const refuse = (key: string, limits: LimitConfig[], noun: string, what: string): { code: number; message: string; data: Record<string, unknown> } | null => {
      if (limits.length === 0) return null;
      const admission = limiter.admit(key, limits, { requests: 1 });
      if (admission.ok) {
        charged.push([key, limits]);
        return null;
      }
      // What this refused call was charged elsewhere is given back: it did not run.
      for (const [k, l] of charged) limiter.charge(k, l, { requests: -1 });
      const l = admission.limit;
      const retryS = Math.ceil(admission.retryAfterMs / 1000);
      return {
        code: MCP_RATE_LIMITED,
        message: `rate limit reached: ${countOf(l.max, noun)}${what} per ${l.window}; retry in ${retryS} s`,
        data: { code: 'LR_ERR_RATE_LIMITED', retry_after_ms: admission.retryAfterMs, retry_after_s: retryS, limit: { kind: l.kind, window: l.window, max: l.max } },
      };
    };
    if (method === 'tools/call') {
      for (const rule of this.#toolLimits.get(client.policy.strategy) ?? []) {
        if (!rule.matches(target)) continue;
        const refused = refuse(`${client.id}|mcp-tool|${rule.pattern}`, rule.limits, 'calls', ` of tool "${labelSafe(rule.pattern, 100)}" for this client`);
        if (refused !== null) return refused;
      }
    }
    return refuse(client.id, this.#requestLimitsOf(client), 'requests', ' for this client (LLM requests and MCP calls together)');
  }

  #requestLimitsOf(client: AuthedClient): LimitConfig[] {
    const policy = client.policy;
    let limits = this.#requestLimits.get(policy);
    if (limits === undefined) this.#requestLimits.set(policy, (limits = policy.limits.filter((l) => l.kind === 'requests')));
    return limits;
  }

  #finish(call: PendingCall, response: McpJsonText | string | null, outcome: Outcome): void {
    const log = this.#opts.log;
    if (log === null) return;
    const info = call.info;
    const bodyMax = this.#opts.bodyMaxBytes();
    const bytesOut = response === null ? 0 : typeof response === 'string' ? Buffer.byteLength(response) : response.byteLength;
    const run = info?.skill;
    log({
      id: call.id, op: `mcp:${call.method}`, attempts: [], status: run === undefined ? outcome.status : skillStatus(run, outcome.status), startMs: call.start, durationMs: performance.now() - call.start,
      ttftMs: 0, streamed: false, usage: run === undefined ? null : skillUsage(run), costUsd: run === undefined ? null : run.steps.reduce((n, s) => n + s.cost_usd, 0),
      errorCode: outcome.code, client: call.client.name, clientId: call.client.id,
      provider: null, model: null, server: info?.server ?? null, tool: info?.target ?? labelSafe(call.target, MAX_TARGET),
      bytesIn: call.bytesIn, bytesOut, errorMessage: run === undefined || run.status === 'ok' || call.cancelled === true ? outcome.message : skillError(run), toolError: info?.toolError === true && info.errorCode === null,
      requestBody: call.requestBody, responseBody: bodyMax > 0 && response !== null ? textOf(response) : null,
      ...(run !== undefined ? { steps: run.steps } : {}),
    });
  }

  #countRefused(client: AuthedClient, method: string, status = 429): void {
    const m = this.#opts.metrics;
    if (m === null) return;
    const r = this.#rec;
    r.kind = RECORD_KIND.mcpCall;
    r.startMs = Date.now();
    r.durationUs = 0;
    r.clientId = m.intern(client.name);
    r.strategyId = m.intern(client.policy.strategy);
    r.providerId = 0;
    // The method, not the name the client sent: a refused call's name is unchecked client input.
    r.modelId = m.intern(method);
    r.status = status;
    r.errorClass = ERROR_CLASS.client;
    m.ring.write(r);
  }
}

/** A skill run's row status: 200 when it worked, 499 when cancelled, else the call's (a failed run is a 200 with `isError`, like any tool). */
function skillStatus(run: SkillRunInfo, status: number): number {
  return run.status === 'cancelled' ? 499 : status;
}

/** Tokens of a skill run's llm steps. */
function skillUsage(run: SkillRunInfo): { input: number; output: number; cacheRead: number; cacheWrite: number; reasoning: number } | null {
  let input = 0;
  let output = 0;
  for (const s of run.steps) {
    input += s.input_tokens;
    output += s.output_tokens;
  }
  return input === 0 && output === 0 ? null : { input, output, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
}

function skillError(run: SkillRunInfo): string {
  const why = run.error ?? 'failed';
  return run.failedStep === null ? `skill ${run.status}: ${why}` : `skill ${run.status} at step ${run.failedStep}: ${why}`;
}

interface Outcome {
  status: number;
  code: ErrorCode | null;
  message: string | null;
}

/** A call's status, error code and error text, from the actor's account (or, without one, the answer itself). */
function outcomeOf(info: McpCallInfo | null, json: McpJsonText): Outcome {
  if (info === null) return outcomeOfAnswer(json);
  if (info.errorCode === null) return { status: 200, code: null, message: info.toolError ? 'the tool reported an error (isError: true)' : null };
  const message = `${info.errorCode}: ${info.errorMessage ?? ''}`;
  switch (info.errorCode) {
    case -32700: case -32600: case -32601: case -32602: return { status: 400, code: 'LR_ERR_BAD_REQUEST', message };
    case -32002: return { status: 404, code: 'LR_ERR_NOT_FOUND', message };
    case -32001: return { status: 504, code: 'LR_ERR_UPSTREAM_TIMEOUT', message };
    case -32000: return { status: 502, code: 'LR_ERR_UPSTREAM_UNREACHABLE', message };
    // An upstream's own error (its code passed through) counts as an upstream error.
    default: return { status: info.server === null ? 500 : 502, code: info.server === null ? 'LR_ERR_INTERNAL' : null, message };
  }
}

/**
 * An answer the actor gave no account of: the SDK refused the request before any handler ran
 * (invalid params), or the gateway answered for the actor (crash, undeliverable message).
 */
function outcomeOfAnswer(json: McpJsonText): Outcome {
  try {
    const parsed = JSON.parse(textOf(json)) as { error?: { code?: unknown; message?: unknown; data?: { code?: unknown } } };
    const e = parsed.error;
    if (e === undefined) return { status: 200, code: null, message: null };
    const message = `${String(e.code)}: ${String(e.message)}`.slice(0, 1000);
    if (e.data?.code === 'LR_ERR_ACTOR_CRASHED') return { status: 502, code: 'LR_ERR_ACTOR_CRASHED', message };
    if (e.data?.code === 'LR_ERR_INTERNAL' || e.code === -32603) return { status: 500, code: 'LR_ERR_INTERNAL', message };
    return { status: 400, code: 'LR_ERR_BAD_REQUEST', message };
  } catch {
    return { status: 500, code: 'LR_ERR_INTERNAL', message: 'unreadable answer' };
  }
}

function textOf(json: McpJsonText): string {
  return typeof json === 'string' ? json : Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8');
}
