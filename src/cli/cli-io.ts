import path from 'node:path';
import { existsSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { configPath, defaultConfig, loadConfig, NAME_PATTERN, resolveHome, type Config } from '../config/index.js';

/** The data dir: global `--home`, else `$LOCALROUTER_HOME`, else `~/.localrouter`. */
export function homeOf(cmd: Command): string {
  const { home } = cmd.optsWithGlobals<{ home?: string }>();
  return home === undefined ? resolveHome() : path.resolve(home);
}

/** The config for read-only commands: a missing file reads as the defaults and is not created. */
export function readConfig(home: string): Config {
  const file = configPath(home);
  return existsSync(file) ? loadConfig(file) : defaultConfig();
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain left-aligned table; `empty` is printed instead when there are no rows. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[], empty: string): void {
  if (rows.length === 0) {
    process.stdout.write(`${empty}\n`);
    return;
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  process.stdout.write(`${[line(header), ...rows.map(line)].join('\n')}\n`);
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
