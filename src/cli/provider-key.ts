import type { ProviderConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import type { ProviderPreset } from '../providers/index.js';
import type { SecretStore } from '../secrets/index.js';

/** Secret store entry that holds a provider's API key. */
export function providerSecretName(name: string): string {
  return `provider:${name}`;
}

/**
 * Where a provider's key comes from, in the gateway's order: `api_key_env`, else the secret store,
 * else the preset's usual variable (`OPENAI_API_KEY`...), else none.
 */
export type KeySource = 'env' | 'secret_store' | 'preset_env' | 'none';

export interface KeyInfo {
  source: KeySource;
  /** The variable for `env` and `preset_env`. */
  env: string | null;
}

export function keyInfo(p: ProviderConfig, store: () => SecretStore, preset: ProviderPreset | undefined): KeyInfo {
  if (p.api_key_env !== undefined) return { source: 'env', env: p.api_key_env };
  if (store().get(providerSecretName(p.name)) !== undefined) return { source: 'secret_store', env: null };
  if (preset?.key_env) return { source: 'preset_env', env: preset.key_env };
  return { source: 'none', env: null };
}

/** The key itself, for `providers test`; an explicitly named but unset variable (in `env`) is an error. */
export function resolveKey(
  p: ProviderConfig, store: () => SecretStore, preset: ProviderPreset | undefined, env: NodeJS.ProcessEnv,
): string | undefined {
  if (p.api_key_env !== undefined) {
    const key = env[p.api_key_env];
    if (key === undefined || key === '') {
      throw new LocalRouterError('LR_ERR_BAD_REQUEST', `provider "${p.name}" takes its API key from $${p.api_key_env}, which is not set`);
    }
    return key;
  }
  const stored = store().get(providerSecretName(p.name));
  if (stored !== undefined) return stored;
  return preset?.key_env ? env[preset.key_env] || undefined : undefined;
}

/** Human form of a key source for tables. */
export function describeKey(info: KeyInfo): string {
  if (info.source === 'env') return `env ${info.env}`;
  if (info.source === 'preset_env') return `env ${info.env} (preset default)`;
  return info.source === 'secret_store' ? 'secret store' : 'none';
}
