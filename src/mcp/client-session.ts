import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CallToolRequestSchema, CancelTaskRequestSchema, CompleteRequestSchema, GetPromptRequestSchema, GetTaskPayloadRequestSchema, GetTaskRequestSchema,
  InitializeRequestSchema, ListTasksRequestSchema, RELATED_TASK_META_KEY, ListPromptsRequestSchema, ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema, ResultSchema, SetLevelRequestSchema,
  SubscribeRequestSchema, UnsubscribeRequestSchema, ErrorCode, McpError, type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';
import { SKILL_TOOL_PREFIX } from '../skills/index.js';
import type { McpCallInfo, McpJsonRpcMessage, McpSessionInfo, SkillRunInfo } from '../workers/index.js';
import { asAbortSignal, CallSignal } from './call-signal.js';
import type { McpPolicy } from './access-policy.js';
import type { MergedView, Owner } from './merged-view.js';
import { paginate } from './paginate.js';
import { upstreamCall } from './tool-shaping.js';
import { preSerialized, type PortTransport } from './port-transport.js';
import { RPC_CODE, RpcError, toRpcError } from './rpc-error.js';
import type { UpstreamInstance } from './upstream-instance.js';
import { LIST_KINDS, type CallRef, type Item, type ListKind } from './upstream-types.js';

/** What a session needs from the MCP core. */
export interface SessionHost {
  readonly pageSize: number;
  readonly version: string;
  /** The upstream instances this session may use: allowed shared servers, and its own per-session ones. */
  instancesFor(session: ClientSession): UpstreamInstance[];
  /** The merged list of `kind` as this session sees it, rebuilt when anything upstream (or the policy) changed. */
  view(session: ClientSession, kind: ListKind): Promise<MergedView>;
  subscribe(session: ClientSession, owner: Owner, uri: string, on: boolean): Promise<void>;
  levelChanged(): void;
  /** The upstreams' `instructions` as one text for this session's `initialize` result (undefined: none). */
  instructions(session: ClientSession): Promise<string | undefined>;
  /** One MCP call, for the metrics rings; `start` is a `performance.now()` reading. */
  record(session: ClientSession, server: string | null, what: string, startMs: number, error: number | null, toolError?: boolean): void;
  /** A client call (tools/call, resources/read, prompts/get) finished: where it went and how it ended, for the request log. */
  called(session: ClientSession, request: string | number, call: McpCallInfo): void;
  /** Runs the skill tool `params.name` for this session; null when the name is not one of its skill tools. */
  callSkill(session: ClientSession, params: Item & { name: string }, extra: CallExtra): Promise<{ result: Item; run: SkillRunInfo | null }> | null;
}

/** Filled in while a call is routed: the server it went to and the name it has there. */
interface CallNote {
  server: string | null;
  target: string;
}

/** How long a forwarded server-to-client request (a human answering an elicitation) may take. */
const CLIENT_REQUEST_TIMEOUT_MS = 60 * 60_000;
/** Cached pages per merged view; a view is replaced, never changed, so its pages live and die with it. */
const pagesOf = new WeakMap<MergedView, Map<string, Item>>();
const MAX_CACHED_PAGES = 64;
/** Tasks one session keeps ids of (task-augmented calls it made). */
const MAX_SESSION_TASKS = 1000;
/** Pages of an upstream's `tasks/list` read for one client `tasks/list`. */
const MAX_TASK_LIST_PAGES = 50;
const LEVELS: LoggingLevel[] = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const LIST_METHODS: Record<ListKind, typeof ListToolsRequestSchema | typeof ListPromptsRequestSchema | typeof ListResourcesRequestSchema | typeof ListResourceTemplatesRequestSchema> = {
  tools: ListToolsRequestSchema, prompts: ListPromptsRequestSchema, resources: ListResourcesRequestSchema, resourceTemplates: ListResourceTemplatesRequestSchema,
};

/**
 * One client session on the gateway side: an SDK `Server` (initialize, version negotiation, ping,
 * cancellation, ids) whose handlers merge the upstreams' lists and route each call to the upstream
 * that owns the name, with the name it has there.
 */
export class ClientSession {
  readonly id: number;
  readonly info: McpSessionInfo;
  readonly server: Server;
  policy: McpPolicy;
  logLevel: LoggingLevel | null = null;
  readonly subscriptions = new Set<string>();
  /** Merged views of this session alone (it has per-session servers); see `SessionHost.view`. */
  readonly views = new Map<ListKind, Promise<MergedView>>();
  /** This session's tasks: the id it sees (`<namespace>__<upstream task id>`) → the upstream and its task id. */
  readonly tasks = new Map<string, Owner>();
  readonly #host: SessionHost;
  readonly #transport: PortTransport;
  /** Tool calls in flight on the fast path (a session has few at once: scanned, not hashed). */
  readonly #fastCalls: FastCall[] = [];

  constructor(id: number, info: McpSessionInfo, policy: McpPolicy, host: SessionHost, transport: PortTransport) {
    this.id = id;
    this.info = info;
    this.policy = policy;
    this.#host = host;
    this.#transport = transport;
    if (info.logLevel !== undefined && (LEVELS as string[]).includes(info.logLevel)) this.logLevel = info.logLevel as LoggingLevel;
    this.server = new Server({ name: 'localrouter', version: host.version }, {
      capabilities: {
        tools: { listChanged: true }, prompts: { listChanged: true }, resources: { subscribe: true, listChanged: true }, logging: {}, completions: {},
        // Task-augmented tool calls are relayed to the upstream that runs the task (see #adoptTask).
        tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
      },
    });
    this.#install();
    transport.intercept = (message) => this.#fastPath(message);
  }

  start(): Promise<void> {
    return this.server.connect(this.#transport);
  }

  clientCan(capability: string): boolean {
    // A stateless session never initializes: its request declared the client's capabilities.
    const declared = this.server.getClientCapabilities() ?? this.info.clientCapabilities;
    return (declared as Record<string, unknown> | undefined)?.[capability] !== undefined;
  }

  /** True when this session wants a log line of `level`. */
  wantsLog(level: unknown): boolean {
    if (this.logLevel === null) return true;
    return LEVELS.indexOf(level as LoggingLevel) >= LEVELS.indexOf(this.logLevel);
  }

  view(kind: ListKind): Promise<MergedView> {
    return this.#host.view(this, kind);
  }

  close(): Promise<void> {
    // As the SDK's Protocol does with its own requests when the connection closes.
    const closed = new McpError(ErrorCode.ConnectionClosed, 'Connection closed');
    for (const call of this.#fastCalls.splice(0)) call.signal.abort(closed);
    return this.server.close();
  }

  #callTool(params: Item & { name: string }, extra: Extra): Promise<Item> {
    const skill = params.task === undefined ? this.#host.callSkill(this, params, extra) : null;
    if (skill !== null) return this.#skillCalled(params.name, skill, extra);
    return this.#noted(extra, params.name, async (note) => {
      if (params.task === undefined) return this.#route('tools', params.name, 'tools/call', (owner) => upstreamCall(owner, params), extra, note);
      let called: Owner | null = null;
      const result = await this.#route('tools', params.name, 'tools/call', (owner) => { called = owner; return upstreamCall(owner, params); }, extra, note);
      return this.#adoptTask(called!, result);
    });
  }

  /**
   * A plain `tools/call` (no task, no related task, not a skill) taken before the SDK's `Protocol`
   * sees it, and answered the way `Protocol` answers a request: the same handler with the same
   * parse, the same `extra` (its notifications and requests tied to this request), the same result
   * and error shapes, nothing sent once cancelled. What it saves per call is what `Protocol` spends
   * on a request beyond that: the zod checks that tell a request from a response, a Node
   * `AbortController` (see `CallSignal`), the per-request map entries. Its own cancel arrives as
   * `notifications/cancelled` and is taken here too. Anything else goes to the SDK.
   */
  #fastPath(message: McpJsonRpcMessage): boolean {
    const m = message as { id?: unknown; method?: unknown; params?: Item };
    if (m.method === 'notifications/cancelled') return this.#cancelFast(m.params);
    if (m.method !== 'tools/call' || (typeof m.id !== 'number' && typeof m.id !== 'string')) return false;
    const p = m.params;
    if (typeof p !== 'object' || p === null || p.task !== undefined || typeof p.name !== 'string' || p.name.startsWith(SKILL_TOOL_PREFIX)) return false;
    const meta = p._meta;
    if (typeof meta === 'object' && meta !== null && (meta as Item)[RELATED_TASK_META_KEY] !== undefined) return false;
    // An id already in flight here is the SDK's to answer (as a duplicate), like anything unusual.
    if (this.#fastCalls.some((c) => c.id === m.id)) return false;
    const parsed = CallToolRequestSchema.safeParse(message);
    if (!parsed.success) return false;
    const id = m.id;
    const signal = new CallSignal();
    const call: FastCall = { id, signal };
    this.#fastCalls.push(call);
    const extra: Extra = {
      signal: asAbortSignal(signal),
      requestId: id,
      sendNotification: async (notification) => {
        if (!signal.aborted) await this.server.notification(notification as never, { relatedRequestId: id });
      },
      sendRequest: async (request, schema, options) => {
        if (signal.aborted) throw new McpError(ErrorCode.ConnectionClosed, 'Request was cancelled');
        return this.server.request(request, schema, { ...options, relatedRequestId: id });
      },
    };
    Promise.resolve().then(() => this.#callTool(parsed.data.params as Item & { name: string }, extra)).then(
      (result) => this.#answerFast(call, { jsonrpc: '2.0', id, result }),
      (err: unknown) => this.#answerFast(call, { jsonrpc: '2.0', id, error: jsonRpcErrorOf(err) }),
    ).catch(() => undefined);
    return true;
  }

  #answerFast(call: FastCall, answer: Item): Promise<void> | undefined {
    const at = this.#fastCalls.indexOf(call);
    if (at >= 0) {
      this.#fastCalls[at] = this.#fastCalls[this.#fastCalls.length - 1]!;
      this.#fastCalls.pop();
    }
    if (call.signal.aborted) return;
    return this.#transport.send(answer as never);
  }

  /** True when the cancelled request is one of the fast path's (it is aborted then); else the SDK's. */
  #cancelFast(params: Item | undefined): boolean {
    const call = this.#fastCalls.find((c) => c.id === params?.requestId);
    if (call === undefined) return false;
    call.signal.abort(params?.reason);
    return true;
  }

  #install(): void {
    const s = this.server;
    // The SDK answers initialize itself; the upstreams' instructions are added to its answer.
    const initialize = (s as unknown as { _oninitialize(req: unknown): Promise<Item> })._oninitialize.bind(s);
    Protocol.prototype.setRequestHandler.call(s, InitializeRequestSchema, async (req: unknown) => {
      const result = await initialize(req);
      const instructions = await this.#host.instructions(this).catch(() => undefined);
      if (instructions !== undefined) result.instructions = instructions;
      return result as never;
    });
    for (const kind of Object.keys(LIST_KINDS) as ListKind[]) {
      s.setRequestHandler(LIST_METHODS[kind], (req) => this.#timed(null, LIST_KINDS[kind].method, () => this.#list(kind, req.params?.cursor)));
    }
    // Registered past the SDK Server's own tools/call wrapper, which parses the request twice and
    // the result with CallToolResultSchema: that parse drops fields it does not know inside content
    // blocks, and a gateway forwards an upstream's result as it came (the SDK client already checked
    // it is a JSON-RPC result). The request is still parsed once, by Protocol.
    Protocol.prototype.setRequestHandler.call(s, CallToolRequestSchema, (req: { params: Item & { name: string } }, extra: Extra) => this.#callTool(req.params, extra) as never);
    for (const schema of [GetTaskRequestSchema, GetTaskPayloadRequestSchema, CancelTaskRequestSchema]) {
      Protocol.prototype.setRequestHandler.call(s, schema, (req: { method: string; params: Item & { taskId: string } }, extra: Extra) => this.#taskRequest(req.method, req.params, extra) as never);
    }
    Protocol.prototype.setRequestHandler.call(s, ListTasksRequestSchema, (req) => this.#listTasks((req.params as { cursor?: string } | undefined)?.cursor) as never);
    s.setRequestHandler(GetPromptRequestSchema, (req, extra) => {
      const params = req.params as Item & { name: string };
      return this.#noted(extra as Extra, params.name, (note) => this.#route('prompts', params.name, 'prompts/get', (owner) => ({ ...params, name: owner.original }), extra as Extra, note)) as never;
    });
    s.setRequestHandler(ReadResourceRequestSchema, (req, extra) => {
      const params = req.params as Item & { uri: string };
      return this.#noted(extra as Extra, params.uri, (note) => this.#routeUri('resources/read', params, extra as Extra, false, note)) as never;
    });
    s.setRequestHandler(SubscribeRequestSchema, (req) => this.#subscribe(req.params.uri, true));
    s.setRequestHandler(UnsubscribeRequestSchema, (req) => this.#subscribe(req.params.uri, false));
    s.setRequestHandler(CompleteRequestSchema, (req, extra) => {
      const params = req.params as Item & { ref: Item & { type: string; name?: string; uri?: string } };
      const ref = params.ref;
      if (ref.type === 'ref/prompt') {
        return this.#route('prompts', String(ref.name), 'completion/complete', (owner) => ({ ...params, ref: { ...ref, name: owner.original } }), extra) as never;
      }
      return this.#routeUri('completion/complete', { ...params, uri: String(ref.uri) }, extra, true) as never;
    });
    s.setRequestHandler(SetLevelRequestSchema, (req) => {
      this.logLevel = req.params.level;
      this.#host.levelChanged();
      return {};
    });
  }

  /**
   * One page of a merged list. Pages are cached per view and serialized once (`preSerialized`): a
   * repeated list costs no merge, no pagination and no JSON work until something changes upstream.
   */
  async #list(kind: ListKind, cursor: string | undefined): Promise<Item> {
    const view = await this.view(kind);
    let pages = pagesOf.get(view);
    if (pages === undefined) pagesOf.set(view, (pages = new Map()));
    const cached = pages.get(cursor ?? '');
    if (cached !== undefined) return cached;
    const page = paginate(view.items, cursor, this.#host.pageSize);
    const result: Item = { [LIST_KINDS[kind].field]: page.items };
    if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
    // Servers left out are said, not hidden: a client (or its user) can tell a tool is missing and why.
    if (view.unavailable.length > 0) result._meta = { 'localrouter/unavailable': view.unavailable };
    if (pages.size < MAX_CACHED_PAGES) pages.set(cursor ?? '', preSerialized(result));
    return result;
  }

  /** A call by name: the owner from the merged view (hidden and unknown names are the same error). */
  async #route(kind: 'tools' | 'prompts', name: string, method: string, rewrite: (owner: Owner) => Item, extra: Extra, note?: CallNote): Promise<Item> {
    const owner = (await this.view(kind)).owners.get(name);
    if (owner === undefined) {
      this.#host.record(this, null, method, performance.now(), RPC_CODE.InvalidParams);
      throw new RpcError(RPC_CODE.InvalidParams, `Unknown ${kind === 'tools' ? 'tool' : 'prompt'}: ${name}`);
    }
    return this.#forward(owner, method, rewrite(owner), extra, kind === 'tools' ? `${owner.inst.name}/${owner.original}` : method, note);
  }

  /** The task an upstream created for a task-augmented call, under an id naming its upstream; this session alone can reach it. */
  #adoptTask(owner: Owner, result: Item): Item {
    const task = result.task as Item | undefined;
    if (typeof task?.taskId !== 'string') return result;
    const id = taskIdOf(owner.inst, task.taskId);
    // Bounded: past the cap the session forgets its oldest task (the upstream's ttl ends it anyway).
    if (this.tasks.size >= MAX_SESSION_TASKS) this.tasks.delete(this.tasks.keys().next().value!);
    this.tasks.set(id, { inst: owner.inst, original: task.taskId });
    return { ...result, task: { ...task, taskId: id } };
  }

  /** The id this session sees for an upstream's task (null: not one of its tasks). */
  taskIdFor(inst: UpstreamInstance, original: string): string | null {
    const id = taskIdOf(inst, original);
    return this.tasks.get(id)?.inst === inst ? id : null;
  }

  /** tasks/get, tasks/result, tasks/cancel: to the upstream that runs the task, with its own id; ids in the answer put back. */
  async #taskRequest(method: string, params: Item & { taskId: string }, extra: Extra): Promise<Item> {
    const owner = this.tasks.get(params.taskId);
    if (owner === undefined) throw new RpcError(RPC_CODE.InvalidParams, `Failed to retrieve task: Task not found`);
    const result = await this.#forward(owner, method, { ...params, taskId: owner.original }, extra, method);
    return exposeTaskIds(result, owner.original, params.taskId);
  }

  /** tasks/list: this session's tasks only, from each upstream that runs one (all its pages), paged outward. */
  async #listTasks(cursor: string | undefined): Promise<Item> {
    const byInst = new Map<UpstreamInstance, Map<string, string>>();
    for (const [id, owner] of this.tasks) {
      let ids = byInst.get(owner.inst);
      if (ids === undefined) byInst.set(owner.inst, (ids = new Map()));
      ids.set(owner.original, id);
    }
    const tasks: Item[] = [];
    for (const [inst, ids] of byInst) {
      let upstreamCursor: unknown;
      for (let page = 0; page < MAX_TASK_LIST_PAGES; page++) {
        const params = typeof upstreamCursor === 'string' ? { cursor: upstreamCursor } : {};
        const listed = await inst.request('tasks/list', params, { call: null }).catch(() => ({ tasks: [] }) as Item);
        for (const t of Array.isArray(listed.tasks) ? listed.tasks as Item[] : []) {
          const id = typeof t.taskId === 'string' ? ids.get(t.taskId) : undefined;
          if (id !== undefined) tasks.push({ ...t, taskId: id });
        }
        upstreamCursor = listed.nextCursor;
        if (typeof upstreamCursor !== 'string' || tasks.length >= this.tasks.size) break;
      }
    }
    const page = paginate(tasks, cursor, this.#host.pageSize);
    return page.nextCursor === undefined ? { tasks: page.items } : { tasks: page.items, nextCursor: page.nextCursor };
  }

  /** A call by resource URI (or, for completions, a URI template). */
  async #routeUri(method: string, params: Item & { uri: string }, extra: Extra, isTemplateRef = false, note?: CallNote): Promise<Item> {
    const owner = await this.#ownerOfUri(params.uri, isTemplateRef);
    if (isTemplateRef) {
      const { uri: _uri, ...rest } = params;
      // The upstream knows its template by its own URI, not by a namespaced one.
      const ref = rest.ref as Item;
      return this.#forward(owner, method, { ...rest, ref: { ...ref, uri: owner.original } }, extra, method);
    }
    const result = await this.#forward(owner, method, { ...params, uri: owner.original }, extra, method, note);
    return exposeContentUris(result, owner.original, params.uri);
  }

  async #ownerOfUri(uri: string, isTemplate: boolean): Promise<Owner> {
    const notFound = (): RpcError => new RpcError(RPC_CODE.ResourceNotFound, `Resource not found: ${uri.slice(0, 500)}`, { uri });
    const [resources, templates] = await Promise.all([this.view('resources'), this.view('resourceTemplates')]);
    const owner = isTemplate ? templates.owners.get(uri) ?? resources.owners.get(uri) : resources.owners.get(uri) ?? matchTemplate(templates, uri);
    if (owner !== undefined) {
      // A URI reached through an allowed template may still be denied by a URI rule.
      if (isTemplate || this.policy.resourceAllowed(owner.inst.name, owner.original)) return owner;
      throw notFound();
    }
    // Not listed and no template matches: the one server that has resources, if there is only one.
    const candidates: UpstreamInstance[] = [];
    for (const inst of this.#host.instancesFor(this)) {
      if (inst.capabilities()?.resources !== undefined && this.policy.resourceAllowed(inst.name, uri)) candidates.push(inst);
    }
    if (candidates.length === 1) return { inst: candidates[0]!, original: uri };
    throw notFound();
  }

  async #subscribe(uri: string, on: boolean): Promise<Item> {
    const owner = await this.#ownerOfUri(uri, false);
    await this.#host.subscribe(this, owner, uri, on);
    return {};
  }

  #forward(owner: Owner, method: string, params: Item, extra: Extra, what: string, note?: CallNote): Promise<Item> {
    if (note !== undefined) {
      note.server = owner.inst.name;
      note.target = owner.original;
    }
    const meta = params._meta as Item | undefined;
    const clientToken = meta?.progressToken as string | number | undefined;
    const upstreamParams = { ...params };
    if (meta !== undefined) {
      // The SDK puts its own token in; the client's is put back on every progress notification.
      const { progressToken: _t, ...rest } = meta;
      if (Object.keys(rest).length > 0) upstreamParams._meta = rest;
      else delete upstreamParams._meta;
    }
    const call = this.#callRef(extra);
    return this.#timed(owner.inst.name, what, () => owner.inst.request(method, upstreamParams, {
      call, signal: extra.signal,
      onprogress: clientToken === undefined ? undefined : (p) => {
        void call.notify('notifications/progress', { ...p, progressToken: clientToken }).catch(() => undefined);
      },
    }));
  }

  /**
   * A tool call made by a skill run of this session: the same view, access rules, shaping and
   * routing as the client's own `tools/call` (a tool the client may not use is an unknown tool here
   * too), on the stream of the client request that runs the skill.
   */
  callToolAs(name: string, args: Item, extra: CallExtra): Promise<Item> {
    return this.#route('tools', name, 'tools/call', (owner) => upstreamCall(owner, { name, arguments: args }), extra);
  }

  /** A skill run's answer, counted and told to the host with the run's record. */
  async #skillCalled(name: string, running: Promise<{ result: Item; run: SkillRunInfo | null }>, extra: Extra): Promise<Item> {
    const start = performance.now();
    const target = name.slice(SKILL_TOOL_PREFIX.length);
    try {
      const { result, run } = await running;
      this.#host.record(this, 'skills', `skills/${target}`, start, null);
      const info: McpCallInfo = { server: 'skills', target, errorCode: null, errorMessage: null, toolError: result.isError === true };
      if (run !== null) info.skill = run;
      this.#host.called(this, extra.requestId, info);
      return result;
    } catch (err) {
      const e = toRpcError(err);
      this.#host.record(this, 'skills', `skills/${target}`, start, e.code);
      this.#host.called(this, extra.requestId, { server: 'skills', target, errorCode: e.code, errorMessage: e.message.slice(0, 500), toolError: false });
      throw e;
    }
  }

  /** Runs one client call and tells the host where it went and how it ended (the request log's row). */
  async #noted(extra: Extra, target: string, run: (note: CallNote) => Promise<Item>): Promise<Item> {
    const note: CallNote = { server: null, target };
    try {
      const result = await run(note);
      this.#host.called(this, extra.requestId, { server: note.server, target: note.target, errorCode: null, errorMessage: null, toolError: result.isError === true });
      return result;
    } catch (err) {
      const e = toRpcError(err);
      this.#host.called(this, extra.requestId, { server: note.server, target: note.target, errorCode: e.code, errorMessage: e.message.slice(0, 500), toolError: false });
      throw e;
    }
  }

  #callRef(extra: Extra): CallRef {
    return {
      session: this.id,
      notify: (method, params) => extra.sendNotification({ method, params } as never),
      request: (method, params, signal) => extra.sendRequest({ method, params } as never, ResultSchema, { signal, timeout: CLIENT_REQUEST_TIMEOUT_MS }) as Promise<Item>,
      clientCan: (capability) => this.clientCan(capability),
      logLevel: () => this.logLevel,
    };
  }

  async #timed(server: string | null, what: string, run: () => Promise<Item>): Promise<Item> {
    const start = performance.now();
    try {
      const result = await run();
      this.#host.record(this, server, what, start, null, result.isError === true);
      return result;
    } catch (err) {
      const e = toRpcError(err);
      this.#host.record(this, server, what, start, e.code);
      throw e;
    }
  }
}

interface FastCall {
  id: string | number;
  signal: CallSignal;
}

/** A handler's error as the SDK's Protocol puts it in a JSON-RPC error (`#noted` throws `RpcError`s already). */
function jsonRpcErrorOf(err: unknown): Item {
  const e = toRpcError(err);
  return e.data === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, data: e.data };
}

/** What the SDK hands a request handler: the request's id, its cancel signal, and its stream back to the client. */
export type CallExtra = {
  requestId: string | number;
  signal: AbortSignal;
  sendNotification(n: never): Promise<void>;
  sendRequest(r: never, schema: typeof ResultSchema, options: { signal: AbortSignal; timeout: number }): Promise<unknown>;
};

type Extra = CallExtra;

/** The id a client sees for a task of `inst`: `<namespace>__<upstream task id>`. */
function taskIdOf(inst: UpstreamInstance, original: string): string {
  return `${inst.runtime.namespace}__${original}`;
}

/** A task answer with the upstream's task id replaced by the client's (the task itself, or the related-task `_meta` of its result). */
function exposeTaskIds(result: Item, original: string, exposed: string): Item {
  let out = result;
  if (out.taskId === original) out = { ...out, taskId: exposed };
  const meta = out._meta as Item | undefined;
  const related = meta?.[RELATED_TASK_META_KEY] as Item | undefined;
  if (related?.taskId === original) out = { ...out, _meta: { ...meta, [RELATED_TASK_META_KEY]: { ...related, taskId: exposed } } };
  return out;
}

function matchTemplate(view: MergedView, uri: string): Owner | undefined {
  for (const m of view.matchers) {
    if (m.template.match(uri) !== null) return { inst: m.owner.inst, original: uri.slice(m.prefix.length) };
  }
  return undefined;
}

/** A read's contents carry the URI the client asked for where the upstream answered with its own. */
function exposeContentUris(result: Item, original: string, exposed: string): Item {
  if (original === exposed || !Array.isArray(result.contents)) return result;
  return { ...result, contents: (result.contents as Item[]).map((c) => (c !== null && typeof c === 'object' && c.uri === original ? { ...c, uri: exposed } : c)) };
}
