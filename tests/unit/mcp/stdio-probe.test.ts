import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { probeStdioUpstream, refusesInitializeFor2026 } from '../../../src/mcp/stdio-probe.js';
import { createUpstreamTransport } from '../../../src/mcp/upstream-transport.js';
import type { McpServerRuntime } from '../../../src/workers/index.js';

/**
 * `probeStdioUpstream` against real STDIO servers, each under the tap that records the processes
 * started and the requests each was sent: the era it finds, and that the process it probed is the
 * one then served (or, for a legacy server, handed to the 1.x client as it is).
 */
const TAP = path.resolve('tests/helpers/stdio/tap.mjs');
const EVERYTHING = path.resolve('node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-stdio-probe-'));
let n = 0;

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function server(script: string[], timeoutMs = 10_000): { runtime: McpServerRuntime; log: string } {
  const log = path.join(dir, `${++n}.log`);
  const runtime: McpServerRuntime = {
    name: 's', namespace: 's', transport: 'stdio', command: process.execPath, args: [TAP, log, ...script], env: {}, cwd: null, url: null,
    headers: {}, connect: 'lazy', perSession: false, timeoutMs, maxTotalTimeoutMs: 0, protocol: 'auto', oauth: null,
  };
  return { runtime, log };
}

function lines(log: string): string[] {
  return fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.replace(/^\d+ /, '').replace(/^start \d+$/, 'start'));
}

const events = {
  changed: () => undefined, resourceUpdated: () => undefined, listenFailed: () => undefined, listenRecovered: () => undefined, log: () => undefined,
  input: () => Promise.reject(new Error('no client here')),
};
const options = (timeoutMs = 10_000) => ({ version: '1', timeoutMs, maxTotalTimeoutMs: 0, maxJsonDepth: 64, perSession: false });

describe('probeStdioUpstream', () => {
  it('finds a 2026-07-28 server and serves it statelessly on the probed process, which ends with it', async () => {
    const { runtime, log } = server([path.resolve('tests/helpers/stdio/modern-server.mjs')]);
    const transport = createUpstreamTransport(runtime, { onStderr: () => undefined, onSend: () => undefined });
    let exited = 0;
    const probed = await probeStdioUpstream(transport, events, options(), { onExit: () => { exited++; } });
    expect(probed.era).toBe('modern');
    if (probed.era !== 'modern') return;
    expect(probed.upstream.protocolVersion).toBe('2026-07-28');
    expect(await probed.upstream.request('tools/call', { name: 'echo', arguments: { message: 'hi' } }, { call: null })).toEqual({ content: [{ type: 'text', text: 'modern echo: hi' }] });
    await probed.upstream.close();
    expect(exited).toBe(1);
    expect(lines(log)).toEqual(['start', 'server/discover', 'tools/call']);
  }, 30_000);

  it('hands a 1.x server\'s process, which refused the probe, to the 1.x client for its initialize', async () => {
    const { runtime, log } = server([EVERYTHING, 'stdio']);
    const transport = createUpstreamTransport(runtime, { onStderr: () => undefined, onSend: () => undefined });
    expect(await probeStdioUpstream(transport, events, options(), { onExit: () => undefined })).toEqual({ era: 'legacy', unanswered: false });
    const client = new Client({ name: 't', version: '1' });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    await client.close();
    expect(lines(log)).toEqual(['start', 'server/discover', 'initialize', 'tools/list']);
  }, 30_000);

  it('takes a server that answers nothing before initialize for legacy once the bound (here the server\'s timeout) has passed', async () => {
    const { runtime, log } = server([path.resolve('tests/helpers/stdio/quiet-legacy-server.mjs')], 1_000);
    const transport = createUpstreamTransport(runtime, { onStderr: () => undefined, onSend: () => undefined });
    // The server never answers the probe: only its timer can end it.
    expect(await probeStdioUpstream(transport, events, options(1_000), { onExit: () => undefined })).toEqual({ era: 'legacy', unanswered: true });
    const client = new Client({ name: 't', version: '1' });
    await client.connect(transport);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo']);
    await client.close();
    expect(lines(log)).toEqual(['start', 'server/discover', 'initialize', 'tools/list']);
  }, 30_000);

  it('tells of a late 2026-07-28 answer (a slow start), and finds the server with a longer bound', async () => {
    const script = [path.resolve('tests/helpers/stdio/modern-server.mjs'), '--start-delay-ms', '2000'];
    const slow = server(script, 1_000);
    const transport = createUpstreamTransport(slow.runtime, { onStderr: () => undefined, onSend: () => undefined });
    let late = 0;
    expect(await probeStdioUpstream(transport, events, options(1_000), { onExit: () => undefined, onLateModern: () => { late++; } })).toEqual({ era: 'legacy', unanswered: true });
    // The v2 SDK's server takes an `initialize` after a discover (its fallback), and the late answer never reaches the 1.x client.
    const client = new Client({ name: 't', version: '1' });
    await client.connect(transport, { timeout: 10_000 });
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo');
    await client.close();
    expect(late).toBe(1);
    expect(lines(slow.log)).toEqual(['start', 'server/discover', 'initialize', 'tools/list']);

    const again = server(script, 1_000);
    const second = createUpstreamTransport(again.runtime, { onStderr: () => undefined, onSend: () => undefined });
    const probed = await probeStdioUpstream(second, events, options(1_000), { onExit: () => undefined, boundMs: 10_000 });
    expect(probed.era).toBe('modern');
    if (probed.era === 'modern') await probed.upstream.close();
    expect(lines(again.log)).toEqual(['start', 'server/discover']);
  }, 30_000);

  it('recognises the refusal of initialize by a 2026-07-28-only server the probe gave up on', async () => {
    const slow = server([path.resolve('tests/helpers/stdio/modern-server.mjs'), '--start-delay-ms', '2000', '--modern-only'], 1_000);
    const transport = createUpstreamTransport(slow.runtime, { onStderr: () => undefined, onSend: () => undefined });
    expect(await probeStdioUpstream(transport, events, options(1_000), { onExit: () => undefined })).toEqual({ era: 'legacy', unanswered: true });
    const client = new Client({ name: 't', version: '1' });
    const refusal = await client.connect(transport, { timeout: 10_000 }).then(() => null, (err: unknown) => err);
    await client.close();
    expect(refusesInitializeFor2026(refusal)).toBe(true);
    expect(refusesInitializeFor2026(new Error('Method not found'))).toBe(false);
    expect(refusesInitializeFor2026({ code: -32022, data: { supported: ['2025-11-25'] } })).toBe(false);
  }, 30_000);

  it('says when the process exits on the probe, and fails when it cannot be spawned', async () => {
    const { runtime } = server([path.resolve('tests/helpers/stdio/quiet-legacy-server.mjs'), '--exit-early']);
    const transport = createUpstreamTransport(runtime, { onStderr: () => undefined, onSend: () => undefined });
    expect(await probeStdioUpstream(transport, events, options(), { onExit: () => undefined })).toEqual({ era: 'exited' });

    const missing = { ...server([]).runtime, command: path.join(dir, 'no-such-program') };
    const nowhere = createUpstreamTransport(missing, { onStderr: () => undefined, onSend: () => undefined });
    await expect(probeStdioUpstream(nowhere, events, options(), { onExit: () => undefined })).rejects.toThrow(/ENOENT/);
  }, 30_000);
});
