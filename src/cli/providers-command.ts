import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  configPath, loadOrCreateConfig, PROVIDER_TYPE_NAMES, updateConfig, type Config, type ProviderConfig,
} from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { labelSafe } from '../model/index.js';
import type { ProviderPreset } from '../providers/index.js';
import type { SecretStore } from '../secrets/index.js';
import { fetchAdmin } from './admin-client.js';
import { homeOf, parseName, printJson, printTable, readConfig, secretStoreOf, type CliIo } from './cli-io.js';
import { registerDetectCommand } from './detect-command.js';
import { describeKey, keyInfo, providerSecretName, resolveKey, type KeyInfo } from './provider-key.js';
import { readSecretFromStdin } from './read-secret.js';

type ProviderType = ProviderConfig['type'];

export function registerProvidersCommand(program: Command, io: CliIo): void {
  const providers = program.command('providers').description('manage upstream LLM providers');

  providers.command('add').description('add a provider (a preset type, or any OpenAI-compatible server)')
    .argument('<name>', 'provider name, used as the model prefix (<name>/<model>)', parseName)
    .addOption(new Option('--type <type>', 'provider type').choices(PROVIDER_TYPE_NAMES).default('openai-compatible'))
    .option('--base-url <url>', 'API base URL, e.g. https://api.example.com/v1 (default: the preset\'s)', parseBaseUrl)
    .addOption(new Option('--api-key-env <var>', 'environment variable that holds the API key')
      .argParser(parseEnvName).conflicts('apiKeyStdin'))
    .option('--api-key-stdin', 'read the API key from stdin and keep it in the secret store')
    .option('--header <name:value>', 'extra header sent upstream (repeatable)', collectHeader, {} as Record<string, string>)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: AddOptions, cmd: Command) => {
      if (opts.type === 'openai-compatible' && opts.baseUrl === undefined) {
        cmd.error("error: required option '--base-url <url>' not specified (needed for --type openai-compatible)", { exitCode: 2 });
      }
      await addProvider(io, homeOf(cmd, io), name, opts);
    });

  providers.command('list').description('list providers and where their API keys come from')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      const list = readConfig(home).providers;
      const store = lazyStore(home, io);
      const presets = await presetsFor(list);
      const live = await liveProviderStatus(io, home, readConfig(home));
      const rows = list.map((p) => {
        const preset = presets.get(p.type);
        const key = keyInfo(p, store, preset);
        const status = live?.get(p.name);
        return {
          name: p.name, type: p.type, base_url: p.base_url ?? preset?.base_url ?? null,
          key_source: key.source, api_key_env: key.env, enabled: p.enabled, key,
          // The router's view when a gateway runs: an open breaker means fallback skips this provider
          // (connection failures) or one of its models (`models`: those whose breaker counted failures).
          state: live === null ? 'gateway not running' : !p.enabled ? 'disabled' : String(status?.breaker ?? 'unknown'),
          models: status?.models ?? [],
        };
      });
      if (opts.json) return printJson(io, rows.map(({ key: _key, ...row }) => row));
      printTable(io, ['NAME', 'TYPE', 'BASE URL', 'ENABLED', 'KEY', 'STATE'], rows.map((r) => [
        r.name, r.type, r.base_url ?? '-', r.enabled ? 'yes' : 'no', describeKey(r.key), describeState(r.state, r.models),
      ]), 'no providers (add one with: localrouter providers add <name> --base-url <url>)');
    });

  registerDetectCommand(providers, io);

  providers.command('remove').description('remove a provider and its stored API key')
    .argument('<name>', 'provider name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      updateConfig(configPath(home), (cfg) => {
        const index = cfg.providers.findIndex((p) => p.name === name);
        if (index < 0) throw notFound(name);
        cfg.providers.splice(index, 1);
      });
      let secretRemoved = false;
      try {
        secretRemoved = secretStoreOf(home, io).delete(providerSecretName(name));
      } catch (err) {
        // The provider is already gone from the config; say what is left behind rather than fail.
        io.stderr.write(`warning: could not delete the stored API key of "${name}": ${(err as Error).message}\n`);
      }
      if (opts.json) return printJson(io, { removed: name, secret_removed: secretRemoved });
      io.stdout.write(`removed provider "${name}"${secretRemoved ? ' and its stored API key' : ''}\n`);
    });

  providers.command('test').description('list the models a provider offers, to check its URL and key')
    .argument('<name>', 'provider name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      const config = readConfig(home);
      const provider = config.providers.find((p) => p.name === name);
      if (provider === undefined) throw notFound(name);
      // undici and the presets are only needed here; loading them lazily keeps every other command's start-up short.
      const [{ getPreset }, { listUpstreamModels }] = await Promise.all([
        import('../providers/index.js'), import('./list-upstream-models.js'),
      ]);
      const preset = getPreset(provider.type)!;
      const { models, fetched } = await listUpstreamModels(provider, preset, resolveKey(provider, lazyStore(home, io), preset, io.env),
        timeoutsOf(config, provider));
      if (opts.json) return printJson(io, { models });
      io.stderr.write(fetched ? `provider "${name}" answered with ${models.length} model(s)\n`
        : `provider "${name}" has no model-list endpoint; these are the models configured for it\n`);
      if (models.length > 0) io.stdout.write(`${models.join('\n')}\n`);
    });
}

interface AddOptions {
  type: ProviderType;
  baseUrl?: string;
  apiKeyEnv?: string;
  apiKeyStdin?: boolean;
  header: Record<string, string>;
  json?: boolean;
}

async function addProvider(io: CliIo, home: string, name: string, opts: AddOptions): Promise<void> {
  const file = configPath(home);
  if (loadOrCreateConfig(home).providers.some((p) => p.name === name)) throw exists(name);
  warnAboutCredentialHeaders(io, opts.header);
  const provider: ProviderConfig = {
    name, type: opts.type, headers: opts.header, enabled: true, models: [],
    ...(opts.baseUrl === undefined ? {} : { base_url: opts.baseUrl }),
    ...(opts.apiKeyEnv === undefined ? {} : { api_key_env: opts.apiKeyEnv }),
  };
  let store: SecretStore | undefined;
  if (opts.apiKeyStdin) {
    const key = await readSecretFromStdin(io, `API key for ${name} (input hidden): `);
    store = secretStoreOf(home, io);
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
  const preset = (await presetsFor([provider])).get(provider.type);
  const key = keyInfo(provider, () => store ?? secretStoreOf(home, io), preset);
  warnAboutUnsetKeyVariable(io, provider, key);
  if (opts.json) return printJson(io, { ...provider, key_source: key.source, api_key_env: key.env });
  const url = provider.base_url ?? preset?.base_url ?? '-';
  io.stdout.write(`added provider "${name}" (${provider.type}, ${url}); API key: ${describeKey(key)}\n`);
}

/**
 * Presets of the given providers' types. The providers module is heavy (adapters, catalog), so it is
 * only loaded when a preset actually matters: a non-generic type, or a provider without base_url.
 */
async function presetsFor(list: readonly ProviderConfig[]): Promise<Map<string, ProviderPreset>> {
  const out = new Map<string, ProviderPreset>();
  if (list.every((p) => p.type === 'openai-compatible')) return out;
  const { getPreset } = await import('../providers/index.js');
  for (const p of list) {
    const preset = getPreset(p.type);
    if (preset !== undefined) out.set(p.type, preset);
  }
  return out;
}

function timeoutsOf(config: Config, p: ProviderConfig): { connectTimeoutMs: number; headersTimeoutMs: number } {
  return {
    connectTimeoutMs: p.timeouts?.connect_ms ?? config.server.upstream_connect_timeout_ms,
    // A model list is small and quick; waiting as long as for a large model's first token is not useful.
    headersTimeoutMs: Math.min(p.timeouts?.first_byte_ms ?? config.server.upstream_first_byte_timeout_ms, 30_000),
  };
}

/** Opens the secret store only if a provider actually needs it (opening may probe the keychain). */
function lazyStore(home: string, io: CliIo): () => SecretStore {
  let store: SecretStore | undefined;
  return () => (store ??= secretStoreOf(home, io));
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

function warnAboutCredentialHeaders(io: CliIo, headers: Record<string, string>): void {
  for (const key of Object.keys(headers)) {
    if (/^(authorization|proxy-authorization|x-api-key|api-key|x-goog-api-key)$/i.test(key) || /token|secret/i.test(key)) {
      io.stderr.write(`warning: header "${key}" looks like a credential; headers are stored in plain text in `
        + 'config.yaml. Prefer --api-key-stdin or --api-key-env.\n');
    }
  }
}

/**
 * A key read from an environment variable that is not set here is most likely not set for the
 * gateway either: say so now rather than at the first request's 401.
 */
function warnAboutUnsetKeyVariable(io: CliIo, p: ProviderConfig, key: KeyInfo): void {
  if (key.env === null || (key.source !== 'env' && key.source !== 'preset_env')) return;
  if ((io.env[key.env] ?? '') !== '') return;
  io.stderr.write(`warning: $${key.env} is not set in this shell, and provider "${p.name}" reads its API key from it `
    + 'in the gateway\'s environment. Set it where the gateway runs, or keep the key in the secret store instead:\n'
    + `  localrouter providers remove ${p.name}\n`
    + `  printf %s "$${key.env}" | localrouter providers add ${p.name} --type ${p.type} --api-key-stdin\n`);
}

function notFound(name: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_NOT_FOUND', `no provider named "${name}"`);
}

function exists(name: string): LocalRouterError {
  return new LocalRouterError('LR_ERR_BAD_REQUEST', `a provider named "${name}" already exists`);
}

/** One model's breaker as `GET /api/providers` reports it. */
interface ModelBreaker {
  model: string;
  breaker: string;
  failures: number;
  retry_in_ms: number;
}

/** Breaker states from a running gateway (`GET /api/providers` with the admin token), or null when none answers. */
async function liveProviderStatus(io: CliIo, home: string, config: Config): Promise<Map<string, { breaker: string; models?: ModelBreaker[] }> | null> {
  const body = await fetchAdmin<{ providers: { name: string; breaker: string; models?: ModelBreaker[] }[] }>(home, config, '/api/providers', io.env);
  return body === null ? null : new Map(body.providers.map((p) => [p.name, p]));
}

/** The STATE column: the provider's breaker, then the models whose breaker is not closed (`open: gpt-4o 42s`). */
function describeState(state: string, models: ModelBreaker[]): string {
  const notClosed = models.filter((m) => m.breaker !== 'closed');
  if (notClosed.length === 0) return state;
  const shown = notClosed.slice(0, 3).map((m) => `${labelSafe(m.model, 80)} ${m.breaker}${m.retry_in_ms > 0 ? ` ${Math.ceil(m.retry_in_ms / 1000)}s` : ''}`);
  const more = notClosed.length > shown.length ? `, +${notClosed.length - shown.length} more` : '';
  return `${state} (models: ${shown.join(', ')}${more})`;
}
