import { RELATED_TASK_META_KEY, ResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { labelSafe } from '../model/index.js';
import {
  dispatchToMcp, encodeMcpCall, encodeMcpOAuthSaved, encodeMcpClosed, encodeMcpLog, encodeMcpSample, encodeMcpSend, encodeMcpStatusResult,
  type FromMcpFrame, type McpActorConfig, type McpCallInfo, type McpFrameInfo, type McpJsonRpcMessage, type McpLogLevel, type McpOAuthState, type McpServerRuntime, type McpSessionInfo,
  type McpServerStatus, type SkillModelAnswer, type SkillRunInfo, type ToMcpFrame, type ToMcpHandler,
} from '../workers/index.js';
import { compileMcpPolicy, scopeMcpPolicy, type McpPolicy } from './access-policy.js';
import { ClientSession, type CallExtra, type SessionHost } from './client-session.js';
import { SkillIngress } from './skill-ingress.js';
import { SkillCatalog } from './skill-tools.js';
import type { McpMetrics } from './mcp-metrics.js';
import { buildMergedView, namespacedUri, NAMESPACE_SEPARATOR, type MergedView, type Owner } from './merged-view.js';
import { PortTransport } from './port-transport.js';
import { shapeTools } from './tool-shaping.js';
import { RPC_CODE, RpcError } from './rpc-error.js';
import { chatToSamplingResult, samplingToChat } from './sampling-request.js';
import { UpstreamInstance, type UpstreamEvents } from './upstream-instance.js';
import type { CallRef, Item, ListKind } from './upstream-types.js';

interface ServerEntry {
  runtime: McpServerRuntime;
  /** JSON of the runtime, to tell a changed server from an unchanged one on reload. */
  key: string;
  shared: UpstreamInstance | null;
  perSession: Map<number, UpstreamInstance>;
}

const CAPABILITY_OF: Record<string, string> = { 'sampling/createMessage': 'sampling', 'elicitation/create': 'elicitation', 'roots/list': 'roots' };
const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
/** Upstream instructions in the gateway's `initialize` result: per server, in all, and how long initialize waits for servers to connect. */
const MAX_INSTRUCTIONS_PER_SERVER = 8 * 1024;
const MAX_INSTRUCTIONS = 32 * 1024;
const INSTRUCTIONS_WAIT_MS = 3_000;
/** Longest upstream text (a stderr line, an error) put in one log line. */
const MAX_LOGGED_LINE = 2000;

/**
 * The MCP actor's state: one entry per upstream server (a shared instance, or one per session), one
 * `ClientSession` per client session, the strategies' compiled rules, and the frame loop between
 * them and the ingress.
 */
export class McpCore implements SessionHost, UpstreamEvents, ToMcpHandler {
  generation = 0;
  readonly #post: (frame: FromMcpFrame) => void;
  readonly #metrics: McpMetrics | null;
  #config: McpActorConfig;
  #servers = new Map<string, ServerEntry>();
  #policies = new Map<string, McpPolicy>();
  /** Strategy policies narrowed to a virtual server, by strategy and server name. */
  #scoped = new Map<string, McpPolicy>();
  #sessions = new Map<number, ClientSession>();
  #transports = new Map<number, PortTransport>();
  #samples = new Map<number, { resolve(v: Item): void; reject(e: Error): void }>();
  #sampleSeq = 0;
  /** Subscribed resource URIs per upstream instance, with the number of sessions on each. */
  #subs = new Map<UpstreamInstance, Map<string, number>>();
  /** Merged views shared by the sessions of one strategy (each policy object is one strategy's rules). */
  #sharedViews = new Map<McpPolicy, Map<ListKind, Promise<MergedView>>>();
  /** Conflicts already warned about. */
  #warned = new Set<string>();
  /** Skills of `skills.paths`, offered as tools (skill-tools.ts). */
  readonly #skills = new SkillCatalog({
    changed: () => this.#skillsChanged(),
    issues: (issues) => {
      for (const i of issues.slice(0, 50)) this.#log('warn', { file: i.file, step: i.step ?? undefined, reason: labelSafe(i.reason, MAX_LOGGED_LINE) }, 'skill left out: it does not load');
    },
  });
  /** What skill runs ask the ingress: model calls and tool-step admissions (skill-ingress.ts). */
  readonly #ingress = new SkillIngress((frame) => this.#post(frame));

  constructor(config: McpActorConfig, post: (frame: FromMcpFrame) => void, metrics: McpMetrics | null) {
    this.#config = config;
    this.#post = post;
    this.#metrics = metrics;
    this.#configure(config);
  }

  get pageSize(): number { return this.#config.pageSize; }
  get version(): string { return this.#config.version; }

  /**
   * One frame from the ingress. A handler that throws fails only what the frame carried: a client
   * request gets a JSON-RPC error, the rest is logged with its stack; the thread goes on.
   */
  handle(frame: ToMcpFrame): void {
    dispatchToMcp(frame, this);
  }

  // ---- ToMcpHandler: the frames from the ingress ----

  onConfig(config: McpActorConfig): void {
    this.#configure(config);
  }

  onOpen(session: number, info: McpSessionInfo): void {
    this.#open(session, info);
  }

  onMessage(session: number, message: McpJsonRpcMessage): void {
    this.#transports.get(session)?.receive(message);
  }

  onClose(session: number): void {
    void this.#close(session, false);
  }

  onStatus(request: number): void {
    this.#post(encodeMcpStatusResult(request, this.status()));
  }

  onSampled(request: number, completion: string | null, error: string | null): void {
    this.#sampled(request, completion, error);
  }

  onInterned(names: string[], ids: number[]): void {
    this.#metrics?.interned(names, ids);
  }

  onToolAdmitted(request: number, refusal: string | null): void {
    this.#ingress.admitted(request, refusal);
  }

  onModelAnswer(request: number, answer: SkillModelAnswer | null, error: string | null): void {
    this.#ingress.answered(request, answer, error);
  }

  onFailed(err: unknown, frame: McpFrameInfo): void {
    this.#log('error', { err: plainError(err), frame: frame.kind, id: frame.id }, 'the MCP actor failed on a frame from the ingress');
    if (frame.request === null || frame.session === null) return;
    const error = { code: RPC_CODE.InternalError, message: 'LocalRouter failed while handling this request (see the gateway log)', data: { code: 'LR_ERR_INTERNAL' } };
    this.#post(encodeMcpSend(frame.session, JSON.stringify({ jsonrpc: '2.0', id: frame.request, error }), frame.request, true));
  }

  status(): McpServerStatus[] {
    return [...this.#servers.values()].map((e) => {
      if (!e.runtime.perSession) {
        return e.shared?.status() ?? idleStatus(e.runtime);
      }
      const all = [...e.perSession.values()];
      const base = all.find((i) => i.state === 'ready')?.status() ?? all[0]?.status() ?? idleStatus(e.runtime);
      const lastSuccess = Math.max(0, ...all.map((i) => i.lastSuccessAt ?? 0));
      return {
        ...base, instances: all.filter((i) => i.state === 'ready').length, restarts: all.reduce((n, i) => n + i.restarts, 0),
        droppedLogs: all.reduce((n, i) => n + i.droppedLogs, 0), lastSuccessAt: lastSuccess === 0 ? null : new Date(lastSuccess).toISOString(),
      };
    });
  }

  async closeAll(): Promise<void> {
    this.#skills.close();
    await Promise.all([...this.#sessions.keys()].map((id) => this.#close(id, false)));
    await Promise.all([...this.#servers.values()].map((e) => closeEntry(e)));
  }

  // ---- SessionHost ----

  instancesFor(session: ClientSession): UpstreamInstance[] {
    const out: UpstreamInstance[] = [];
    for (const e of this.#servers.values()) {
      if (!session.policy.serverAllowed(e.runtime.name) || (e.runtime.perSession && session.info.stateless === true)) continue;
      out.push(e.runtime.perSession ? this.#perSession(e, session.id) : this.#shared(e));
    }
    return out;
  }

  /**
   * A session's merged view of `kind`. Sessions of one strategy share it (and its cached pages),
   * unless the session has per-session servers of its own. Rebuilt when the generation moved (an
   * upstream connected, dropped or said its list changed; the config changed) or when a server was
   * left out of it last time.
   */
  view(session: ClientSession, kind: ListKind): Promise<MergedView> {
    let cache = session.views;
    if (!this.#ownsServers(session)) {
      cache = this.#sharedViews.get(session.policy) ?? new Map();
      this.#sharedViews.set(session.policy, cache);
    }
    const gen = this.generation;
    const cached = cache.get(kind);
    if (cached === undefined) return this.#rebuild(session, kind, cache);
    return cached.then((v) => (v.generation === gen && v.unavailable.length === 0 ? v : this.#rebuild(session, kind, cache)));
  }

  async subscribe(session: ClientSession, owner: Owner, uri: string, on: boolean): Promise<void> {
    const had = session.subscriptions.has(uri);
    if (had === on) return;
    if (on) session.subscriptions.add(uri);
    else session.subscriptions.delete(uri);
    const inst = owner.inst;
    let uris = this.#subs.get(inst);
    if (uris === undefined) this.#subs.set(inst, (uris = new Map()));
    const n = (uris.get(uri) ?? 0) + (on ? 1 : -1);
    if (n > 0) uris.set(uri, n);
    else uris.delete(uri);
    // Upstream hears one subscribe per URI however many sessions want it, and one unsubscribe at the end.
    if ((on && n === 1) || (!on && n === 0)) {
      if (inst.capabilities()?.resources?.subscribe) await inst.request(on ? 'resources/subscribe' : 'resources/unsubscribe', { uri: owner.original }, { call: null });
    }
  }

  levelChanged(): void {
    let min = -1;
    for (const s of this.#sessions.values()) {
      const i = s.logLevel === null ? -1 : LOG_LEVELS.indexOf(s.logLevel);
      if (i >= 0 && (min < 0 || i < min)) min = i;
    }
    if (min < 0) return;
    // Upstreams log at the most verbose level any session asked for; each session then gets its own
    // filter. A 2026-07-28 upstream is told each request's level with the request instead.
    for (const e of this.#servers.values()) {
      for (const inst of [e.shared, ...e.perSession.values()]) {
        if (inst?.state === 'ready' && inst.era !== 'modern' && inst.capabilities()?.logging) void inst.request('logging/setLevel', { level: LOG_LEVELS[min] }, { call: null }).catch(() => undefined);
      }
    }
  }

  record(session: ClientSession, server: string | null, what: string, start: number, error: number | null, toolError = false): void {
    this.#metrics?.record({
      clientId: session.info.clientMetricId, strategyId: session.info.strategyMetricId, server, what, start,
      durationMs: performance.now() - start, error, toolError,
    });
  }

  called(session: ClientSession, request: string | number, call: McpCallInfo): void {
    this.#post(encodeMcpCall(session.id, request, call));
  }

  /**
   * A skill tool call: its steps call tools through the session itself (`callToolAs`: the client's
   * own view and rules) and models through the ingress as the session's client (MODEL_CALL frames),
   * on the stream of this request (progress per step); the request's cancel stops the run.
   */
  callSkill(session: ClientSession, params: Item & { name: string }, extra: CallExtra): Promise<{ result: Item; run: SkillRunInfo | null }> | null {
    const policy = session.policy;
    if (!this.#skills.offers(policy, params.name)) return null;
    const meta = params._meta as Item | undefined;
    const token = meta?.progressToken;
    return session.view('tools').then((view) => this.#skills.call(view, params.name, params.arguments, {
      signal: extra.signal,
      progressToken: typeof token === 'string' || typeof token === 'number' ? token : undefined,
      notify: (method, p) => extra.sendNotification({ method, params: p } as never),
      callTool: async (tool, args, signal) => {
        const refusal = await this.#ingress.admitTool(session.id, tool);
        if (refusal !== null) throw new Error(refusal);
        return session.callToolAs(tool, args, { ...extra, signal });
      },
      callModel: (body, signal) => this.#ingress.callModel(session.id, body, signal),
    }, policy));
  }

  // ---- UpstreamEvents ----

  changed(inst: UpstreamInstance, kind: ListKind | null): void {
    this.generation++;
    if (kind === null) return;
    for (const s of this.#sessionsSeeing(inst)) {
      const sv = s.server;
      const send = kind === 'tools' ? sv.sendToolListChanged() : kind === 'prompts' ? sv.sendPromptListChanged() : sv.sendResourceListChanged();
      void send.catch(() => undefined);
    }
  }

  resourceUpdated(inst: UpstreamInstance, uri: string, params: Item): void {
    // A session that subscribed to the namespaced URI (another server lists the same one) hears of it by that URI.
    const renamed = namespacedUri(inst.runtime.namespace, uri);
    for (const s of this.#sessionsSeeing(inst)) {
      if (s.subscriptions.has(uri)) void s.server.sendResourceUpdated(params as { uri: string }).catch(() => undefined);
      else if (s.subscriptions.has(renamed)) void s.server.sendResourceUpdated({ ...params, uri: renamed } as { uri: string }).catch(() => undefined);
    }
  }

  /** A task's status goes to the session whose task it is, under the id that session knows; nobody else's. */
  taskStatus(inst: UpstreamInstance, params: Item): void {
    if (typeof params.taskId !== 'string') return;
    for (const s of this.#sessionsSeeing(inst)) {
      const id = s.taskIdFor(inst, params.taskId);
      if (id !== null) void s.server.notification({ method: 'notifications/tasks/status', params: { ...params, taskId: id } } as never).catch(() => undefined);
    }
  }

  /**
   * One section per upstream with instructions (`## <server>`), each capped, the whole capped too.
   * Shared servers not connected yet are connected for it, waiting at most `INSTRUCTIONS_WAIT_MS`: a
   * client reads instructions once, at initialize. A per-session server is not started for it (it
   * would start before its client's capabilities are known): it gives what another session's instance said.
   */
  async instructions(session: ClientSession): Promise<string | undefined> {
    const instances = this.instancesFor(session);
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => { timer = setTimeout(resolve, INSTRUCTIONS_WAIT_MS); });
    const connecting = instances.filter((i) => i.owner === null || i.state !== 'idle').map((i) => i.ready());
    await Promise.race([Promise.allSettled(connecting), waited]);
    clearTimeout(timer);
    const sections: string[] = [];
    let total = 0;
    const left: string[] = [];
    for (const inst of instances) {
      const text = (inst.instructions() ?? this.#otherInstructions(inst))?.trim();
      if (text === undefined || text.length === 0) continue;
      const names = this.#config.prefix === 'always' ? ` (its tools and prompts are named ${inst.runtime.namespace}${NAMESPACE_SEPARATOR}<name>)` : '';
      const body = text.length > MAX_INSTRUCTIONS_PER_SERVER ? `${text.slice(0, MAX_INSTRUCTIONS_PER_SERVER)}\n[… cut by LocalRouter at ${MAX_INSTRUCTIONS_PER_SERVER} characters]` : text;
      const section = `## ${inst.name}${names}\n\n${body}`;
      if (total + section.length > MAX_INSTRUCTIONS) {
        left.push(inst.name);
        continue;
      }
      sections.push(section);
      total += section.length;
    }
    if (left.length > 0) sections.push(`[LocalRouter left out the instructions of ${left.join(', ')}: over ${MAX_INSTRUCTIONS} characters in all]`);
    return sections.length === 0 ? undefined : sections.join('\n\n');
  }

  /**
   * A log line goes to the request it belongs to, or, tied to none, to the session that owns the
   * instance (`per_session`). A shared instance's line tied to no request (or to several sessions'
   * at once) may come from any session's doing: it is dropped and counted, never broadcast.
   */
  log(inst: UpstreamInstance, params: Item, call: CallRef | null | 'ambiguous'): void {
    if (call !== null && call !== 'ambiguous') {
      const s = this.#sessions.get(call.session);
      if (s?.wantsLog(params.level)) void call.notify('notifications/message', params).catch(() => undefined);
      return;
    }
    if (inst.owner !== null) {
      const s = this.#sessions.get(inst.owner);
      if (s?.wantsLog(params.level)) void s.server.notification({ method: 'notifications/message', params } as never).catch(() => undefined);
      return;
    }
    if (inst.droppedLogs++ === 0) {
      this.#log('info', { server: inst.name }, 'MCP server sent a log line tied to no client request; a shared server\'s such lines are dropped (counted in droppedLogs); set per_session: true to receive them');
    }
  }

  async serverRequest(inst: UpstreamInstance, method: string, params: Item, call: CallRef | null | 'ambiguous', signal: AbortSignal): Promise<Item> {
    let target = call;
    const owner = inst.owner === null ? undefined : this.#sessions.get(inst.owner);
    if (owner !== undefined && (target === null || target === 'ambiguous')) target = sessionRef(owner);
    if (method === 'sampling/createMessage' && this.#config.sampling === 'gateway' && target !== null && target !== 'ambiguous') {
      return this.#sampleViaGateway(target.session, params);
    }
    if (target === 'ambiguous') {
      throw new RpcError(RPC_CODE.InternalError, `LocalRouter cannot tell which client session this ${method} request belongs to (several use "${inst.name}" at once); set per_session: true for this server`);
    }
    if (target === null) throw new RpcError(RPC_CODE.InternalError, `${method} arrived while no client request of "${inst.name}" was in progress; LocalRouter has no client to ask`);
    if (!target.clientCan(CAPABILITY_OF[method] ?? method)) throw new RpcError(RPC_CODE.MethodNotFound, `the client does not support ${method}`);
    return target.request(method, this.#withSessionTaskId(target.session, inst, params), signal);
  }

  /**
   * A request about one of the server's tasks (an elicitation while the task is `input_required`)
   * names it by the id the session knows (`<server>__<id>`); a task the session does not know is
   * not named at all.
   */
  #withSessionTaskId(sessionId: number, inst: UpstreamInstance, params: Item): Item {
    const meta = params._meta as Item | undefined;
    const related = meta?.[RELATED_TASK_META_KEY] as Item | undefined;
    if (related === undefined) return params;
    const original = typeof related.taskId === 'string' ? related.taskId : null;
    const id = original === null ? null : this.#sessions.get(sessionId)?.taskIdFor(inst, original) ?? null;
    const { [RELATED_TASK_META_KEY]: _drop, ...rest } = meta!;
    const nextMeta = id === null ? rest : { ...rest, [RELATED_TASK_META_KEY]: { ...related, taskId: id } };
    const { _meta: _old, ...out } = params;
    return Object.keys(nextMeta).length === 0 ? out : { ...out, _meta: nextMeta };
  }

  oauthSaved(inst: UpstreamInstance, state: McpOAuthState): void {
    this.#post(encodeMcpOAuthSaved(inst.name, state));
  }

  stderr(inst: UpstreamInstance, line: string): void {
    this.#log('info', { server: inst.name, session: inst.owner ?? undefined }, `[mcp stderr] ${labelSafe(line, MAX_LOGGED_LINE)}`);
  }

  state(inst: UpstreamInstance, state: McpServerStatus['state'], error: string | null): void {
    if (state === 'backoff') {
      this.#log('warn', { server: inst.name, error: error === null ? null : labelSafe(error, MAX_LOGGED_LINE) }, 'MCP server down; restarting with backoff');
    } else if (state === 'ready') {
      this.#log('info', { server: inst.name, protocolVersion: labelSafe(inst.protocolVersion ?? '', 64), era: inst.era }, 'MCP server connected');
    }
  }

  refused(inst: UpstreamInstance, what: string): void {
    this.#log('warn', { server: inst.name, session: inst.owner ?? undefined, what: labelSafe(what) }, 'MCP server sent a message nested too deep; refused');
  }

  // ---- internals ----

  #configure(config: McpActorConfig): void {
    this.#config = config;
    this.#skills.configure(config.skillPaths ?? []);
    this.#policies = new Map(Object.entries(config.access).map(([name, access]) => [name, compileMcpPolicy(access)]));
    const next = new Map<string, ServerEntry>();
    for (const runtime of config.servers) {
      const key = JSON.stringify(runtime);
      const old = this.#servers.get(runtime.name);
      if (old !== undefined && old.key === key) {
        next.set(runtime.name, old);
        continue;
      }
      if (old !== undefined) void closeEntry(old);
      const entry: ServerEntry = { runtime, key, shared: null, perSession: new Map() };
      next.set(runtime.name, entry);
      if (runtime.connect === 'start' && !runtime.perSession) this.#shared(entry).ready().catch(() => undefined);
    }
    for (const [name, old] of this.#servers) if (!next.has(name)) void closeEntry(old);
    const changed = next.size !== this.#servers.size || [...next].some(([n, e]) => this.#servers.get(n) !== e);
    this.#servers = next;
    this.#scoped.clear();
    for (const s of this.#sessions.values()) s.policy = this.#policyOf(s.info);
    this.#sharedViews.clear();
    this.generation++;
    if (changed) {
      for (const s of this.#sessions.values()) {
        void Promise.all([s.server.sendToolListChanged(), s.server.sendPromptListChanged(), s.server.sendResourceListChanged()]).catch(() => undefined);
      }
    }
  }

  #rebuild(session: ClientSession, kind: ListKind, cache: Map<ListKind, Promise<MergedView>>): Promise<MergedView> {
    const policy = session.policy;
    const merged = buildMergedView(kind, this.instancesFor(session), {
      prefix: this.#config.prefix, policy, generation: this.generation,
      onConflict: (k, key, kept, other, renamed) => this.#conflict(k, key, kept, other, renamed),
    });
    // The strategy's tool shaping is applied to its own filtered view (tool-shaping.ts), then its skills are added.
    const built = kind === 'tools' ? merged.then((v) => this.#skills.withSkills(shapeTools(v, policy.toolShapes), policy)) : merged;
    cache.set(kind, built);
    return built;
  }

  /** The instructions of a connected instance of the same per-session server, if any. */
  #otherInstructions(inst: UpstreamInstance): string | undefined {
    for (const other of this.#servers.get(inst.name)?.perSession.values() ?? []) {
      const text = other.instructions();
      if (text !== undefined) return text;
    }
    return undefined;
  }

  /** Says once per conflict (views are rebuilt often) what became of an item two servers both expose. */
  #conflict(kind: ListKind, key: string, kept: string, other: string, renamed: string | null): void {
    const id = `${kind}\u0000${key}\u0000${kept}\u0000${other}`;
    if (this.#warned.has(id)) return;
    if (this.#warned.size < 10_000) this.#warned.add(id);
    const fields = { kind, name: labelSafe(key), kept, other };
    const what = kind === 'resourceTemplates' ? 'resource template' : 'resource URI';
    if (renamed !== null) this.#log('warn', { ...fields, renamed: labelSafe(renamed) }, `MCP ${what} listed by several servers; "${kept}" keeps it, "${other}"'s is listed and read as the namespaced URI`);
    else if (this.#config.prefix === 'never') this.#log('warn', fields, `MCP name conflict with prefix: never; "${kept}" keeps the name, "${other}"'s is left out`);
    else this.#log('warn', fields, `MCP name conflict: two servers share a namespace (their prefix); "${kept}" keeps the name, "${other}"'s is left out`);
  }

  #ownsServers(session: ClientSession): boolean {
    if (session.info.stateless === true) return false;
    for (const e of this.#servers.values()) if (e.runtime.perSession && session.policy.serverAllowed(e.runtime.name)) return true;
    return false;
  }

  /** The session's rules: its strategy's, narrowed to the virtual server it was opened on (one object per pair, so views are shared). */
  #policyOf(info: McpSessionInfo): McpPolicy {
    const base = this.#policies.get(info.strategy) ?? compileMcpPolicy(null);
    const endpoint = info.endpoint ?? null;
    if (endpoint === null) return base;
    const key = `${info.strategy}\n${endpoint}`;
    let scoped = this.#scoped.get(key);
    if (scoped === undefined) {
      // A virtual server removed by a reload while its sessions live offers nothing.
      scoped = scopeMcpPolicy(base, this.#config.virtualServers?.[endpoint] ?? { servers: [], tools: [] });
      this.#scoped.set(key, scoped);
    }
    return scoped;
  }

  #shared(e: ServerEntry): UpstreamInstance {
    e.shared ??= this.#instance(e.runtime, null);
    return e.shared;
  }

  #perSession(e: ServerEntry, session: number): UpstreamInstance {
    let inst = e.perSession.get(session);
    if (inst === undefined) {
      inst = this.#instance(e.runtime, session);
      e.perSession.set(session, inst);
    }
    return inst;
  }

  #instance(runtime: McpServerRuntime, owner: number | null): UpstreamInstance {
    return new UpstreamInstance(runtime, owner, this, {
      version: this.#config.version, restartInitialMs: this.#config.restartInitialMs, restartMaxMs: this.#config.restartMaxMs,
      maxJsonDepth: this.#config.maxJsonDepth, healthIntervalMs: this.#config.healthIntervalMs, healthTimeoutMs: this.#config.healthTimeoutMs,
    });
  }

  *#sessionsSeeing(inst: UpstreamInstance): Iterable<ClientSession> {
    if (inst.owner !== null) {
      const s = this.#sessions.get(inst.owner);
      if (s !== undefined) yield s;
      return;
    }
    for (const s of this.#sessions.values()) if (s.policy.serverAllowed(inst.name)) yield s;
  }

  #open(id: number, info: McpSessionInfo): void {
    const transport = new PortTransport(`s${id}`, (json, related, final) => this.#post(encodeMcpSend(id, json, related, final)));
    const session = new ClientSession(id, info, this.#policyOf(info), this, transport);
    this.#transports.set(id, transport);
    this.#sessions.set(id, session);
    session.server.fallbackNotificationHandler = async (n) => {
      // The client's roots changed: only its own per-session instances asked it for roots.
      if (n.method === 'notifications/roots/list_changed') {
        for (const e of this.#servers.values()) void e.perSession.get(id)?.notify(n.method).catch(() => undefined);
      }
    };
    void session.start();
    for (const e of this.#servers.values()) {
      if (e.runtime.perSession && e.runtime.connect === 'start' && info.stateless !== true && session.policy.serverAllowed(e.runtime.name)) {
        this.#perSession(e, id).ready().catch(() => undefined);
      }
    }
  }

  async #close(id: number, tellIngress: boolean): Promise<void> {
    const session = this.#sessions.get(id);
    if (session === undefined) return;
    this.#sessions.delete(id);
    this.#transports.delete(id);
    for (const uri of [...session.subscriptions]) {
      for (const [inst, uris] of this.#subs) {
        const n = uris.get(uri);
        if (n !== undefined && n > 1) uris.set(uri, n - 1);
        else if (n === 1) {
          uris.delete(uri);
          const ns = namespacedUri(inst.runtime.namespace, '');
          const original = uri.startsWith(ns) ? uri.slice(ns.length) : uri;
          if (inst.state === 'ready' && inst.capabilities()?.resources?.subscribe) void inst.request('resources/unsubscribe', { uri: original }, { call: null }).catch(() => undefined);
        }
      }
    }
    await session.close().catch(() => undefined);
    for (const e of this.#servers.values()) {
      const inst = e.perSession.get(id);
      if (inst !== undefined) {
        e.perSession.delete(id);
        void inst.close();
      }
    }
    if (tellIngress) this.#post(encodeMcpClosed(id));
  }

  /** The skill set changed (a live reload, or other paths): every view is rebuilt and every session told. */
  #skillsChanged(): void {
    this.generation++;
    this.#sharedViews.clear();
    this.#log('info', { skills: this.#skills.count }, 'skills reloaded');
    for (const s of this.#sessions.values()) void s.server.sendToolListChanged().catch(() => undefined);
  }

  #sampleViaGateway(session: number, params: Item): Promise<Item> {
    const id = ++this.#sampleSeq;
    this.#post(encodeMcpSample(id, session, JSON.stringify(samplingToChat(params))));
    return new Promise((resolve, reject) => this.#samples.set(id, { resolve, reject }));
  }

  #sampled(id: number, completion: string | null, error: string | null): void {
    const pending = this.#samples.get(id);
    if (pending === undefined) return;
    this.#samples.delete(id);
    if (completion === null) return pending.reject(new RpcError(RPC_CODE.InternalError, `LocalRouter sampling failed: ${error ?? 'unknown error'}`));
    try {
      pending.resolve(chatToSamplingResult(completion));
    } catch (err) {
      pending.reject(new RpcError(RPC_CODE.InternalError, `LocalRouter sampling returned an unreadable answer: ${(err as Error).message}`));
    }
  }

  #log(level: McpLogLevel, fields: Record<string, unknown>, message: string): void {
    this.#post(encodeMcpLog(level, fields, message));
  }
}

/** An error as plain, cloneable log fields (the ingress logger prints `err` with its stack). */
export function plainError(err: unknown): { type: string; message: string; stack?: string } {
  if (err instanceof Error) return { type: err.name, message: labelSafe(err.message, MAX_LOGGED_LINE), stack: err.stack };
  return { type: typeof err, message: labelSafe(String(err), MAX_LOGGED_LINE) };
}

/** A session-level target for server requests of a per-session instance with no client request in flight. */
function sessionRef(s: ClientSession): CallRef {
  return {
    session: s.id,
    notify: (method, params) => s.server.notification({ method, params } as never),
    request: (method, params, signal) => s.server.request({ method, params } as never, ResultSchema, { signal, timeout: 60 * 60_000 }) as Promise<Item>,
    clientCan: (capability) => s.clientCan(capability),
    logLevel: () => s.logLevel,
  };
}

function idleStatus(runtime: McpServerRuntime): McpServerStatus {
  return {
    name: runtime.name, transport: runtime.transport, state: 'idle', perSession: runtime.perSession, instances: 0,
    tools: null, prompts: null, resources: null, restarts: 0, lastError: null, lastErrorAt: null, lastSuccessAt: null, droppedLogs: 0,
    needsLogin: false, protocolVersion: null, serverInfo: null, era: null,
  };
}

async function closeEntry(e: ServerEntry): Promise<void> {
  await Promise.all([e.shared?.close(), ...[...e.perSession.values()].map((i) => i.close())]);
}
