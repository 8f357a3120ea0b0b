import path from 'node:path';
import { request } from 'undici';
import { executionOf, type BenchConfig, type GatewayTarget, type TargetName } from './config.js';
import { type Gateway, type GatewayExtras, startGateway } from './gateway.js';
import type { HttpTarget } from './load-protocol.js';
import type { Child, ChildSet } from './processes.js';
import { SseCheck } from './sse-check.js';

/** How the mock upstream of one phase behaves. */
export interface MockSettings {
  ttfbMs: number;
  deltaMs: number;
  deltas: number;
}

/** One thing load is sent to. `pid` is the process whose CPU and RSS are measured (none for direct). */
export interface TargetHandle {
  name: TargetName;
  origin: string;
  key: string;
  pid: number | null;
}

const PROMPT =
  'Our team runs several coding agents against a mix of hosted and local models. Explain, in three short ' +
  'paragraphs, how a local gateway should pick a provider for each request, what it should do when the ' +
  'first provider fails before sending any bytes, and how it should account for tokens and cost.';

const SYSTEM = 'You are a concise assistant.';

/**
 * Same bytes for every target, so the only difference between targets is the path they take.
 * `extra` adds fields (the fallback scenario's `models` list).
 */
export function chatBody(stream: boolean, model = 'mock/bench-model', extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    model,
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: PROMPT },
    ],
    max_tokens: 256,
    temperature: 0.2,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    ...extra,
  });
}

/** The same request in the Anthropic Messages dialect: what a client calling Anthropic itself sends. */
export function messagesBody(stream: boolean): string {
  return JSON.stringify({
    model: 'bench-model',
    system: SYSTEM,
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: 256,
    temperature: 0.2,
    ...(stream ? { stream: true } : {}),
  });
}

/** The key the mock's Messages mode wants to see (any non-empty one), also what the gateway stores for `claude`. */
export const MOCK_ANTHROPIC_KEY = 'sk-ant-bench-0000';
export const ANTHROPIC_VERSION = '2023-06-01';

const DUMMY_KEY = `lr-${'b'.repeat(43)}`;

/** What a phase's stack is made of besides the mock. */
export interface StackOptions {
  /** Extra gateway set-up (providers, clients, strategies); default: the plain one. */
  extras?: (mockOrigin: string) => GatewayExtras;
  /** Start no target at all (a phase that starts its own processes, P13). */
  mockOnly?: boolean;
}

/**
 * The processes of one phase: a mock with this phase's delays, the null proxy in front of it, and
 * each requested gateway mode in front of it too. Everything is on 127.0.0.1.
 */
export class Stack {
  readonly label: string;
  readonly mock: Child;
  readonly mockOrigin: string;
  readonly targets: TargetHandle[];
  readonly settings: MockSettings;
  #children: ChildSet;
  #owned: Child[];
  #gateways: Gateway[];

  private constructor(label: string, settings: MockSettings, mock: Child, mockOrigin: string, targets: TargetHandle[], children: ChildSet, owned: Child[], gateways: Gateway[]) {
    this.label = label;
    this.settings = settings;
    this.mock = mock;
    this.mockOrigin = mockOrigin;
    this.targets = targets;
    this.#children = children;
    this.#owned = owned;
    this.#gateways = gateways;
  }

  static async start(label: string, cfg: BenchConfig, children: ChildSet, settings: MockSettings, options: StackOptions = {}): Promise<Stack> {
    const owned: Child[] = [];
    const gateways: Gateway[] = [];
    const targets: TargetHandle[] = [];
    const cleanup = async (): Promise<void> => {
      await Promise.all(owned.map((c) => children.kill(c)));
      for (const g of gateways) g.dispose();
    };
    try {
      const e2e = path.join(cfg.repoRoot, 'bench', 'e2e');
      const mock = await children.spawnReady({
        name: `mock(${label})`,
        args: ['--import', 'tsx', path.join(e2e, 'mock-upstream.ts')],
        env: { MOCK_PORT: '0', MOCK_TTFB_MS: String(settings.ttfbMs), MOCK_DELTA_MS: String(settings.deltaMs), MOCK_DELTAS: String(settings.deltas) },
        cwd: cfg.repoRoot,
        ready: /^mock listening on (\d+)/,
      });
      owned.push(mock.child);
      const mockOrigin = `http://127.0.0.1:${mock.match}`;
      // Start-up is mostly `node` + tsx boot time, so the targets start side by side.
      const extras = options.extras?.(mockOrigin);
      const started = await Promise.allSettled((options.mockOnly ? [] : cfg.targets).map(async (name): Promise<TargetHandle> => {
        if (name === 'direct') return { name, origin: mockOrigin, key: DUMMY_KEY, pid: null };
        if (name === 'null') {
          const np = await children.spawnReady({
            name: 'null-proxy',
            args: ['--import', 'tsx', path.join(e2e, 'null-proxy.ts')],
            env: { NULL_PROXY_UPSTREAM: mockOrigin, NULL_PROXY_PORT: '0' },
            cwd: cfg.repoRoot,
            ready: /^null-proxy listening on (\d+)/,
          });
          owned.push(np.child);
          return { name, origin: `http://127.0.0.1:${np.match}`, key: DUMMY_KEY, pid: np.child.pid };
        }
        const gw = await startGateway({
          children, repoRoot: cfg.repoRoot, mockOrigin, execution: executionOf(name as GatewayTarget), limits: cfg.gatewayLimits, extras,
        });
        gateways.push(gw);
        owned.push(gw.child);
        return { name, origin: gw.origin, key: gw.key, pid: gw.child.pid };
      }));
      for (const r of started) {
        if (r.status === 'rejected') throw r.reason;
        targets.push(r.value);
      }
      const stack = new Stack(label, settings, mock.child, mockOrigin, targets, children, owned, gateways);
      // Side by side: on a slow mock (P8: 20 deltas 1 s apart) one smoke stream takes many seconds.
      await Promise.all(targets.map((t) => stack.#smoke(t)));
      return stack;
    } catch (err) {
      await cleanup();
      throw err;
    }
  }

  /** The request a load job sends to `target`. */
  http(target: TargetHandle, stream: boolean): HttpTarget {
    return this.chat(target, stream);
  }

  /** A chat-completions request to `target`, with another model, client key or extra fields if given. */
  chat(target: TargetHandle, stream: boolean, opts: { model?: string; key?: string; extra?: Record<string, unknown> } = {}): HttpTarget {
    return {
      origin: target.origin,
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${opts.key ?? target.key}` },
      body: chatBody(stream, opts.model, opts.extra),
    };
  }

  /** A Messages API request in Anthropic's own dialect, to the mock or through the null proxy. */
  messages(target: TargetHandle, stream: boolean): HttpTarget {
    return {
      origin: target.origin,
      path: '/v1/messages',
      headers: { 'content-type': 'application/json', 'x-api-key': MOCK_ANTHROPIC_KEY, 'anthropic-version': ANTHROPIC_VERSION },
      body: messagesBody(stream),
    };
  }

  /** The process a target runs in, for error messages. */
  childOf(t: TargetHandle): Child | undefined {
    return this.#owned.find((c) => c.pid === t.pid);
  }

  /** One plain and one streamed request must come back right before anything is measured. */
  async #smoke(t: TargetHandle): Promise<void> {
    for (const stream of [false, true]) {
      const h = this.http(t, stream);
      const res = await request(h.origin + h.path, { method: 'POST', headers: h.headers, body: h.body });
      const text = await res.body.text();
      let problem: string | null = null;
      if (res.statusCode !== 200) problem = `status ${res.statusCode}: ${text.slice(0, 500)}`;
      else if (stream) {
        const check = new SseCheck(this.settings.deltas, true);
        check.feed(text);
        problem = check.verdict().problem;
      } else {
        const body = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
        if (!body.choices?.[0]?.message?.content) problem = `no choices[0].message.content in ${text.slice(0, 300)}`;
      }
      if (problem) {
        const child = this.#owned.find((c) => c.pid === t.pid);
        const tail = child ? `\n--- last output of ${child.name} ---\n${child.tail()}` : '';
        throw new Error(`${t.name} (${this.label}) failed its smoke ${stream ? 'stream' : 'request'}: ${problem}${tail}`);
      }
    }
  }

  /** Fails loudly if a measured process died since the last check. */
  assertAlive(): void {
    for (const c of this.#owned) {
      if (c.proc.exitCode !== null || c.proc.signalCode !== null) {
        throw new Error(`${c.name} exited during the run\n--- last output ---\n${c.tail()}`);
      }
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.#owned.map((c) => this.#children.kill(c)));
    for (const g of this.#gateways) g.dispose();
  }
}
