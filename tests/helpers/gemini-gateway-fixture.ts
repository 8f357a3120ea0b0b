import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { startGateway } from '../../src/ingress/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';
import type { GatewayFixture } from './gateway-fixture.js';
import { MOCK_GEMINI_KEY } from './mock-gemini.js';

/**
 * A real gateway on port 0 in a temp data dir, with one provider `gem` of type `gemini` pointing at
 * `upstreamUrl` (its API key in the file secret store) and one client whose key is returned.
 */
export async function startGeminiGateway(upstreamUrl: string, opts: { execution?: 'workers' | 'inline' } = {}): Promise<GatewayFixture> {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-gem-'));
  openSecretStore(home).set('provider:gem', MOCK_GEMINI_KEY);
  const k = generateClientKey();
  const config = {
    server: { execution: opts.execution ?? 'workers', shutdown_grace_ms: 2000 },
    providers: [{ name: 'gem', type: 'gemini', base_url: upstreamUrl }],
    clients: [{ id: 'c_testclient01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }],
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const gw = await startGateway({ home, host: '127.0.0.1', port: 0 });
  return {
    gw, home, key: k.key, baseURL: `http://127.0.0.1:${gw.port}/v1`,
    close: async () => { await gw.close(); fs.rmSync(home, { recursive: true, force: true }); },
  };
}
