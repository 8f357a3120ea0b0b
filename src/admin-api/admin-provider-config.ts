import { loadConfig, NAME_PATTERN, PROVIDER_TYPE_NAMES, type Config, type ProviderConfig } from '../config/index.js';
import { LocalRouterError, toLocalRouterError } from '../errors/index.js';
import type { AdminAuth, Routes } from '../ingress/index.js';
import { getPreset, lookupModel, PRESETS } from '../providers/index.js';
import type { SecretStore } from '../secrets/index.js';
import { adminRoute, stringField, type AdminCall } from './admin-handler.js';
import { providersStatusRoute } from './admin-providers.js';
import { editConfig } from './admin-config.js';

/** Asks a provider for its model ids through the engine (`GET /models`), as the router does. */
export type ListModels = (provider: string) => Promise<string[]>;

const secretName = (provider: string): string => `provider:${provider}`;

/**
 * Providers as the dashboard edits them (`GET /api/providers` is their health, see {@link providersStatusRoute}):
 * - `GET /api/provider-presets`: the provider types with their defaults;
 * - `GET /api/provider-settings`: each configured provider and where its key comes from (never the key);
 * - `POST /api/providers` `{ name, type, base_url?, api_key?, api_key_env? }`: adds one; the key goes
 *   to the secret store, never into the config file or back to the page;
 * - `POST /api/providers/<name>` `{ enabled }`; `DELETE /api/providers/<name>` (its stored key too);
 * - `POST /api/providers/<name>/test`: asks the provider for its model list now;
 * - `GET /api/providers/<name>/models`: its models with context length and prices (catalog, or the
 *   config's price overrides);
 * - `POST /api/price-overrides` `{ model: "<provider>/<id>", input_per_mtok, output_per_mtok }`,
 *   `DELETE /api/price-overrides?model=`.
 */
export function providerConfigRoutes(auth: AdminAuth, configFile: string, secrets: SecretStore, listModels: ListModels): Routes {
  const presets = (): unknown => ({
    presets: Object.values(PRESETS).map((p) => ({ type: p.type, name: p.name, base_url: p.base_url, needs_key: p.needs_key, local: p.local, key_env: p.key_env, has_model_list: p.models_path !== null, docs: p.docs })),
  });
  const settings = (): unknown => {
    const cfg = loadConfig(configFile);
    return { providers: cfg.providers.map((p) => settingView(p, secrets)), price_overrides: cfg.price_overrides };
  };
  const add = (call: AdminCall): unknown => {
    const name = stringField(call.body, 'name', { max: 64 })!;
    if (!NAME_PATTERN.test(name)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'name must be 1-64 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit', { param: 'name' });
    const type = stringField(call.body, 'type', { max: 64 })!;
    if (!(PROVIDER_TYPE_NAMES as readonly string[]).includes(type)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `type must be one of: ${PROVIDER_TYPE_NAMES.join(', ')}`, { param: 'type' });
    const baseUrl = stringField(call.body, 'base_url', { optional: true, max: 2000 });
    const apiKey = stringField(call.body, 'api_key', { optional: true, max: 10_000 })?.trim();
    const keyEnv = stringField(call.body, 'api_key_env', { optional: true, max: 200 });
    if (apiKey !== undefined && /[\r\n\0]/.test(apiKey)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'api_key may not contain line breaks', { param: 'api_key' });
    const provider = { name, type, enabled: true, headers: {}, models: [], ...(baseUrl ? { base_url: baseUrl } : {}), ...(keyEnv ? { api_key_env: keyEnv } : {}) } as ProviderConfig;
    let stored = false;
    let saved: Config;
    try {
      saved = editConfig(configFile, (cfg) => {
        if (cfg.providers.some((p) => p.name === name)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `a provider named "${name}" already exists`, { param: 'name' });
        cfg.providers.push(provider);
        // Stored while the config lock is held and before the file changes, so the gateway's
        // reload of the new provider finds its key.
        if (apiKey) {
          setSecret(secrets, secretName(name), apiKey);
          stored = true;
        }
      });
    } catch (err) {
      // The config refused the provider (a bad URL, say): its key must not stay behind.
      if (stored) secrets.delete(secretName(name));
      throw err;
    }
    return { provider: settingView(saved.providers.find((p) => p.name === name)!, secrets) };
  };
  const one = async (call: AdminCall): Promise<unknown> => {
    const [name, action, ...extra] = call.rest;
    if (name === undefined || extra.length > 0) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'no such provider route');
    const cfg = loadConfig(configFile);
    const p = findProvider(cfg, name);
    if (action === 'test' && call.method === 'post') return testProvider(p, listModels);
    if (action === 'models' && call.method === 'get') return { models: await modelsOf(cfg, p, listModels) };
    if (action !== undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'no such provider route');
    if (call.method === 'delete') {
      editConfig(configFile, (c) => {
        c.providers = c.providers.filter((x) => x.name !== name);
        for (const key of Object.keys(c.price_overrides)) if (key.startsWith(`${name}/`)) delete c.price_overrides[key];
      });
      let secretRemoved = false;
      try {
        secretRemoved = secrets.delete(secretName(name));
      } catch {
        // The provider is gone either way; a key left in an unreachable store is reported as kept.
      }
      return { removed: name, secret_removed: secretRemoved };
    }
    const enabled = call.body.enabled;
    if (typeof enabled !== 'boolean') throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'enabled must be true or false', { param: 'enabled' });
    const saved = editConfig(configFile, (c) => { findProvider(c, name).enabled = enabled; });
    return { provider: settingView(findProvider(saved, name), secrets) };
  };
  const prices = (call: AdminCall): unknown => {
    if (call.method === 'delete') {
      const model = call.query.get('model') ?? '';
      editConfig(configFile, (c) => {
        if (!(model in c.price_overrides)) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no price override for "${model.slice(0, 200)}"`);
        delete c.price_overrides[model];
      });
      return { removed: model };
    }
    const model = stringField(call.body, 'model', { max: 300 })!;
    const input = call.body.input_per_mtok;
    const output = call.body.output_per_mtok;
    if (typeof input !== 'number' || typeof output !== 'number') throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'input_per_mtok and output_per_mtok must be numbers (USD per million tokens)');
    const saved = editConfig(configFile, (c) => { c.price_overrides[model] = { input_per_mtok: input, output_per_mtok: output }; });
    return { price_overrides: saved.price_overrides };
  };
  return {
    '/api/provider-presets': { get: adminRoute(auth, '/api/provider-presets', presets) },
    '/api/provider-settings': { get: adminRoute(auth, '/api/provider-settings', settings) },
    '/api/providers/*': { get: adminRoute(auth, '/api/providers', one), post: adminRoute(auth, '/api/providers', one), delete: adminRoute(auth, '/api/providers', one) },
    '/api/price-overrides': { post: adminRoute(auth, '/api/price-overrides', prices), delete: adminRoute(auth, '/api/price-overrides', prices) },
    '/api/providers': { get: providersStatusRoute(auth), post: adminRoute(auth, '/api/providers', add) },
  };
}

function setSecret(secrets: SecretStore, name: string, value: string): void {
  try {
    secrets.set(name, value);
  } catch (err) {
    throw new LocalRouterError('LR_ERR_SECRET_STORE', `cannot store the API key: ${toLocalRouterError(err).message}`, { cause: err });
  }
}

function findProvider(cfg: Config, name: string): ProviderConfig {
  const p = cfg.providers.find((x) => x.name === name);
  if (p === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no provider named "${name.slice(0, 64)}"`);
  return p;
}

/** Where a provider's key comes from; the key itself never leaves the gateway. */
function keySource(p: ProviderConfig, secrets: SecretStore): string {
  if (p.api_key_env) return `env:${p.api_key_env}`;
  try {
    if (secrets.get(secretName(p.name)) !== undefined) return 'secret_store';
  } catch {
    return 'secret_store_unreadable';
  }
  const env = getPreset(p.type)?.key_env;
  return env && process.env[env] !== undefined ? `env:${env}` : 'none';
}

function settingView(p: ProviderConfig, secrets: SecretStore) {
  const preset = getPreset(p.type);
  return {
    name: p.name, type: p.type, base_url: p.base_url ?? preset?.base_url ?? null, enabled: p.enabled,
    key_source: keySource(p, secrets), needs_key: preset?.needs_key ?? false, models: p.models, header_names: Object.keys(p.headers),
  };
}

async function testProvider(p: ProviderConfig, listModels: ListModels): Promise<unknown> {
  if (!p.enabled) return { ok: false, error: 'the provider is disabled' };
  const started = Date.now();
  try {
    const ids = await listModels(p.name);
    return { ok: true, models: ids.length, ms: Date.now() - started };
  } catch (err) {
    return { ok: false, error: toLocalRouterError(err).message === 'internal error' ? (err as Error).message : toLocalRouterError(err).message, ms: Date.now() - started };
  }
}

async function modelsOf(cfg: Config, p: ProviderConfig, listModels: ListModels): Promise<unknown[]> {
  let ids = [...p.models];
  let error: string | null = null;
  if (p.enabled) {
    try {
      ids = [...new Set([...ids, ...await listModels(p.name)])];
    } catch (err) {
      error = (err as Error).message;
    }
  }
  if (error !== null && ids.length === 0) throw new LocalRouterError('LR_ERR_UPSTREAM_UNREACHABLE', `cannot list the models of ${p.name}: ${error}`);
  return ids.sort().map((id) => {
    const c = lookupModel(p.type, id);
    const override = cfg.price_overrides[`${p.name}/${id}`];
    const pricing = override ?? c?.pricing ?? null;
    return {
      id: `${p.name}/${id}`, model: id, context_length: c?.context_length ?? null, max_output: c?.max_output ?? null,
      input_per_mtok: pricing?.input_per_mtok ?? null, output_per_mtok: pricing?.output_per_mtok ?? null, price_source: override ? 'override' : c?.pricing ? 'catalog' : null,
    };
  });
}
