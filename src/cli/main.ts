import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isLocalRouterError } from '../errors/index.js';
import { registerClientsCommand } from './clients-command.js';
import { registerRouterCommand } from './router-command.js';
import { registerConfigCommand } from './config-command.js';
import { registerProvidersCommand } from './providers-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerLogsCommand } from './logs-command.js'; // monitoring (issue 5)
import { registerStatsCommand } from './stats-command.js'; // monitoring (issue 5)
import { registerStrategiesCommand } from './strategies-command.js';
import { registerMcpCommand } from './mcp-command.js'; // mcp (issue 7)

/** Exit codes: 0 ok, 1 the command failed, 2 the command line was wrong. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Builds the `localrouter` command tree. */
export function buildProgram(): Command {
  const program = new Command('localrouter')
    .description('Local, privacy-first LLM gateway: one OpenAI-compatible endpoint on localhost')
    .version(VERSION, '-V, --version')
    .option('--home <dir>', 'data directory (default: $LOCALROUTER_HOME, else ~/.localrouter)')
    // Set before adding commands: subcommands inherit these settings.
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerServeCommand(program);
  registerProvidersCommand(program);
  registerClientsCommand(program);
  registerStrategiesCommand(program);
  registerConfigCommand(program);
  registerStatsCommand(program); // monitoring (issue 5)
  registerLogsCommand(program); // monitoring (issue 5)
  registerMcpCommand(program); // mcp (issue 7)
  registerRouterCommand(program);
  return program;
}

/**
 * Runs the CLI with `argv` (as in `process.argv`). Errors become one readable message on stderr and
 * exit code 1 (2 for usage errors); stack traces only with LOCALROUTER_DEBUG=1.
 */
export async function main(argv: readonly string[]): Promise<void> {
  let serving = false;
  try {
    const program = buildProgram();
    program.hook('preAction', (_root, action) => { serving = action.name() === 'serve'; });
    await program.parseAsync([...argv]);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
    serving = false;
  }
  // One-shot commands must not linger on a handle some library left open (a keep-alive socket,
  // a keychain thread); stdout and stderr still drain before this timer can fire.
  if (!serving) setTimeout(() => process.exit(), 2000).unref();
}

function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help/version text).
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
  }
  process.stderr.write(`error: ${messageOf(err)}\n`);
  if (process.env.LOCALROUTER_DEBUG === '1' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT.FAILED;
}

function messageOf(err: unknown): string {
  if (isLocalRouterError(err)) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}
