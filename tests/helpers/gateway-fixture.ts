import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startGateway, type Gateway } from '../../src/ingress/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';

export interface GatewayFixture {
  gw: Gateway;
  home: string;
  baseURL: string;
  key: string;
  close(): Promise<void>;
}

/**
 * A real gateway on port 0 in a temp data dir, with one provider named `mock` pointing at `upstreamUrl`
 * (its API key in the file secret store) and one client whose key is returned.
 */
export async function startGatewayFixture(upstreamUrl: string, opts: { execution?: 'workers' | 'inline'; priceOverrides?: Record<string, unknown>; strategies?: Record<string, unknown>[]; server?: Record<string, unknown>; clients?: Record<string, unknown>[]; providers?: Record<string, unknown>[] } = {}): Promise<GatewayFixture> {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-gw-'));
  const store = openSecretStore(home);
  for (const name of ['mock', ...(opts.providers ?? []).map((p) => String(p.name))]) store.set(`provider:${name}`, 'sk-upstream-test');
  const k = generateClientKey();
  const config = {
    server: { execution: opts.execution ?? 'workers', shutdown_grace_ms: 2000, ...opts.server },
    providers: [{ name: 'mock', type: 'openai-compatible', base_url: upstreamUrl }, ...(opts.providers ?? [])],
    price_overrides: opts.priceOverrides ?? {},
    strategies: opts.strategies ?? [],
    clients: [{ id: 'c_testclient01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }, ...(opts.clients ?? [])],
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const gw = await startGateway({ home, host: '127.0.0.1', port: 0 });
  return {
    gw, home, key: k.key, baseURL: `http://127.0.0.1:${gw.port}/v1`,
    close: async () => { await gw.close(); fs.rmSync(home, { recursive: true, force: true }); },
  };
}
