import { describe, expect, it } from 'vitest';
import { ConfigSchema, type Config } from '../../../src/config/index.js';
import { buildGatewayTables } from '../../../src/gateway/gateway-tables.js';
import { TokenSigner, type GatewayTables } from '../../../src/ingress/index.js';
import { generateClientKey } from '../../../src/secrets/index.js';

const signer = new TokenSigner(Buffer.alloc(32, 7));

function configWith(opts: { port: number; client: string; key: { hash: string; prefix: string }; host: string; price: number }): Config {
  return ConfigSchema.parse({
    server: { port: opts.port, allowed_hosts: [opts.host] },
    providers: [{ name: 'oa', type: 'openai' }, { name: 'local', type: 'openai-compatible', base_url: 'http://127.0.0.1:1/v1' }],
    clients: [{ id: `c_${opts.client}00000000`, name: opts.client, key_hash: opts.key.hash, key_prefix: opts.key.prefix, created_at: '' }],
    price_overrides: { 'local/tiny': { input_per_mtok: opts.price, output_per_mtok: opts.price } },
  });
}

/** Freezes `value` and everything it holds, so that a builder that wrote to its config would throw. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

describe('buildGatewayTables', () => {
  const keyA = generateClientKey();
  const keyB = generateClientKey();
  const a = deepFreeze(configWith({ port: 4001, client: 'alpha', key: keyA, host: 'a.example', price: 1 }));
  const b = deepFreeze(configWith({ port: 4002, client: 'beta', key: keyB, host: 'b.example', price: 2 }));

  it('builds every table the handlers read from one config, without writing to it', () => {
    const t = buildGatewayTables(a, signer);
    expect(t.server).toBe(a.server);
    expect(t.clients.authenticate(`Bearer ${keyA.key}`, '').name).toBe('alpha');
    expect(t.clients.byId('c_alpha00000000')?.keyHash).toBe(keyA.hash);
    expect(t.guards.hostAllowed('a.example:4001')).toBe(true);
    expect(t.guards.hostAllowed('b.example')).toBe(false);
    expect([...t.providerTypes]).toEqual([['oa', 'openai'], ['local', 'openai-compatible']]);
    expect(t.capabilities('oa', 'gpt-4o-mini')?.tools).toBe(true);
    expect(t.capabilities('nobody', 'no-such-model')).toBeUndefined();
    expect(t.prices.pricingFor('local', 'tiny')?.pricing.input_per_mtok).toBe(1);
  });

  it('knows whether every enabled provider speaks OpenAI\'s protocol (chat then passes through as bytes)', () => {
    expect(buildGatewayTables(a, signer).openAIOnly).toBe(true);
    const withAnthropic = (enabled: boolean): Config => ConfigSchema.parse({
      ...a, providers: [...a.providers, { name: 'claude', type: 'anthropic', enabled }],
    });
    expect(buildGatewayTables(withAnthropic(true), signer).openAIOnly).toBe(false);
    expect(buildGatewayTables(withAnthropic(false), signer).openAIOnly).toBe(true);
  });

  it('verifies OAuth tokens with the signer it is given', () => {
    const t = buildGatewayTables(a, signer);
    const { token } = signer.issue('c_alpha00000000', keyA.hash, 60);
    expect(t.clients.authenticate(`Bearer ${token}`, '').name).toBe('alpha');
  });

  it('is frozen: a handler cannot change the tables it reads', () => {
    const t = buildGatewayTables(a, signer);
    expect(Object.isFrozen(t)).toBe(true);
    expect(() => { (t as { server: unknown }).server = b.server; }).toThrow(TypeError);
  });

  it('is pure: the same config gives tables that answer alike', () => {
    const one = buildGatewayTables(a, signer);
    const two = buildGatewayTables(a, signer);
    expect(two).not.toBe(one);
    expect([...two.providerTypes]).toEqual([...one.providerTypes]);
    expect(two.prices.pricingFor('local', 'tiny')).toEqual(one.prices.pricingFor('local', 'tiny'));
    const [c1, c2] = [one.clients.authenticate('', keyA.key), two.clients.authenticate('', keyA.key)];
    expect({ id: c2.id, name: c2.name, strategy: c2.policy.strategy }).toEqual({ id: c1.id, name: c1.name, strategy: c1.policy.strategy });
    expect(two.guards.hostAllowed('a.example')).toBe(one.guards.hostAllowed('a.example'));
  });

  it('a reload is one swap: a request holding the old tables keeps seeing the old config whole', () => {
    const state: { tables: GatewayTables } = { tables: buildGatewayTables(a, signer) };
    const held = state.tables; // what a request read when it started
    state.tables = buildGatewayTables(b, signer); // the reload

    expect(held.server.port).toBe(4001);
    expect(held.clients.authenticate(`Bearer ${keyA.key}`, '').name).toBe('alpha');
    expect(() => held.clients.authenticate(`Bearer ${keyB.key}`, '')).toThrow(expect.objectContaining({ code: 'LR_ERR_UNAUTHORIZED' }));
    expect(held.guards.hostAllowed('a.example')).toBe(true);
    expect(held.prices.pricingFor('local', 'tiny')?.pricing.input_per_mtok).toBe(1);

    const now = state.tables;
    expect(now.server.port).toBe(4002);
    expect(now.clients.authenticate(`Bearer ${keyB.key}`, '').name).toBe('beta');
    expect(() => now.clients.authenticate(`Bearer ${keyA.key}`, '')).toThrow(expect.objectContaining({ code: 'LR_ERR_UNAUTHORIZED' }));
    expect(now.guards.hostAllowed('a.example')).toBe(false);
    expect(now.prices.pricingFor('local', 'tiny')?.pricing.input_per_mtok).toBe(2);
  });
});
