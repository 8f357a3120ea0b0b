/**
 * @module cli
 * The `localrouter` command: `serve`, `providers` (with `detect`), `clients`, `strategies`, `config`
 * and more, with `--json` on every listing command, one-line errors (exit 1) and usage errors (exit 2).
 */
export { main } from './main.js';
