import type { Command } from 'commander';
import { stringify } from 'yaml';
import { configPath, loadConfig, type Config } from '../config/index.js';
import { isLocalRouterError } from '../errors/index.js';
import { openSecretStore } from '../secrets/index.js';
import { homeOf, printJson, readConfig } from './cli-io.js';

export function registerConfigCommand(program: Command): void {
  const config = program.command('config').description('inspect and check the config file');

  config.command('show').description('print the config in force (without key hashes) and the secrets backend')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd);
      const shown = { ...withoutHashes(readConfig(home)), secrets: openSecretStore(home).backend };
      if (opts.json) return printJson(shown);
      process.stdout.write(stringify(shown, { lineWidth: 0 }));
    });

  config.command('path').description('print the config file path')
    .action((_opts: unknown, cmd: Command) => {
      process.stdout.write(`${configPath(homeOf(cmd))}\n`);
    });

  config.command('validate').description('check a config file; prints "ok" or one line per problem')
    .option('--file <file>', 'file to check instead of the config in the data dir')
    .action((opts: { file?: string }, cmd: Command) => {
      const file = opts.file ?? configPath(homeOf(cmd));
      try {
        loadConfig(file);
      } catch (err) {
        if (!isLocalRouterError(err)) throw err;
        // The message already names the file, path and reason on each line: print it bare.
        process.stderr.write(`${err.message}\n`);
        process.exitCode = 1;
        return;
      }
      process.stdout.write('ok\n');
    });
}

function withoutHashes(cfg: Config) {
  return { ...cfg, clients: cfg.clients.map(({ key_hash: _hash, ...rest }) => rest) };
}
