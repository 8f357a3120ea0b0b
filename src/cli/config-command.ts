import type { Command } from 'commander';
import { stringify } from 'yaml';
import { configPath, loadConfig, type Config } from '../config/index.js';
import { isLocalRouterError } from '../errors/index.js';
import { CommandExit, homeOf, printJson, readConfig, secretStoreOf, type CliIo } from './cli-io.js';

export function registerConfigCommand(program: Command, io: CliIo): void {
  const config = program.command('config').description('inspect and check the config file');

  config.command('show').description('print the config in force (without key hashes) and the secrets backend')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const home = homeOf(cmd, io);
      const shown = { ...withoutHashes(readConfig(home)), secrets: secretStoreOf(home, io).backend };
      if (opts.json) return printJson(io, shown);
      io.stdout.write(stringify(shown, { lineWidth: 0 }));
    });

  config.command('path').description('print the config file path')
    .action((_opts: unknown, cmd: Command) => {
      io.stdout.write(`${configPath(homeOf(cmd, io))}\n`);
    });

  config.command('validate').description('check a config file; prints "ok" or one line per problem')
    .option('--file <file>', 'file to check instead of the config in the data dir')
    .action((opts: { file?: string }, cmd: Command) => {
      const file = opts.file ?? configPath(homeOf(cmd, io));
      try {
        loadConfig(file);
      } catch (err) {
        if (!isLocalRouterError(err)) throw err;
        // The message already names the file, path and reason on each line: print it bare.
        io.stderr.write(`${err.message}\n`);
        throw new CommandExit(1);
      }
      io.stdout.write('ok\n');
    });
}

function withoutHashes(cfg: Config) {
  return { ...cfg, clients: cfg.clients.map(({ key_hash: _hash, ...rest }) => rest) };
}
