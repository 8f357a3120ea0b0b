import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openSecretStore } from '../../src/secrets/index.js';
import { startServedGateway, type ServedGateway } from '../helpers/dashboard-fixture.js';
import { EVERYTHING } from '../helpers/mcp-fixture.js';

/**
 * MCP servers added through the admin API the dashboard uses: plain environment and headers go to
 * the config file, secret ones to the secret store only, and the server the gateway starts gets both.
 */
const SECRET = 's3cr3t-value-never-in-the-file';
let gw: ServedGateway;

beforeAll(async () => {
  gw = await startServedGateway({ server: { shutdown_grace_ms: 1000 }, allow_empty: true });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

function admin(p: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
  return fetch(`${gw.origin}${p}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
}

async function clientKey(): Promise<string> {
  const res = await admin('/api/clients', { method: 'POST', body: { name: 'mcp-user' } });
  expect(res.status).toBeLessThan(300);
  const body = (await res.json()) as { key?: string };
  expect(body.key).toMatch(/^lr-/);
  return body.key!;
}

/** `every__get-env`'s answer as `key`, once the running gateway has picked the new server up (it reloads within about a second). */
async function envThroughGateway(key: string): Promise<Record<string, string>> {
  const until = Date.now() + 30_000;
  for (;;) {
    const client = new Client({ name: 'admin-mcp-test', version: '1.0.0' });
    try {
      // The new client's key and the new server both arrive with the reload.
      await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.origin}/mcp`), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
      const result = await client.callTool({ name: 'every__get-env', arguments: {} });
      const text = (result.content as { text?: string }[])[0]?.text;
      if (result.isError !== true && text !== undefined) return JSON.parse(text) as Record<string, string>;
    } catch (err) {
      if (Date.now() > until) throw err;
    } finally {
      await client.close();
    }
    if (Date.now() > until) throw new Error('every__get-env never answered');
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('POST /api/mcp-servers with environment and secrets', () => {
  it('writes plain settings to the file and the secret to the secret store; the started server gets both', async () => {
    const res = await admin('/api/mcp-servers', {
      method: 'POST',
      body: { name: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], env: { PLAIN_SETTING: 'visible' }, secret_env: { MY_TOKEN: SECRET } },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({ server: { name: 'every', env: { PLAIN_SETTING: 'visible' } }, secrets: ['env:MY_TOKEN'] });
    const yaml = fs.readFileSync(path.join(gw.home, 'config.yaml'), 'utf8');
    expect(yaml).toContain('PLAIN_SETTING');
    expect(yaml).not.toContain(SECRET);
    expect(yaml).not.toContain('MY_TOKEN');
    expect(JSON.parse(openSecretStore(gw.home).get('mcp:every')!)).toEqual({ env: { MY_TOKEN: SECRET }, headers: {} });

    const env = await envThroughGateway(await clientKey());
    expect(env.MY_TOKEN).toBe(SECRET);
    expect(env.PLAIN_SETTING).toBe('visible');
    expect(gw.stderr()).not.toContain(SECRET);
  }, 60_000);

  it('refuses names and values that could not be environment variables or headers, and writes nothing', async () => {
    const before = fs.readFileSync(path.join(gw.home, 'config.yaml'), 'utf8');
    for (const body of [
      { name: 'bad1', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp', headers: { 'X-Evil': 'a\r\nInjected: 1' } },
      { name: 'bad2', transport: 'streamable-http', url: 'http://127.0.0.1:9/mcp', secret_headers: { 'Bad Header': 'x' } },
      { name: 'bad3', transport: 'stdio', command: 'x', env: { '1NOT_A_NAME': 'x' } },
      { name: 'bad4', transport: 'stdio', command: 'x', secret_env: { OK_NAME: 42 } },
      { name: 'bad5', transport: 'stdio', command: 'x', env: ['A=B'] },
    ]) {
      const res = await admin('/api/mcp-servers', { method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('LR_ERR_BAD_REQUEST');
    }
    expect(fs.readFileSync(path.join(gw.home, 'config.yaml'), 'utf8')).toBe(before);
    for (const name of ['bad1', 'bad2', 'bad3', 'bad4', 'bad5']) expect(openSecretStore(gw.home).get(`mcp:${name}`)).toBeUndefined();
  });

  it('a server the config refuses leaves no secret behind; removing a server removes its secrets', async () => {
    const dup = await admin('/api/mcp-servers', { method: 'POST', body: { name: 'every', transport: 'stdio', command: 'x', secret_env: { OTHER: 'y' } } });
    expect(dup.status).toBe(400);
    expect(JSON.parse(openSecretStore(gw.home).get('mcp:every')!)).toEqual({ env: { MY_TOKEN: SECRET }, headers: {} });
    const invalid = await admin('/api/mcp-servers', { method: 'POST', body: { name: 'noturl', transport: 'streamable-http', secret_headers: { Authorization: 'Bearer z' } } });
    expect(invalid.status).toBe(400);
    expect(openSecretStore(gw.home).get('mcp:noturl')).toBeUndefined();
    const removed = await admin('/api/mcp-servers/every', { method: 'DELETE' });
    expect(await removed.json()).toEqual({ removed: 'every', secret_removed: true });
    expect(openSecretStore(gw.home).get('mcp:every')).toBeUndefined();
  });
});
