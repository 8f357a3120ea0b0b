import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { Logger } from 'pino';
import { startGateway, type Gateway } from '../../src/gateway/index.js';
import { generateClientKey, openSecretStore } from '../../src/secrets/index.js';

export interface GatewayFixture {
  gw: Gateway;
  home: string;
  baseURL: string;
  key: string;
  close(): Promise<void>;
}

/** One provider of a test config (extra config fields pass through); `key` goes to the file secret store, as `providers add` does. */
export interface ProviderSpec {
  name: string;
  type: string;
  base_url: string;
  key?: string;
  [field: string]: unknown;
}

export interface GatewaySpec {
  providers: ProviderSpec[];
  execution?: 'auto' | 'workers' | 'inline';
  server?: Record<string, unknown>;
  strategies?: Record<string, unknown>[];
  clients?: Record<string, unknown>[];
  priceOverrides?: Record<string, unknown>;
  /** `mcp_servers` and `mcp` of the config, when a test needs the MCP side too. */
  mcpServers?: Record<string, unknown>[];
  mcp?: Record<string, unknown>;
  /** More top-level config sections (`skills`, `monitoring`...), as they are. */
  config?: Record<string, unknown>;
  /** Where the gateway logs (default: stderr at LOCALROUTER_LOG_LEVEL, silent in tests). */
  logger?: Logger;
  /** The cores `execution: auto` plans for (default: this machine's). */
  cores?: number;
}

/**
 * The one way tests start a gateway: a real one on port 0 in a temp data dir with the given config,
 * provider keys in the file secret store, and one client (`c_testclient01`) whose key is returned.
 */
export async function startTestGateway(spec: GatewaySpec): Promise<GatewayFixture> {
  process.env.LOCALROUTER_SECRETS_BACKEND = 'file';
  process.env.LOCALROUTER_LOG_LEVEL ??= 'silent';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'lr-gw-'));
  const store = openSecretStore(home);
  for (const p of spec.providers) if (p.key) store.set(`provider:${p.name}`, p.key);
  const k = generateClientKey();
  const config = {
    server: { execution: spec.execution ?? 'auto', shutdown_grace_ms: 2000, ...spec.server },
    providers: spec.providers.map(({ key: _key, ...provider }) => provider),
    price_overrides: spec.priceOverrides ?? {},
    strategies: spec.strategies ?? [],
    clients: [{ id: 'c_testclient01', name: 'test', key_hash: k.hash, key_prefix: k.prefix, enabled: true, created_at: new Date().toISOString() }, ...(spec.clients ?? [])],
    ...(spec.mcpServers ? { mcp_servers: spec.mcpServers } : {}),
    ...(spec.mcp ? { mcp: spec.mcp } : {}),
    ...spec.config,
  };
  fs.writeFileSync(path.join(home, 'config.yaml'), stringify(config), { mode: 0o600 });
  const gw = await startGateway({ home, host: '127.0.0.1', port: 0, logger: spec.logger, cores: spec.cores });
  return {
    gw, home, key: k.key, baseURL: `http://127.0.0.1:${gw.port}/v1`,
    close: async () => { await gw.close(); fs.rmSync(home, { recursive: true, force: true }); },
  };
}

/**
 * A gateway with one provider named `mock` (openai-compatible) pointing at `upstreamUrl`, plus
 * `opts.providers`; every provider gets the mock's key `sk-upstream-test`.
 */
export function startGatewayFixture(upstreamUrl: string, opts: Omit<GatewaySpec, 'providers'> & { providers?: Record<string, unknown>[] } = {}): Promise<GatewayFixture> {
  const extra = (opts.providers ?? []) as ProviderSpec[];
  return startTestGateway({
    ...opts,
    providers: [{ name: 'mock', type: 'openai-compatible', base_url: upstreamUrl }, ...extra].map((p) => ({ ...p, key: 'sk-upstream-test' })),
  });
}
