import { Command, CommanderError } from 'commander';
import { packageVersion } from '../config/index.js';
import { isLocalRouterError } from '../errors/index.js';
import { CommandExit, processIo, showsColors, type CliIo, type TerminalInfo } from './cli-io.js';
import { registerClientsCommand } from './clients-command.js';
import { registerRouterCommand } from './router-command.js';
import { registerConfigCommand } from './config-command.js';
import { registerProvidersCommand } from './providers-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerLogsCommand } from './logs-command.js';
import { registerStatsCommand } from './stats-command.js';
import { registerStrategiesCommand } from './strategies-command.js';
import { registerMcpCommand } from './mcp-command.js';
import { registerSkillsCommand } from './skills-command.js';
import { registerApprovalsCommand } from './approvals-command.js';
import { registerGuideCommands } from './guide-commands.js';

/** Exit codes: 0 ok, 1 the command failed, 2 the command line was wrong. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

const VERSION = packageVersion();

/** Builds the `localrouter` command tree, writing and reading through `io`. */
export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command('localrouter')
    .description('Local, privacy-first LLM gateway: one OpenAI-compatible endpoint on localhost')
    .version(VERSION, '-V, --version')
    .option('--home <dir>', 'data directory (default: $LOCALROUTER_HOME, else ~/.localrouter)')
    // Set before adding commands: subcommands inherit these settings.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      getOutHelpWidth: () => helpWidth(io.stdout),
      getErrHelpWidth: () => helpWidth(io.stderr),
      getOutHasColors: () => showsColors(io.stdout, io.env),
      getErrHasColors: () => showsColors(io.stderr, io.env),
    })
    .showHelpAfterError('(run with --help for usage)');
  registerServeCommand(program, io);
  registerProvidersCommand(program, io);
  registerClientsCommand(program, io);
  registerStrategiesCommand(program, io);
  registerConfigCommand(program, io);
  registerStatsCommand(program, io);
  registerLogsCommand(program, io);
  registerMcpCommand(program, io);
  registerRouterCommand(program, io);
  registerSkillsCommand(program, io);
  registerApprovalsCommand(program, io);
  registerGuideCommands(program, io);
  return program;
}

/**
 * Runs the CLI with `argv` (as in `process.argv`) and resolves with its exit code once the command
 * is done (`serve`: once its gateway has closed). Errors become one readable message on stderr and
 * exit code 1 (2 for usage errors); stack traces only with LOCALROUTER_DEBUG=1. Never exits the
 * process itself: `bin/localrouter` does that with the code.
 */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv]);
    return EXIT.OK;
  } catch (err) {
    return exitCodeFor(err, io);
  }
}

/** A terminal's width; commander's own 80 columns for anything else. */
function helpWidth(stream: TerminalInfo): number {
  return (stream.isTTY ? stream.columns : undefined) ?? 80;
}

function exitCodeFor(err: unknown, io: CliIo): number {
  if (err instanceof CommandExit) return err.exitCode;
  if (err instanceof CommanderError) {
    // commander has already printed its message (or the help/version text).
    return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
  }
  io.stderr.write(`error: ${messageOf(err)}\n`);
  if (io.env.LOCALROUTER_DEBUG === '1' && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return EXIT.FAILED;
}

function messageOf(err: unknown): string {
  if (isLocalRouterError(err)) return err.message;
  if (err instanceof Error) return err.message.split('\n')[0];
  return String(err);
}
