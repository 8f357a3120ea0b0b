/**
 * @module cli
 * The `localrouter` command: `serve`, `providers` (with `detect`), `clients`, `strategies`, `config`
 * and more, with `--json` on every listing command, one-line errors (exit 1) and usage errors (exit 2).
 * `main(argv, io)` runs one command line against the given streams and environment and resolves with
 * the exit code; `bin/localrouter` runs it on the process's own (`processIo()`) and exits with it.
 */
export { buildProgram, main } from './main.js';
export { processIo, type CliIo, type TerminalInfo } from './cli-io.js';
