import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { configPath, updateConfig, type ClientConfig, type Config } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { generateClientKey } from '../secrets/index.js';
import { homeOf, parseName, printJson, printTable, readConfig } from './cli-io.js';

/** `c_` + 12 random base64url chars. */
export function newClientId(): string {
  return `c_${randomBytes(9).toString('base64url')}`;
}

/** What may be shown of a client: never its key hash. */
function publicView(c: ClientConfig) {
  return {
    id: c.id, name: c.name, key_prefix: c.key_prefix, enabled: c.enabled, created_at: c.created_at,
    allowed_models: c.allowed_models,
  };
}

export function registerClientsCommand(program: Command): void {
  const clients = program.command('clients').description('manage the API keys of local clients');

  clients.command('create').description('create a client and print its API key (shown once)')
    .argument('<name>', 'client name', parseName)
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      const { key, hash, prefix } = generateClientKey();
      const client: ClientConfig = {
        id: newClientId(), name, key_hash: hash, key_prefix: prefix, enabled: true,
        created_at: new Date().toISOString(), allowed_models: ['*'], limits: [],
      };
      updateConfig(configPath(homeOf(cmd)), (cfg) => {
        if (cfg.clients.some((c) => c.name === name)) {
          throw new LocalRouterError('LR_ERR_BAD_REQUEST', `a client named "${name}" already exists`);
        }
        cfg.clients.push(client);
      });
      printKey(client, key, opts.json, 'created');
    });

  clients.command('list').description('list clients (key prefixes only)')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const list = readConfig(homeOf(cmd)).clients.map(publicView);
      if (opts.json) return printJson(list);
      printTable(['ID', 'NAME', 'KEY', 'ENABLED', 'CREATED'], list.map((c) => [
        c.id, c.name, `${c.key_prefix}...`, c.enabled ? 'yes' : 'no', c.created_at,
      ]), 'no clients (create one with: localrouter clients create <name>)');
    });

  for (const enabled of [false, true]) {
    clients.command(enabled ? 'enable' : 'disable')
      .description(enabled ? 'let a disabled client use its key again' : 'reject a client\'s key until it is enabled again')
      .argument('<name>', 'client name or id')
      .option('--json', 'print JSON')
      .action((ref: string, opts: { json?: boolean }, cmd: Command) => {
        const saved = updateConfig(configPath(homeOf(cmd)), (cfg) => { findClient(cfg, ref).enabled = enabled; });
        const client = findClient(saved, ref);
        if (opts.json) return printJson(publicView(client));
        process.stdout.write(`client "${client.name}" ${enabled ? 'enabled' : 'disabled'}\n`);
      });
  }

  clients.command('rotate').description('replace a client\'s API key; the old key stops working')
    .argument('<name>', 'client name or id')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }, cmd: Command) => {
      const { key, hash, prefix } = generateClientKey();
      const saved = updateConfig(configPath(homeOf(cmd)), (cfg) => {
        const client = findClient(cfg, ref);
        client.key_hash = hash;
        client.key_prefix = prefix;
      });
      printKey(findClient(saved, ref), key, opts.json, 'rotated');
    });

  clients.command('remove').description('delete a client; its key stops working')
    .argument('<name>', 'client name or id')
    .option('--json', 'print JSON')
    .action((ref: string, opts: { json?: boolean }, cmd: Command) => {
      let removed: ClientConfig | undefined;
      updateConfig(configPath(homeOf(cmd)), (cfg) => {
        removed = findClient(cfg, ref);
        cfg.clients = cfg.clients.filter((c) => c !== removed);
      });
      if (opts.json) return printJson({ removed: publicView(removed!) });
      process.stdout.write(`removed client "${removed!.name}"\n`);
    });
}

function findClient(cfg: Config, ref: string): ClientConfig {
  const client = cfg.clients.find((c) => c.name === ref) ?? cfg.clients.find((c) => c.id === ref);
  if (client === undefined) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no client named "${ref}"`);
  return client;
}

/** The key comes first, alone on its line (easy to capture), then the once-only reminder. */
function printKey(client: ClientConfig, key: string, json: boolean | undefined, verb: string): void {
  if (json) return printJson({ id: client.id, name: client.name, key });
  process.stdout.write(`${key}\nclient "${client.name}" (${client.id}) ${verb}: this key is shown only once, store it now.\n`);
}
