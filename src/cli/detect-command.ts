import { InvalidArgumentError, type Command } from 'commander';
import { configPath, updateConfig, type Config, type ProviderConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import type { DetectedProvider, detectLocalProviders as Detect } from '../providers/index.js';
import { homeOf, printJson, printTable, readConfig, type CliIo } from './cli-io.js';

/** Test and power-user hook: probe these URLs (and only these types) instead of the presets' ports. */
const HOSTS_ENV = 'LOCALROUTER_DETECT_HOSTS';

const DETECT_HELP = `
Probes Ollama, LM Studio, llama.cpp, LocalAI, Jan, GPT4All and vLLM on their default ports on
127.0.0.1. With --add, each server found that is not configured yet is added as a provider named after
its type (a server that wants an API key is not: add it with --api-key-stdin yourself).

${HOSTS_ENV}='{"ollama":"http://192.168.1.5:11434"}' probes only the listed types, at those base URLs.`;

type DetectOptions = NonNullable<Parameters<typeof Detect>[0]>;

type Status = 'new' | 'added' | 'configured' | 'name_taken' | 'needs_key';

interface DetectRow {
  type: string;
  base_url: string;
  model_count: number;
  models: string[];
  auth_required: boolean;
  /** Other local types the answer could not rule out (they share the port). */
  also: string[];
  latency_ms: number;
  status: Status;
  /** The configured provider at that URL, or the one holding the name for `name_taken`. */
  provider: string | null;
}

/** `providers detect`, registered under the `providers` command. */
export function registerDetectCommand(providers: Command, io: CliIo): void {
  providers.command('detect').description('find local LLM servers (Ollama, LM Studio, ...) on their default ports')
    .option('--add', 'add each server found that is not configured yet (named after its type)')
    .option('--timeout <ms>', 'per-probe timeout in milliseconds', parseTimeout, 1000)
    .option('--json', 'print JSON')
    .addHelpText('after', DETECT_HELP)
    .action(async (opts: { add?: boolean; timeout: number; json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      // The providers module is heavy; only this command and `providers test` need it.
      const { detectLocalProviders, getPreset, PRESETS } = await import('../providers/index.js');
      const hosts = hostsFromEnv(io.env, Object.values(PRESETS).filter((p) => p.local).map((p) => p.type));
      const found = await detectLocalProviders({
        timeoutMs: opts.timeout,
        ...(hosts === undefined ? {} : { hosts, types: Object.keys(hosts) as NonNullable<DetectOptions['types']> }),
      });
      const effectiveUrl = (p: ProviderConfig) => p.base_url ?? getPreset(p.type)?.base_url ?? null;
      const classify = (cfg: Config) => found.map((d) => row(d, cfg.providers, effectiveUrl));
      let rows = classify(readConfig(home));
      if (opts.add && rows.some((r) => r.status === 'new')) {
        let added: string[] = [];
        // Classified again under the lock: another editor may have added one meanwhile.
        const saved = updateConfig(configPath(home), (cfg) => {
          added = [];
          for (const r of classify(cfg)) {
            if (r.status !== 'new') continue;
            const usesDefault = r.base_url === getPreset(r.type)?.base_url;
            cfg.providers.push({
              name: r.type, type: r.type as ProviderConfig['type'], headers: {}, enabled: true, models: [],
              ...(usesDefault ? {} : { base_url: r.base_url.replace(/\/+$/, '') }),
            });
            added.push(r.type);
          }
        });
        rows = classify(saved).map((r) => (added.includes(r.type) && r.provider === r.type ? { ...r, status: 'added' } : r));
      }
      if (opts.json) return printJson(io, rows);
      printTable(io, ['TYPE', 'BASE URL', 'MODELS', 'LATENCY', 'STATUS'], rows.map((r) => [
        r.also.length > 0 ? `${r.type} (or ${r.also.join(', ')})` : r.type, r.base_url,
        r.auth_required ? '?' : String(r.model_count), `${r.latency_ms} ms`, describe(r),
      ]), 'no local LLM server answered (is one running? see: localrouter providers detect --help)');
      const addable = rows.filter((r) => r.status === 'new').length;
      if (addable > 0) io.stderr.write(`${addable} not configured yet: run "localrouter providers detect --add" to add them\n`);
    });
}

function row(d: DetectedProvider, providers: readonly ProviderConfig[], urlOf: (p: ProviderConfig) => string | null): DetectRow {
  const base = {
    type: d.type, base_url: d.base_url, model_count: d.models.length, models: d.models, auth_required: d.auth_required,
    also: d.also, latency_ms: d.latency_ms,
  };
  const same = providers.find((p) => sameUrl(urlOf(p), d.base_url) && (p.type === d.type || (d.also as readonly string[]).includes(p.type)));
  if (same) return { ...base, status: 'configured', provider: same.name };
  if (providers.some((p) => p.name === d.type)) return { ...base, status: 'name_taken', provider: d.type };
  return { ...base, status: d.auth_required ? 'needs_key' : 'new', provider: null };
}

function describe(r: DetectRow): string {
  switch (r.status) {
    case 'configured': return `configured as "${r.provider}"`;
    case 'added': return `added as "${r.provider}"`;
    case 'name_taken': return `not added: a provider named "${r.provider}" exists with another URL`;
    case 'needs_key': return `wants an API key: localrouter providers add ${r.type} --type ${r.type} --api-key-stdin`;
    default: return 'not configured';
  }
}

function sameUrl(a: string | null, b: string): boolean {
  return a !== null && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function hostsFromEnv(env: NodeJS.ProcessEnv, local: readonly string[]): DetectOptions['hosts'] {
  const text = env[HOSTS_ENV];
  if (text === undefined || text === '') return undefined;
  const bad = (why: string) => new LocalRouterError('LR_ERR_BAD_REQUEST', `${HOSTS_ENV}: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw bad('not valid JSON; expected {"<type>": "<base URL>", ...}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('expected a JSON object {"<type>": "<base URL>", ...}');
  for (const [type, url] of Object.entries(value)) {
    if (!local.includes(type)) throw bad(`"${type}" is not a local provider type (one of: ${local.join(', ')})`);
    if (typeof url !== 'string' || !/^https?:\/\/[^/]/.test(url)) throw bad(`"${type}" must map to an http(s) base URL`);
  }
  return value as DetectOptions['hosts'];
}

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 1 || ms > 60_000) throw new InvalidArgumentError('must be 1 to 60000 milliseconds.');
  return ms;
}
