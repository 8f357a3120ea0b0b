import { InvalidArgumentError, type Command } from 'commander';
import { configPath, updateConfig, type PriceOverride } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { homeOf, printJson, printTable, readConfig, type CliIo } from './cli-io.js';

interface SetOptions {
  input: number;
  output: number;
  cachedInput?: number;
  cacheWrite?: number;
  reasoning?: number;
  json?: boolean;
}

/**
 * `localrouter prices list|set|remove`: the config's `price_overrides`, USD per million tokens for one
 * `provider/model`, replacing the bundled catalog's price (or giving one where it has none).
 */
export function registerPricesCommand(program: Command, io: CliIo): void {
  const prices = program.command('prices').description('override model prices (USD per million tokens) used for cost and cost limits');

  prices.command('list').description('list the price overrides')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const overrides = readConfig(homeOf(cmd, io)).price_overrides;
      if (opts.json) return printJson(io, overrides);
      printTable(io, ['MODEL', 'INPUT', 'OUTPUT', 'CACHED INPUT', 'CACHE WRITE', 'REASONING'], Object.entries(overrides).map(([model, p]) => [
        model, String(p.input_per_mtok), String(p.output_per_mtok), optional(p.cached_input_per_mtok), optional(p.cache_write_per_mtok),
        optional(p.reasoning_per_mtok),
      ]), 'no price overrides (set one with: localrouter prices set <provider/model> --input 0.15 --output 0.6)');
    });

  prices.command('set').description('set the price of one provider/model (replaces its override)')
    .argument('<model>', 'provider/model, the provider as configured (e.g. openai/gpt-4o-mini)', parseModel)
    .requiredOption('--input <usd>', 'USD per million input tokens', parseUsd)
    .requiredOption('--output <usd>', 'USD per million output tokens', parseUsd)
    .option('--cached-input <usd>', 'USD per million input tokens read from the prompt cache', parseUsd)
    .option('--cache-write <usd>', 'USD per million input tokens written to the prompt cache', parseUsd)
    .option('--reasoning <usd>', 'USD per million reasoning tokens (default: the output price)', parseUsd)
    .option('--json', 'print JSON')
    .action((model: string, opts: SetOptions, cmd: Command) => {
      const price: PriceOverride = {
        input_per_mtok: opts.input, output_per_mtok: opts.output,
        ...(opts.cachedInput === undefined ? {} : { cached_input_per_mtok: opts.cachedInput }),
        ...(opts.cacheWrite === undefined ? {} : { cache_write_per_mtok: opts.cacheWrite }),
        ...(opts.reasoning === undefined ? {} : { reasoning_per_mtok: opts.reasoning }),
      };
      updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        const provider = model.slice(0, model.indexOf('/'));
        if (!cfg.providers.some((p) => p.name === provider)) {
          throw new LocalRouterError('LR_ERR_NOT_FOUND', `no provider named "${provider}" (see: localrouter providers list)`);
        }
        cfg.price_overrides[model] = price;
      });
      if (opts.json) return printJson(io, { [model]: price });
      io.stdout.write(`price of ${model}: ${opts.input} USD per million input tokens, ${opts.output} per million output tokens\n`);
    });

  prices.command('remove').description('remove a price override (the bundled catalog\'s price applies again)')
    .argument('<model>', 'provider/model')
    .option('--json', 'print JSON')
    .action((model: string, opts: { json?: boolean }, cmd: Command) => {
      updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        if (!(model in cfg.price_overrides)) throw new LocalRouterError('LR_ERR_NOT_FOUND', `no price override for "${model}"`);
        delete cfg.price_overrides[model];
      });
      if (opts.json) return printJson(io, { removed: model });
      io.stdout.write(`removed the price override of ${model}\n`);
    });
}

function optional(n: number | undefined): string {
  return n === undefined ? '-' : String(n);
}

function parseModel(value: string): string {
  if (!/^[a-z0-9][a-z0-9._-]{0,63}\/\S{1,256}$/.test(value)) throw new InvalidArgumentError('expected <provider>/<model>, e.g. openai/gpt-4o-mini.');
  return value;
}

function parseUsd(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n)) throw new InvalidArgumentError('must be a USD amount such as 0.15 (0 for free).');
  return n;
}
