import { randomBytes } from 'node:crypto';
import { updateConfig, type ClientConfig, type Config } from '../config/index.js';
import { LocalRouterError, toLocalRouterError } from '../errors/index.js';

/**
 * A locked, atomic read-modify-write of the config file, the same path the CLI takes: the running
 * gateway picks the change up through its file watcher, and an edit that makes the config invalid is
 * a 400 naming the field (nothing is written).
 */
export function editConfig(file: string, mutate: (cfg: Config) => void): Config {
  try {
    return updateConfig(file, (cfg) => { mutate(cfg); });
  } catch (err) {
    const e = toLocalRouterError(err);
    if (e.code === 'LR_ERR_CONFIG_INVALID') throw new LocalRouterError('LR_ERR_BAD_REQUEST', e.message, { cause: err });
    throw e;
  }
}

/** `c_` + 12 random base64url chars (the CLI's form). */
export function newClientId(): string {
  return `c_${randomBytes(9).toString('base64url')}`;
}

/** The strategy a client follows: its own, else the config's default. */
export function strategyOf(cfg: Config, c: ClientConfig): string {
  return c.strategy ?? cfg.default_strategy;
}

/** What may be shown of a client: never its key hash. */
export function clientView(cfg: Config, c: ClientConfig) {
  return {
    id: c.id, name: c.name, key_prefix: c.key_prefix, enabled: c.enabled, created_at: c.created_at,
    allowed_models: c.allowed_models, strategy: strategyOf(cfg, c), follows_default_strategy: c.strategy === undefined, limits: c.limits,
  };
}

export function findClient(cfg: Config, ref: string): ClientConfig {
  const c = cfg.clients.find((x) => x.id === ref) ?? cfg.clients.find((x) => x.name === ref);
  if (c === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no client "${ref.slice(0, 100)}"`);
  return c;
}

/** Every strategy name in force, the implicit `default` included. */
export function strategyNames(cfg: Config): string[] {
  const names = cfg.strategies.map((s) => s.name);
  return names.includes('default') ? names : ['default', ...names];
}
