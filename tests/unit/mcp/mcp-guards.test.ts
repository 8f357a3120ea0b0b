import { MessageChannel } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { McpHost, type McpLog, type McpSessionLink } from '../../../src/mcp/index.js';
import { McpCore } from '../../../src/mcp/mcp-core.js';
import { McpMetrics } from '../../../src/mcp/mcp-metrics.js';
import type { UpstreamInstance } from '../../../src/mcp/upstream-instance.js';
import { MetricsRing } from '../../../src/metrics/index.js';
import { FrameBatcher, MCP_FRAME, type FromMcpFrame, type McpActorConfig, type McpJsonText } from '../../../src/workers/index.js';

const CONFIG: McpActorConfig = {
  servers: [], prefix: 'always', sampling: 'forward', pageSize: 10, restartInitialMs: 100, restartMaxMs: 1000, healthIntervalMs: 0, healthTimeoutMs: 5000, maxJsonDepth: 64, access: {}, version: 'test',
};
const INFO = { client: 'c', strategy: 'default', clientMetricId: 0, strategyMetricId: 0 };
const INIT = { jsonrpc: '2.0' as const, id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'unit', version: '1' } } };

/** A value nested `depth` arrays deep (built from text, as a parsed request body would be). */
const deepValue = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

function text(json: McpJsonText): string {
  return typeof json === 'string' ? json : Buffer.from(json).toString('utf8');
}

interface LogLine { level: string; fields: Record<string, unknown>; message: string }

function captureLog(): { log: McpLog; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: string) => (fields: object, message: string): void => { lines.push({ level, fields: fields as Record<string, unknown>, message }); };
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, lines };
}

/** A session link that records what it gets, and resolves `answered` with the final message of request `id`. */
function recordingLink(): McpSessionLink & { got: string[]; closedCount: number; answer(id: number | string): Promise<string> } {
  const got: string[] = [];
  const waiters = new Map<number | string, (s: string) => void>();
  const link = {
    got, closedCount: 0,
    send(json: McpJsonText, related: string | number | null, final: boolean) {
      got.push(text(json));
      if (final && related !== null) waiters.get(related)?.(text(json));
    },
    closed() { link.closedCount++; },
    answer: (id: number | string) => new Promise<string>((resolve) => waiters.set(id, resolve)),
  };
  return link;
}

describe('FrameBatcher with a post error handler', () => {
  it('sends the other frames of a batch in order and hands over the one that cannot be cloned', async () => {
    const { port1, port2 } = new MessageChannel();
    const received: unknown[] = [];
    port2.on('message', (frames: unknown[]) => received.push(...frames));
    const failed: unknown[] = [];
    const batcher = new FrameBatcher<unknown>((frames) => port1.postMessage(frames), null, (frame, err) => failed.push([frame, (err as Error).name]));
    batcher.push('a');
    const deep = ['deep', deepValue(20_000)];
    batcher.push(deep);
    batcher.push('b');
    // The port delivers on its own schedule (no timer of ours to advance): wait for the batch to land.
    await expect.poll(() => received.length).toBe(2);
    expect(received).toEqual(['a', 'b']);
    expect(failed).toEqual([[deep, 'RangeError']]);
    port1.close();
  });
});

describe('McpHost', () => {
  let host: McpHost | null = null;
  afterEach(async () => { await host?.stop(); host = null; });

  it('answers a request too deep to cross to the actor with -32600, and the session keeps working', async () => {
    const { log, lines } = captureLog();
    host = new McpHost({ config: CONFIG, log, metrics: null });
    const link = recordingLink();
    const s = host.open(link, INFO);
    const initialized = link.answer(1);
    host.deliver(s, INIT);
    expect(JSON.parse(await initialized)).toMatchObject({ id: 1, result: { serverInfo: { name: 'localrouter' } } });
    const refused = link.answer(2);
    host.deliver(s, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x', arguments: { deep: deepValue(20_000) } } });
    expect(JSON.parse(await refused)).toMatchObject({ id: 2, error: { code: -32600, data: { code: 'LR_ERR_BAD_REQUEST' } } });
    expect(lines.some((l) => l.level === 'error' && /could not be sent/.test(l.message))).toBe(true);
    const ping = link.answer(3);
    host.deliver(s, { jsonrpc: '2.0', id: 3, method: 'ping' });
    expect(JSON.parse(await ping)).toEqual({ jsonrpc: '2.0', id: 3, result: {} });
    expect(host.restarts).toBe(0);
  });

  it('a link that throws ends only its own session, logged with the stack; the host keeps serving', async () => {
    const { log, lines } = captureLog();
    host = new McpHost({ config: CONFIG, log, metrics: null });
    let closed = 0;
    const broken: McpSessionLink = {
      send() { throw new Error('the HTTP response is gone'); },
      closed() { closed++; },
    };
    const bad = host.open(broken, INFO);
    host.deliver(bad, INIT);
    await expect.poll(() => closed, { timeout: 5000 }).toBe(1);
    expect(host.sessionCount).toBe(0);
    const failure = lines.find((l) => l.level === 'error' && /MCP host failed/.test(l.message))!;
    expect((failure.fields.err as Error).stack).toMatch(/the HTTP response is gone\n\s+at /);
    const link = recordingLink();
    const good = host.open(link, INFO);
    const answered = link.answer(1);
    host.deliver(good, INIT);
    expect(JSON.parse(await answered)).toMatchObject({ id: 1, result: {} });
    expect(host.restarts).toBe(0);
  });

  it('serves a stateless session (one request of protocol 2026-07-28) without counting it as a client session', async () => {
    const { log } = captureLog();
    host = new McpHost({ config: CONFIG, log, metrics: null });
    const session = host.open(recordingLink(), INFO);
    const link = recordingLink();
    const stateless = host.open(link, { ...INFO, stateless: true });
    expect(host.sessionCount).toBe(1);
    // No initialize: the request is answered as it comes.
    const listed = link.answer(1);
    host.deliver(stateless, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(JSON.parse(await listed)).toMatchObject({ id: 1, result: { tools: [] } });
    host.close(stateless);
    expect(host.sessionCount).toBe(1);
    host.close(session);
    expect(host.sessionCount).toBe(0);
  });
});

describe('labels from clients and upstreams', () => {
  it('MCP call metrics clean and cut tool names, and bound how many there are', () => {
    const ring = MetricsRing.create(1024);
    const asked: string[] = [];
    const metrics = new McpMetrics(ring.buffer, (names) => asked.push(...names));
    const call = { clientId: 1, strategyId: 1, start: performance.now(), durationMs: 1, error: null };
    metrics.record({ ...call, server: 'up', what: `up/evil\n\x1b[31mname${'x'.repeat(5000)}` });
    expect(asked).toHaveLength(2);
    const what = asked.find((n) => n.startsWith('up/'))!;
    expect(what.length).toBeLessThanOrEqual(200);
    expect(what).not.toMatch(/[\x00-\x1f\x7f]/);
    for (let i = 0; i < 12_000; i++) metrics.record({ ...call, server: 'up', what: `up/tool-${i}` });
    expect(new Set(asked).size).toBeLessThanOrEqual(10_002);
    expect(asked).toContain('up/(other)');
  });

  it('upstream stderr lines and errors reach the log cleaned and cut', () => {
    const frames: FromMcpFrame[] = [];
    const core = new McpCore(CONFIG, (f) => frames.push(f), null);
    const inst = { name: 'up', owner: null, protocolVersion: '2025-11-25\n' } as unknown as UpstreamInstance;
    core.stderr(inst, `\x1b[2Jfake log line\n{"level":"error"}${'y'.repeat(10_000)}`);
    core.state(inst, 'backoff', 'down\r\nforged: line');
    core.state(inst, 'ready', null);
    const logs = frames.filter((f) => f[0] === MCP_FRAME.LOG);
    expect(logs).toHaveLength(3);
    for (const f of logs) expect(JSON.stringify([f[3], f[4]])).not.toMatch(/\\u00[01][0-9a-f]|\\[nr]/);
    expect((logs[0]![4] as string).length).toBeLessThanOrEqual(2100);
  });
});
