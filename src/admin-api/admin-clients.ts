import { LocalRouterError } from '../errors/index.js';
import { loadConfig, NAME_PATTERN, type ClientConfig } from '../config/index.js';
import type { AdminAuth, Routes } from '../ingress/index.js';
import { generateClientKey } from '../secrets/index.js';
import { adminRoute, stringField, type AdminCall } from './admin-handler.js';
import { clientView, editConfig, findClient, newClientId, strategyNames } from './admin-config.js';

/** Lifetime of a try-it token. */
const TRY_TOKEN_TTL_S = 600;

/**
 * Clients, as `localrouter clients` manages them:
 * - `GET /api/clients`: the clients (never key hashes), the strategy names and the default strategy;
 * - `POST /api/clients` `{ name, strategy? }`: creates one; the answer holds its key, shown this once;
 * - `POST /api/clients/<id>` `{ enabled?, strategy? }` (`strategy: null` = follow the default);
 * - `POST /api/clients/<id>/rotate`: a new key (answered once), the old one stops working;
 * - `DELETE /api/clients/<id>`;
 * - `POST /api/try-token` `{ client }`: a short-lived bearer token (an OAuth access token) of an
 *   enabled client, so the dashboard's try-it panel calls `/v1/...` as that client without its key.
 */
export function clientRoutes(auth: AdminAuth, configFile: string): Routes {
  const list = (): unknown => {
    const cfg = loadConfig(configFile);
    return { clients: cfg.clients.map((c) => clientView(cfg, c)), strategies: strategyNames(cfg), default_strategy: cfg.default_strategy };
  };
  const create = (call: AdminCall): unknown => {
    const name = stringField(call.body, 'name', { max: 64 })!;
    if (!NAME_PATTERN.test(name)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'name must be 1-64 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit', { param: 'name' });
    const strategy = stringField(call.body, 'strategy', { optional: true, max: 64 });
    const { key, hash, prefix } = generateClientKey();
    const client: ClientConfig = {
      id: newClientId(), name, key_hash: hash, key_prefix: prefix, enabled: true, created_at: new Date().toISOString(),
      allowed_models: ['*'], limits: [], ...(strategy === undefined ? {} : { strategy }),
    };
    const saved = editConfig(configFile, (cfg) => {
      if (cfg.clients.some((c) => c.name === name)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `a client named "${name}" already exists`, { param: 'name' });
      cfg.clients.push(client);
    });
    return { client: clientView(saved, findClient(saved, client.id)), key };
  };
  const one = (call: AdminCall): unknown => {
    const [id, action, ...extra] = call.rest;
    if (id === undefined || extra.length > 0 || (action !== undefined && action !== 'rotate')) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'no such client route');
    if (call.method === 'delete') {
      if (action !== undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', 'no such client route');
      let removed: ClientConfig | undefined;
      const saved = editConfig(configFile, (cfg) => {
        removed = findClient(cfg, id);
        cfg.clients = cfg.clients.filter((c) => c !== removed);
      });
      return { removed: clientView(saved, removed!) };
    }
    if (action === 'rotate') {
      const { key, hash, prefix } = generateClientKey();
      const saved = editConfig(configFile, (cfg) => {
        const c = findClient(cfg, id);
        c.key_hash = hash;
        c.key_prefix = prefix;
      });
      return { client: clientView(saved, findClient(saved, id)), key };
    }
    const saved = editConfig(configFile, (cfg) => {
      const c = findClient(cfg, id);
      const { enabled, strategy } = call.body;
      if (enabled !== undefined) {
        if (typeof enabled !== 'boolean') throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'enabled must be true or false', { param: 'enabled' });
        c.enabled = enabled;
      }
      if (strategy === null) delete c.strategy;
      else if (strategy !== undefined) {
        if (typeof strategy !== 'string' || !strategyNames(cfg).includes(strategy)) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `no strategy named "${String(strategy).slice(0, 64)}"`, { param: 'strategy' });
        c.strategy = strategy;
      }
    });
    return { client: clientView(saved, findClient(saved, id)) };
  };
  const tryToken = (call: AdminCall): unknown => {
    const ref = stringField(call.body, 'client', { max: 100 })!;
    const cfg = loadConfig(configFile);
    const id = findClient(cfg, ref).id;
    // The table in force, not the file: a client the gateway has not loaded yet cannot be tried.
    const found = call.state.tables.clients.byId(id);
    if (found === null) throw new LocalRouterError('LR_ERR_BAD_REQUEST', `client "${ref.slice(0, 64)}" is disabled or not loaded yet`, { param: 'client' });
    const { token, expiresIn } = call.state.tokens.issue(id, found.keyHash, TRY_TOKEN_TTL_S);
    return { token, expires_in: expiresIn };
  };
  return {
    '/api/try-token': { post: adminRoute(auth, '/api/try-token', tryToken) },
    '/api/clients': { get: adminRoute(auth, '/api/clients', list), post: adminRoute(auth, '/api/clients', create) },
    '/api/clients/*': { post: adminRoute(auth, '/api/clients', one), delete: adminRoute(auth, '/api/clients', one) },
  };
}
