import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import { configPath, defaultConfig, loadConfig, NAME_PATTERN, resolveHome, type Config } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { openSecretStore, type SecretStore } from '../secrets/index.js';

/** What a terminal stream may also tell: whether it is one, its width, whether it shows colours. */
export interface TerminalInfo {
  isTTY?: boolean;
  columns?: number;
  hasColors?: () => boolean;
}

/**
 * Everything one run of the CLI reads from and writes to outside its files, so that a run can be
 * held in a test's own process: `main(argv, io)` with collected streams and its own environment.
 */
export interface CliIo {
  /** Piped input: an API key (`--api-key-stdin`), prompts (`router score`), the bridged MCP client. */
  readonly stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly stdout: Writable & TerminalInfo;
  readonly stderr: Writable & TerminalInfo;
  /** The environment the commands read: data dir, port, secrets backend, API key variables, debug. */
  readonly env: NodeJS.ProcessEnv;
  /** Calls `stop` on each SIGINT or SIGTERM until the returned function is called. */
  onStopSignal(stop: () => void): () => void;
}

/** The real process: its standard streams, its environment and its signals. */
export function processIo(): CliIo {
  return {
    stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env,
    onStopSignal(stop) {
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      return () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      };
    },
  };
}

/**
 * Thrown by a command that has said what went wrong itself (`config validate` listing problems)
 * and only needs the run to end with `exitCode`.
 */
export class CommandExit extends Error {
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
    this.name = 'CommandExit';
  }
}

/** The data dir: global `--home`, else `$LOCALROUTER_HOME`, else `~/.localrouter`. */
export function homeOf(cmd: Command, io: CliIo): string {
  const { home } = cmd.optsWithGlobals<{ home?: string }>();
  return home === undefined ? resolveHome(io.env) : path.resolve(home);
}

/** The config for read-only commands: a missing file reads as the defaults and is not created. */
export function readConfig(home: string): Config {
  const file = configPath(home);
  return existsSync(file) ? loadConfig(file) : defaultConfig();
}

const SECRET_BACKENDS = ['auto', 'keychain', 'file'] as const;

/**
 * The data dir's secret store, its backend chosen by this run's `LOCALROUTER_SECRETS_BACKEND` (the
 * secrets module would read the process's own environment, which an in-process run does not own).
 */
export function secretStoreOf(home: string, io: CliIo): SecretStore {
  const choice = io.env.LOCALROUTER_SECRETS_BACKEND?.trim().toLowerCase() || 'auto';
  const backend = SECRET_BACKENDS.find((b) => b === choice);
  if (backend === undefined) {
    throw new LocalRouterError('LR_ERR_SECRET_STORE',
      `LOCALROUTER_SECRETS_BACKEND must be one of ${SECRET_BACKENDS.join(', ')} (got ${JSON.stringify(choice.slice(0, 32))})`);
  }
  return openSecretStore(home, { backend });
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain left-aligned table; `empty` is printed instead when there are no rows. */
export function printTable(io: CliIo, header: readonly string[], rows: readonly (readonly string[])[], empty: string): void {
  if (rows.length === 0) {
    io.stdout.write(`${empty}\n`);
    return;
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  io.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
}

/**
 * Whether `stream` shows colours, by the conventions commander itself follows (NO_COLOR,
 * FORCE_COLOR, CLICOLOR_FORCE), read from this run's environment instead of the process's.
 */
export function showsColors(stream: TerminalInfo, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR || env.FORCE_COLOR === '0' || env.FORCE_COLOR === 'false') return false;
  if (env.FORCE_COLOR || env.CLICOLOR_FORCE !== undefined) return true;
  return stream.isTTY === true && stream.hasColors?.() === true;
}

/** Argument parser for provider and client names (same rule as the config schema). */
export function parseName(value: string): string {
  if (!NAME_PATTERN.test(value)) {
    throw new InvalidArgumentError('names are 1-64 chars of a-z, 0-9, ".", "_", "-", starting with a letter or digit.');
  }
  return value;
}

/** Argument parser for TCP ports. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new InvalidArgumentError('must be a port number from 0 to 65535.');
  return port;
}
