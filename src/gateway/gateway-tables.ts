import type { Config } from '../config/index.js';
import { ClientTable, RequestGuards, type GatewayTables, type TokenSigner } from '../ingress/index.js';
import { getPreset, lookupModel, PriceBook } from '../providers/index.js';
import { StrategyTable } from '../routing/index.js';

/**
 * The request handlers' tables for `config`: clients with their compiled strategies, Host/Origin
 * guards, provider types, capabilities and prices. Pure (no I/O, no clock): the same config gives
 * equal tables. The result is frozen; a reload builds new tables and swaps them in whole.
 * `tokens` verifies OAuth tokens in the client table (its secret outlives every config).
 */
export function buildGatewayTables(config: Config, tokens: TokenSigner): GatewayTables {
  const providerTypes: ReadonlyMap<string, string> = new Map(config.providers.map((p) => [p.name, p.type]));
  return Object.freeze({
    server: config.server,
    clients: new ClientTable(config.clients, new StrategyTable(config), tokens),
    guards: new RequestGuards(config.server),
    providerTypes,
    capabilities: (provider: string, model: string) => lookupModel(providerTypes.get(provider) ?? 'openai-compatible', model)?.capabilities,
    prices: new PriceBook(config.providers.map((p) => ({ name: p.name, type: p.type })), config.price_overrides),
    openAIOnly: config.providers.every((p) => !p.enabled || getPreset(p.type)?.protocol === 'openai'),
  });
}
