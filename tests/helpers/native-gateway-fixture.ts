import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startGateway } from '../../src/ingress/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import type { GatewayFixture } from './gateway-fixture.js';

/** One provider of the test config; `key` goes to the file secret store, like `providers add` does. */
export interface ProviderSpec {
  name: string;
  type: string;
  base_url: string;
  key?: string;
}

/**
 * `startGatewayFixture` for any provider types (the native adapters): a real gateway on port 0 in a
 * temp data dir, the given providers, and one client whose key is returned.
 */
export async function startNativeGateway(providers: ProviderSpec[], opts: { execution?: 'workers' | 'inline' } = {}): Promise<GatewayFixture> {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-gw-'));
  const store = openSecretStore(home);
  for (const p of providers) if (p.key) store.set(`provider:${p.name}`, p.key);
  const k = generateClientKey();
  const config = {
    server: { execution: opts.execution ?? 'workers', shutdown_grace_ms: 2000 },
    providers: providers.map(({ name, type, base_url }) => ({ name, type, base_url })),
    clients: [{ id: 'c_testclient01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const gw = await startGateway({ home, host: '127.0.0.1', port: 0 });
  return {
    gw, home, key: k.key, baseURL: `http://127.0.0.1:${gw.port}/v1`,
    close: async () => { await gw.close(); fs.rmSync(home, { recursive: true, force: true }); },
  };
}
