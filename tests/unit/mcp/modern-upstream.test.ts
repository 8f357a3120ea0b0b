import { afterEach, describe, expect, it, vi } from 'vitest';
import { ModernUpstream, type ModernEvents, type ModernOptions } from '../../../src/mcp/modern-upstream.js';
import type { Item, ListKind } from '../../../src/mcp/upstream-types.js';

/**
 * `ModernUpstream` over a scripted stand-in for the v2 SDK client (the parts it calls): how it opens
 * its listen stream again, reports list changes, and relays an `input_required` round.
 */
type Handler = (n: { params?: Item }) => void;

interface FakeClient {
  handlers: Map<string, Handler>;
  listens: Array<{ resourceSubscriptions?: string[] }>;
  setNotificationHandler(method: string, h: Handler): void;
  getServerCapabilities(): Item;
  listen(filter: { resourceSubscriptions?: string[] }): Promise<unknown>;
  request(req: { method: string; params: Item }): Promise<Item>;
  close(): Promise<void>;
}

function fakeClient(opts: { endAfterMs?: number; request?: (req: { method: string; params: Item }) => Promise<Item> } = {}): FakeClient {
  const fake: FakeClient = {
    handlers: new Map(),
    listens: [],
    setNotificationHandler(method, h) { fake.handlers.set(method, h); },
    getServerCapabilities: () => ({ tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } }),
    listen: async (filter) => {
      fake.listens.push(filter);
      let end!: (how: string) => void;
      const closed = new Promise<string>((r) => { end = r; });
      if (opts.endAfterMs !== undefined) setTimeout(() => end('remote'), opts.endAfterMs);
      return { honoredFilter: filter, close: async () => end('local'), closed };
    },
    request: opts.request ?? (async () => ({})),
    close: async () => undefined,
  };
  return fake;
}

function events(over: Partial<ModernEvents> = {}): ModernEvents & { kinds: Array<ListKind | null>; failures: string[]; recovered: number } {
  const e = {
    kinds: [] as Array<ListKind | null>, failures: [] as string[], recovered: 0,
    changed: (k: ListKind | null) => { e.kinds.push(k); },
    resourceUpdated: () => undefined,
    log: () => undefined,
    input: async () => ({}),
    listenFailed: (reason: string) => { e.failures.push(reason); },
    listenRecovered: () => { e.recovered++; },
    ...over,
  };
  return e;
}

const OPTS: ModernOptions = { version: '1', timeoutMs: 1000, maxTotalTimeoutMs: 0, maxJsonDepth: 64, perSession: false };
const KINDS = { timeout: () => false, protocol: () => false };

afterEach(() => {
  vi.useRealTimers();
});

describe('ModernUpstream', () => {
  it('backs off ever longer from a listen stream the server ends at once (only a stream that stayed open resets the backoff)', async () => {
    vi.useFakeTimers();
    const client = fakeClient({ endAfterMs: 50 });
    const ev = events();
    const up = new ModernUpstream(client as never, ev, OPTS, KINDS);
    up.listen();
    await vi.advanceTimersByTimeAsync(20_000);
    // 1 s, 2 s, 4 s, 8 s apart: five streams in 20 s (a backoff that never grows would open about twenty).
    expect(client.listens.length).toBeLessThanOrEqual(6);
    expect(client.listens.length).toBeGreaterThanOrEqual(4);
    await up.close();
  });

  it('reports a flood of list_changed notifications once per turn of the event loop', async () => {
    const client = fakeClient();
    const ev = events();
    const up = new ModernUpstream(client as never, ev, OPTS, KINDS);
    for (let i = 0; i < 2000; i++) client.handlers.get('notifications/tools/list_changed')!({});
    client.handlers.get('notifications/resources/list_changed')!({});
    await new Promise((r) => setImmediate(r));
    expect(ev.kinds.sort()).toEqual(['resourceTemplates', 'resources', 'tools']);
    await up.close();
  });

  it('bounds a listen failure\'s text and says when the stream is back', async () => {
    vi.useFakeTimers();
    let fail = true;
    const client = fakeClient();
    const listen = client.listen;
    client.listen = (filter) => (fail ? Promise.reject(new Error(`refused ${'x'.repeat(5000)}\nsecond line`)) : listen(filter));
    const ev = events();
    const up = new ModernUpstream(client as never, ev, OPTS, KINDS);
    up.listen();
    await vi.advanceTimersByTimeAsync(10);
    expect(ev.failures).toHaveLength(1);
    expect(ev.failures[0]!.length).toBeLessThan(400);
    expect(ev.failures[0]).not.toContain('second line');
    fail = false;
    await vi.advanceTimersByTimeAsync(1_500);
    expect(ev.recovered).toBe(1);
    await up.close();
  });

  it('listens for the URIs it is handed from its first stream, and reports updates of those only', async () => {
    const client = fakeClient();
    const updated: string[] = [];
    const up = new ModernUpstream(client as never, events({ resourceUpdated: (uri) => { updated.push(uri); } }), { ...OPTS, watched: new Set(['memo://one']) }, KINDS);
    up.listen();
    await new Promise((r) => setImmediate(r));
    expect(client.listens[0]?.resourceSubscriptions).toEqual(['memo://one']);
    client.handlers.get('notifications/resources/updated')!({ params: { uri: 'secret://nobody-asked' } });
    client.handlers.get('notifications/resources/updated')!({ params: { uri: 'memo://one' } });
    expect(updated).toEqual(['memo://one']);
    await up.close();
  });

  it('asks the client nothing when one of the embedded requests is unusable, and withdraws the others when one fails', async () => {
    const asked: string[] = [];
    let aborted = 0;
    const pending = events({
      input: (method, _p, _c, signal) => {
        asked.push(method);
        signal.addEventListener('abort', () => { aborted++; });
        return method === 'sampling/createMessage' ? Promise.reject(new Error('the client cannot sample')) : new Promise<Item>(() => undefined);
      },
    });
    const bad = fakeClient({ request: async () => ({ resultType: 'input_required', inputRequests: { ask: { method: 'elicitation/create', params: { message: 'Transfer $1000?' } }, bad: {} } }) });
    const up = new ModernUpstream(bad as never, pending, OPTS, KINDS);
    await expect(up.request('tools/call', { name: 'x' }, { call: null })).rejects.toThrow(/without a method/);
    expect(asked).toEqual([]);

    const failing = fakeClient({ request: async () => ({ resultType: 'input_required', inputRequests: { ask: { method: 'elicitation/create', params: {} }, poem: { method: 'sampling/createMessage', params: {} } } }) });
    const up2 = new ModernUpstream(failing as never, pending, OPTS, KINDS);
    await expect(up2.request('tools/call', { name: 'x' }, { call: null })).rejects.toThrow(/cannot sample/);
    expect(asked).toEqual(['elicitation/create', 'sampling/createMessage']);
    expect(aborted).toBeGreaterThanOrEqual(1);
    await Promise.all([up.close(), up2.close()]);
  });

  it('relays sampling and elicitation only; roots only for an instance of one client session', async () => {
    const asked: string[] = [];
    const ev = events({ input: async (method) => { asked.push(method); return {}; } });
    const rounds = (inputRequests: Item) => {
      let n = 0;
      return fakeClient({ request: async () => (n++ === 0 ? { resultType: 'input_required', inputRequests } : { content: [] }) });
    };
    const shared = new ModernUpstream(rounds({ r: { method: 'roots/list' } }) as never, ev, OPTS, KINDS);
    await expect(shared.request('tools/call', { name: 'y' }, { call: null })).rejects.toThrow(/roots\/list.*not relayed/);
    const ping = new ModernUpstream(rounds({ p: { method: 'ping' } }) as never, ev, { ...OPTS, perSession: true }, KINDS);
    await expect(ping.request('tools/call', { name: 'y' }, { call: null })).rejects.toThrow(/ping.*not relayed/);
    const own = new ModernUpstream(rounds({ r: { method: 'roots/list' } }) as never, ev, { ...OPTS, perSession: true }, KINDS);
    await expect(own.request('tools/call', { name: 'y' }, { call: null })).resolves.toEqual({ content: [] });
    expect(asked).toEqual(['roots/list']);
    await Promise.all([shared.close(), ping.close(), own.close()]);
  });
});
