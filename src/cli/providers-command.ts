import { InvalidArgumentError, Option, type Command } from 'commander';
import { configPath, loadOrCreateConfig, updateConfig, type ProviderConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { openSecretStore, type SecretStore } from '../secrets/index.js';
import { homeOf, parseName, printJson, printTable, readConfig } from './cli-io.js';
import { readSecretFromStdin } from './read-secret.js';

/** Secret store entry that holds a provider's API key. */
export function providerSecretName(name: string): string {
  return `provider:${name}`;
}

type KeySource = 'env' | 'secret_store' | 'none';

export function registerProvidersCommand(program: Command): void {
  const providers = program.command('providers').description('manage upstream LLM providers');

  providers.command('add').description('add an OpenAI-compatible provider')
    .argument('<name>', 'provider name, used as the model prefix (<name>/<model>)', parseName)
    .addOption(new Option('--type <type>', 'wire protocol').choices(['openai-compatible']).default('openai-compatible'))
    .requiredOption('--base-url <url>', 'API base URL, e.g. https://api.openai.com/v1', parseBaseUrl)
    .addOption(new Option('--api-key-env <var>', 'environment variable that holds the API key')
      .argParser(parseEnvName).conflicts('apiKeyStdin'))
    .option('--api-key-stdin', 'read the API key from stdin and keep it in the secret store')
    .option('--header <name:value>', 'extra header sent upstream (repeatable)', collectHeader, {} as Record<string, string>)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: AddOptions, cmd: Command) => addProvider(homeOf(cmd), name, opts));

  providers.command('list').description('list providers and where their API keys come from')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd);
      const list = readConfig(home).providers;
      const store = lazyStore(home);
      const rows = list.map((p) => ({
        name: p.name, type: p.type, base_url: p.base_url,
        key_source: keySource(p, store), api_key_env: p.api_key_env ?? null, enabled: p.enabled,
      }));
      if (opts.json) return printJson(rows);
      printTable(['NAME', 'TYPE', 'BASE URL', 'ENABLED', 'KEY'], rows.map((r) => [
        r.name, r.type, r.base_url, r.enabled ? 'yes' : 'no',
        r.key_source === 'env' ? `env ${r.api_key_env}` : r.key_source === 'secret_store' ? 'secret store' : 'none',
      ]), 'no providers (add one with: localrouter providers add <name> --base-url <url>)');
    });

  providers.command('remove').description('remove a provider and its stored API key')
    .argument('<name>', 'provider name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd);
      updateConfig(configPath(home), (cfg) => {
        const index = cfg.providers.findIndex((p) => p.name === name);
        if (index < 0) throw notFound(name);
        cfg.providers.splice(index, 1);
      });
      let secretRemoved = false;
      try {
        secretRemoved = openSecretStore(home).delete(providerSecretName(name));
      } catch (err) {
        // The provider is already gone from the config; say what is left behind rather than fail.
        process.stderr.write(`warning: could not delete the stored API key of "${name}": ${(err as Error).message}\n`);
      }
      if (opts.json) return printJson({ removed: name, secret_removed: secretRemoved });
      process.stdout.write(`removed provider "${name}"${secretRemoved ? ' and its stored API key' : ''}\n`);
    });

  providers.command('test').description('list the models a provider offers, to check its URL and key')
    .argument('<name>', 'provider name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd);
      const config = readConfig(home);
      const provider = config.providers.find((p) => p.name === name);
      if (provider === undefined) throw notFound(name);
      // undici is only needed here; loading it lazily keeps every other command's start-up short.
      const { listUpstreamModels } = await import('./list-upstream-models.js');
      const models = await listUpstreamModels(provider, resolveKey(provider, lazyStore(home)), {
        connectTimeoutMs: provider.timeouts?.connect_ms ?? config.server.upstream_connect_timeout_ms,
        // A model list is small and quick; waiting as long as for a large model's first token is not useful.
        headersTimeoutMs: Math.min(provider.timeouts?.first_byte_ms ?? config.server.upstream_first_byte_timeout_ms, 30_000),
      });
      if (opts.json) return printJson({ models });
      process.stderr.write(`provider "${name}" answered with ${models.length} model(s)\n`);
      if (models.length > 0) process.stdout.write(`${models.join('\n')}\n`);
    });
}

interface AddOptions {
  type: 'openai-compatible';
  baseUrl: string;
  apiKeyEnv?: string;
  apiKeyStdin?: boolean;
  header: Record<string, string>;
  json?: boolean;
}

async function addProvider(home: string, name: string, opts: AddOptions): Promise<void> {
  const file = configPath(home);
  if (loadOrCreateConfig(home).providers.some((p) => p.name === name)) throw exists(name);
  warnAboutCredentialHeaders(opts.header);
  const provider: ProviderConfig = {
    name, type: opts.type, base_url: opts.baseUrl, headers: opts.header, enabled: true, models: [],
    ...(opts.apiKeyEnv === undefined ? {} : { api_key_env: opts.apiKeyEnv }),
  };
  let store: SecretStore | undefined;
  if (opts.apiKeyStdin) {
    const key = await readSecretFromStdin(`API key for ${name} (input hidden): `);
    store = openSecretStore(home);
    // The key goes in first so a running gateway never sees the provider without it.
    store.set(providerSecretName(name), key);
  }
  try {
    updateConfig(file, (cfg) => {
      if (cfg.providers.some((p) => p.name === name)) throw exists(name);
      cfg.providers.push(provider);
    });
  } catch (err) {
    store?.delete(providerSecretName(name));
    throw err;
  }
  const source: KeySource = opts.apiKeyEnv ? 'env' : store ? 'secret_store' : 'none';
  if (opts.json) return printJson({ ...provider, key_source: source });
  const where = source === 'env' ? `from $${opts.apiKeyEnv}` : source === 'secret_store' ? `in the ${store!.backend} secret store` : 'none';
  process.stdout.write(`added provider "${name}" (${provider.base_url}); API key: ${where}\n`);
}

/** Opens the secret store only if a provider actually needs it (opening may probe the keychain). */
function lazyStore(home: string): () => SecretStore {
  let store: SecretStore | undefined;
  return () => (store ??= openSecretStore(home));
}

function keySource(p: ProviderConfig, store: () => SecretStore): KeySource {
  if (p.api_key_env !== undefined) return 'env';
  return store().get(providerSecretName(p.name)) === undefined ? 'none' : 'secret_store';
}

function resolveKey(p: ProviderConfig, store: () => SecretStore): string | undefined {
  if (p.api_key_env === undefined) return store().get(providerSecretName(p.name));
  const key = process.env[p.api_key_env];
  if (key === undefined || key === '') {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `provider "${p.name}" takes its API key from $${p.api_key_env}, which is not set`);
  }
  return key;
}

function parseBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be an http(s) URL.');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http(s) URL.');
  // Paths are appended to it (`/chat/completions`), so a trailing slash would double up.
  return value.replace(/\/+$/, '');
}

function parseEnvName(value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(value)) throw new InvalidArgumentError('must be an environment variable name.');
  return value;
}

function collectHeader(value: string, previous: Record<string, string>): Record<string, string> {
  const colon = value.indexOf(':');
  const key = colon < 0 ? '' : value.slice(0, colon).trim();
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw new InvalidArgumentError('expected "Name: value" with a valid header name.');
  return { ...previous, [key]: value.slice(colon + 1).trim() };
}

function warnAboutCredentialHeaders(headers: Record<string, string>): void {
  for (const key of Object.keys(headers)) {
    if (/^(authorization|proxy-authorization|x-api-key|api-key)$/i.test(key) || /token|secret/i.test(key)) {
      process.stderr.write(`warning: header "${key}" looks like a credential; headers are stored in plain text in `
        + 'config.yaml. Prefer --api-key-stdin or --api-key-env.\n');
    }
  }
}

function notFound(name: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_NOT_FOUND', `no provider named "${name}"`);
}

function exists(name: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', `a provider named "${name}" already exists`);
}
