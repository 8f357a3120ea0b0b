import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, startEverythingHttp, startMcpGateway, type McpGatewayFixture, toolText } from '../helpers/mcp-fixture.js';

const PROBE = path.resolve('tests/integration/fixtures/mcp-probe-server.mjs');

/**
 * A Streamable HTTP upstream that restarts on the same port (a new process: every session it had is
 * gone) is re-initialized by the gateway, whether a client keeps calling through the outage or
 * nobody calls (the health check finds it), and the status API says what happened.
 */

let fx: McpGatewayFixture;
let web: Awaited<ReturnType<typeof startEverythingHttp>>;

interface ServerStatus { name: string; state: string; restarts: number; lastError: string | null; lastErrorAt: string | null; lastSuccessAt: string | null }

async function status(name: string): Promise<ServerStatus> {
  const res = await fetch(`${fx.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${fx.gw.metrics.adminToken}` } });
  return ((await res.json()) as { servers: ServerStatus[] }).servers.find((s) => s.name === name)!;
}

async function restartUpstream(): Promise<void> {
  const port = web.port;
  await web.stop();
  await new Promise((r) => setTimeout(r, 300));
  web = await startEverythingHttp(port);
}

beforeAll(async () => {
  web = await startEverythingHttp();
  fx = await startMcpGateway({
    servers: [{ name: 'web', transport: 'streamable-http', url: web.url, timeout_ms: 3000 }],
    mcp: { restart_initial_ms: 100, restart_max_ms: 1000, health_interval_ms: 500, health_timeout_ms: 1000 },
  });
}, 60_000);

afterAll(async () => {
  await fx?.close();
  await web?.stop();
});

describe('self-healing Streamable HTTP upstream', () => {
  it('serves calls again within a bounded time after the upstream restarts on the same port, while a client keeps calling', async () => {
    const client = await connectClient(fx);
    expect(toolText(await client.callTool({ name: 'web__echo', arguments: { message: 'before' } }))).toBe('Echo: before');
    const restarts = (await status('web')).restarts;
    let stop = false;
    const outcomes: { at: number; ok: boolean }[] = [];
    const caller = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await client.callTool({ name: 'web__echo', arguments: { message: `m${i}` } }, undefined, { timeout: 5000 });
          outcomes.push({ at: Date.now(), ok: toolText(r) === `Echo: m${i}` });
        } catch {
          outcomes.push({ at: Date.now(), ok: false });
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    await restartUpstream();
    const back = Date.now();
    // Every call made after the upstream is back succeeds, from a few seconds on.
    await waitFor(() => outcomes.some((o) => o.at > back && o.ok), 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await caller;
    const firstOk = outcomes.find((o) => o.at > back && o.ok)!;
    expect(firstOk.at - back).toBeLessThan(10_000);
    const afterRecovery = outcomes.filter((o) => o.at > firstOk.at);
    expect(afterRecovery.length).toBeGreaterThan(3);
    expect(afterRecovery.every((o) => o.ok)).toBe(true);
    const s = await status('web');
    expect(s.state).toBe('ready');
    expect(s.restarts).toBeGreaterThan(restarts);
    expect(s.lastError).toMatch(/session|connect|health/i);
    expect(s.lastErrorAt).not.toBeNull();
    expect(Date.parse(s.lastSuccessAt!)).toBeGreaterThan(back);
    expect((await client.listTools()).tools.some((t) => t.name === 'web__echo')).toBe(true);
    await client.close();
  }, 60_000);

  it('finds a restarted upstream with its health check when nobody calls, and reports it', async () => {
    const client: Client = await connectClient(fx);
    await client.callTool({ name: 'web__echo', arguments: { message: 'warm' } });
    const before = await status('web');
    await restartUpstream();
    // No call: only the health check can notice the server forgot the session.
    await waitFor(async () => {
      const s = await status('web');
      return s.restarts > before.restarts && s.state === 'ready';
    }, 15_000);
    const s = await status('web');
    expect(s.lastError).toMatch(/health check failed|session|connect/i);
    // The first call after it is served by the new session, not failed.
    expect(toolText(await client.callTool({ name: 'web__echo', arguments: { message: 'after' } }))).toBe('Echo: after');
    await client.close();
  }, 60_000);

  it('re-initializes on the first call when the restarted server answers 400 "No valid session ID" (no health check)', async () => {
    const quiet = await startMcpGateway({
      servers: [{ name: 'web', transport: 'streamable-http', url: web.url, timeout_ms: 3000 }],
      mcp: { restart_initial_ms: 100, restart_max_ms: 1000, health_interval_ms: 0 },
    });
    try {
      const client = await connectClient(quiet);
      expect(toolText(await client.callTool({ name: 'web__echo', arguments: { message: 'one' } }))).toBe('Echo: one');
      await restartUpstream();
      // The old session's GET stream may need a moment to notice; the call itself must not fail.
      expect(toolText(await client.callTool({ name: 'web__echo', arguments: { message: 'two' } }))).toBe('Echo: two');
      const res = await fetch(`${quiet.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${quiet.gw.metrics.adminToken}` } });
      const s = ((await res.json()) as { servers: ServerStatus[] }).servers[0]!;
      expect(s).toMatchObject({ state: 'ready' });
      expect(s.restarts).toBeGreaterThanOrEqual(1);
      await client.close();
    } finally {
      await quiet.close();
    }
  }, 60_000);
});

describe('lists after a re-initialize', () => {
  it('fetches the cached lists again after an upstream restarts, and sends list_changed when they differ', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-mcp-probe-'));
    const file = path.join(dir, 'tools.txt');
    fs.writeFileSync(file, 'first\n');
    const gw = await startMcpGateway({
      servers: [{ name: 'probe', transport: 'stdio', command: process.execPath, args: [PROBE, 'probe'], env: { PROBE_TOOLS_FILE: file } }],
      mcp: { restart_initial_ms: 100 },
    });
    try {
      const client = await connectClient(gw);
      let changed = 0;
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('probe__first');
      // The server comes back with another tool list: clients are told without asking.
      fs.writeFileSync(file, 'second\n');
      await expect(client.callTool({ name: 'probe__exit', arguments: {} })).rejects.toThrow();
      await waitFor(() => changed > 0, 15_000);
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('probe__second');
      expect(names).not.toContain('probe__first');
      await client.close();
    } finally {
      await gw.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('health checks and busy servers', () => {
  it('does not re-initialize a server that is busy with a call longer than the health timeout', async () => {
    const gw = await startMcpGateway({
      servers: [{ name: 'busy', transport: 'stdio', command: process.execPath, args: [PROBE, 'busy'], timeout_ms: 10_000 }],
      mcp: { health_interval_ms: 300, health_timeout_ms: 300 },
    });
    try {
      const client = await connectClient(gw);
      expect(toolText(await client.callTool({ name: 'busy__block', arguments: { ms: 2_000 } }, undefined, { timeout: 15_000 }))).toBe('blocked busy');
      const res = await fetch(`${gw.origin}/api/mcp/servers`, { headers: { authorization: `Bearer ${gw.gw.metrics.adminToken}` } });
      const busy = ((await res.json()) as { servers: ServerStatus[] }).servers.find((s) => s.name === 'busy')!;
      expect(busy.restarts).toBe(0);
      expect(busy.state).toBe('ready');
      await client.close();
    } finally {
      await gw.close();
    }
  }, 60_000);
});

async function waitFor(check: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met within ${ms} ms`);
}
