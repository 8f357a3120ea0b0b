import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startGateway } from '../../src/ingress/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import type { GatewayFixture } from './gateway-fixture.js';
import { MOCK_ANTHROPIC_KEY } from './mock-anthropic.js';

/**
 * A real gateway on port 0 in a temp data dir with one provider `claude` of type `anthropic`
 * pointing at `upstreamUrl` (its key in the file secret store), and one client whose key is returned.
 */
export async function startAnthropicGatewayFixture(upstreamUrl: string, opts: { execution?: 'workers' | 'inline'; priceOverrides?: Record<string, unknown> } = {}): Promise<GatewayFixture> {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-anthropic-'));
  openSecretStore(home).set('provider:claude', MOCK_ANTHROPIC_KEY);
  const k = generateClientKey();
  const config = {
    server: { execution: opts.execution ?? 'workers', shutdown_grace_ms: 2000 },
    providers: [{ name: 'claude', type: 'anthropic', base_url: upstreamUrl }],
    price_overrides: opts.priceOverrides ?? {},
    clients: [{ id: 'c_testclient01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const gw = await startGateway({ home, host: '127.0.0.1', port: 0 });
  return {
    gw, home, key: k.key, baseURL: `http://127.0.0.1:${gw.port}/v1`,
    close: async () => { await gw.close(); fs.rmSync(home, { recursive: true, force: true }); },
  };
}
