import { randomBytes } from 'node:crypto';
import { Option, type Command } from 'commander';
import { configPath, updateConfig, type ClientConfig, type Config, type LimitConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { generateClientKey } from '../secrets/index.js';
import { homeOf, parseName, printJson, printTable, readConfig, type CliIo } from './cli-io.js';
import { collectLimit, collectPatterns, formatLimit, formatList, requireStrategy, strategyOf } from './policy-options.js';

const LIMIT_HELP = 'rate limit on top of the strategy\'s, KIND:WINDOW:MAX (repeatable); KIND: requests, input_tokens, '
  + 'output_tokens, total_tokens or cost (USD); WINDOW: minute, hour or day';

/** `c_` + 12 random base64url chars. */
export function newClientId(): string {
  return `c_${randomBytes(9).toString('base64url')}`;
}

/** What may be shown of a client: never its key hash. `strategy` is the one in force. */
function publicView(cfg: Config, c: ClientConfig) {
  return {
    id: c.id, name: c.name, key_prefix: c.key_prefix, enabled: c.enabled, created_at: c.created_at,
    allowed_models: c.allowed_models, strategy: strategyOf(cfg, c), follows_default_strategy: c.strategy === undefined,
    limits: c.limits,
  };
}

interface UpdateOptions {
  strategy?: string;
  defaultStrategy?: boolean;
  limit?: LimitConfig[];
  clearLimits?: boolean;
  allowModels?: string[];
  json?: boolean;
}

export function registerClientsCommand(program: Command, io: CliIo): void {
  const clients = program.command('clients').description('manage the API keys of local clients');

  clients.command('create').description('create a client and print its API key (shown once)')
    .argument('<name>', 'client name', parseName)
    .option('--strategy <strategy>', 'strategy it follows (default: the config\'s default strategy, also later ones)')
    .option('--limit <kind:window:max>', LIMIT_HELP, collectLimit)
    .option('--json', 'print JSON')
    .action((name: string, opts: { strategy?: string; limit?: LimitConfig[]; json?: boolean }, cmd: Command) => {
      const { key, hash, prefix } = generateClientKey();
      const client: ClientConfig = {
        id: newClientId(), name, key_hash: hash, key_prefix: prefix, enabled: true,
        created_at: new Date().toISOString(), allowed_models: ['*'], limits: opts.limit ?? [],
        ...(opts.strategy === undefined ? {} : { strategy: opts.strategy }),
      };
      updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        if (cfg.clients.some((c) => c.name === name)) {
          throw new LocalRouterError('LR_ERR_BAD_REQUEST', `a client named "${name}" already exists`);
        }
        if (opts.strategy !== undefined) requireStrategy(cfg, opts.strategy);
        cfg.clients.push(client);
      });
      printKey(io, client, key, opts.json, 'created');
    });

  clients.command('list').description('list clients (key prefixes only)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const cfg = readConfig(homeOf(cmd, io));
      const list = cfg.clients.map((c) => publicView(cfg, c));
      if (opts.json) return printJson(io, list);
      printTable(io, ['ID', 'NAME', 'KEY', 'ENABLED', 'STRATEGY', 'LIMITS', 'CREATED'], list.map((c) => [
        c.id, c.name, `${c.key_prefix}...`, c.enabled ? 'yes' : 'no',
        c.follows_default_strategy ? `${c.strategy} (default)` : c.strategy, formatList(c.limits.map(formatLimit)), c.created_at,
      ]), 'no clients (create one with: localrouter clients create <name>)');
    });

  clients.command('update').description('change a client\'s strategy, own limits or allowed models')
    .argument('<name>', 'client name or id')
    .addOption(new Option('--strategy <strategy>', 'strategy it follows').conflicts('defaultStrategy'))
    .option('--default-strategy', 'follow the config\'s default strategy (whichever it is) instead of its own')
    .option('--limit <kind:window:max>', `${LIMIT_HELP}; replaces its limits`, collectLimit)
    .addOption(new Option('--clear-limits', 'remove its own limits (the strategy\'s still apply)').conflicts('limit'))
    .option('--allow-models <patterns>', 'models it may use within its strategy, comma-separated (replaces the list; "*" = all)',
      collectPatterns)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nOptions not given keep their current value; --limit and --allow-models replace the whole list.')
    .action((ref: string, opts: UpdateOptions, cmd: Command) => {
      if ([opts.strategy, opts.defaultStrategy, opts.limit, opts.clearLimits, opts.allowModels].every((o) => o === undefined)) {
        cmd.error('error: nothing to update: give --strategy, --default-strategy, --limit, --clear-limits or --allow-models',
          { exitCode: 2 });
      }
      const saved = updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        const client = findClient(cfg, ref);
        if (opts.strategy !== undefined) {
          requireStrategy(cfg, opts.strategy);
          client.strategy = opts.strategy;
        }
        if (opts.defaultStrategy) delete client.strategy;
        if (opts.limit !== undefined || opts.clearLimits) client.limits = opts.limit ?? [];
        if (opts.allowModels !== undefined) client.allowed_models = opts.allowModels;
      });
      const v = publicView(saved, findClient(saved, ref));
      if (opts.json) return printJson(io, v);
      io.stdout.write(`updated client "${v.name}": strategy ${v.strategy}${v.follows_default_strategy ? ' (default)' : ''}; `
        + `limits ${formatList(v.limits.map(formatLimit))}; models ${formatList(v.allowed_models)}\n`);
    });

  for (const enabled of [false, true]) {
    clients.command(enabled ? 'enable' : 'disable')
      .description(enabled ? 'let a disabled client use its key again' : 'reject a client\'s key until it is enabled again')
      .argument('<name>', 'client name or id')
      .option('--json', 'print JSON')
      .action((ref: string, opts: { json?: boolean }, cmd: Command) => {
        const saved = updateConfig(configPath(homeOf(cmd, io)), (cfg) => { findClient(cfg, ref).enabled = enabled; });
        const client = findClient(saved, ref);
        if (opts.json) return printJson(io, publicView(saved, client));
        io.stdout.write(`client "${client.name}" ${enabled ? 'enabled' : 'disabled'}\n`);
      });
  }

  clients.command('rotate').description('replace a client\'s API key; the old key stops working')
    .argument('<name>', 'client name or id')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }, cmd: Command) => {
      const { key, hash, prefix } = generateClientKey();
      const saved = updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        const client = findClient(cfg, ref);
        client.key_hash = hash;
        client.key_prefix = prefix;
      });
      printKey(io, findClient(saved, ref), key, opts.json, 'rotated');
    });

  clients.command('remove').description('delete a client; its key stops working')
    .argument('<name>', 'client name or id')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }, cmd: Command) => {
      let removed: ClientConfig | undefined;
      const saved = updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        removed = findClient(cfg, ref);
        cfg.clients = cfg.clients.filter((c) => c !== removed);
      });
      if (opts.json) return printJson(io, { removed: publicView(saved, removed!) });
      io.stdout.write(`removed client "${removed!.name}"\n`);
    });
}

function findClient(cfg: Config, ref: string): ClientConfig {
  const client = cfg.clients.find((c) => c.name === ref) ?? cfg.clients.find((c) => c.id === ref);
  if (client === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no client named "${ref}"`);
  return client;
}

/**
 * The key alone on stdout (`KEY=$(localrouter clients create app)` captures just it); the once-only
 * reminder is a notice, so it goes to stderr.
 */
function printKey(io: CliIo, client: ClientConfig, key: string, json: boolean | undefined, verb: string): void {
  if (json) return printJson(io, { id: client.id, name: client.name, key });
  io.stdout.write(`${key}\n`);
  io.stderr.write(`client "${client.name}" (${client.id}) ${verb}: this key is shown only once, store it now.\n`);
}
