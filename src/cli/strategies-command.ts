import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { configPath, installRoot, McpAccessSchema, updateConfig, type Config, type LimitConfig, type StrategyConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';
import { homeOf, parseName, printJson, printTable, readConfig, type CliIo } from './cli-io.js';
import {
  allStrategies, collectLimit, collectPatterns, formatLimit, formatList, IMPLICIT_DEFAULT, implicitDefault, requireStrategy,
  strategyOf,
} from './policy-options.js';

interface StrategyOptions {
  allow?: string[];
  deny?: string[];
  limit?: LimitConfig[];
  autoModels?: string[];
  strongModels?: string[];
  weakModels?: string[];
  classifier?: string;
  threshold?: number;
  strongShare?: number;
  clearAutoSplit?: boolean;
  clearDeny?: boolean;
  clearLimits?: boolean;
  clearAutoModels?: boolean;
  toolLimit?: ToolLimit[];
  clearToolLimits?: boolean;
  toolShape?: Record<string, unknown>;
  clearToolShapes?: boolean;
  skills?: string[];
  denySkills?: string[];
  clearSkills?: boolean;
  json?: boolean;
}

type ToolLimit = NonNullable<StrategyConfig['mcp']>['tool_limits'][number];

/** `--tool-shape TOOL=JSON`: the tool as clients would see it, and its shaping (`name`, `title`, `description`, `fixed_arguments`); the config check validates the fields. */
function collectToolShape(value: string, previous: Record<string, unknown> | undefined): Record<string, unknown> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('expected TOOL=JSON, e.g. every__echo=\'{"name":"say","fixed_arguments":{"a":40}}\'.');
  let shape: unknown;
  try {
    shape = JSON.parse(value.slice(eq + 1));
  } catch {
    throw new InvalidArgumentError('the shaping after "=" must be a JSON object: {"name", "title", "description", "fixed_arguments"}.');
  }
  if (typeof shape !== 'object' || shape === null || Array.isArray(shape)) throw new InvalidArgumentError('the shaping after "=" must be a JSON object.');
  return { ...previous, [value.slice(0, eq)]: { fixed_arguments: {}, ...shape } };
}

/** `--tool-limit TOOL:WINDOW:MAX` (the tool pattern may itself hold colons: the last two fields are the window and the max). */
function collectToolLimit(value: string, previous: ToolLimit[] | undefined): ToolLimit[] {
  const parts = value.split(':');
  const maxText = parts.pop();
  const window = parts.pop();
  const tool = parts.join(':');
  if (tool === '' || window === undefined || maxText === undefined) throw new InvalidArgumentError('expected TOOL:WINDOW:MAX, e.g. github__create_issue:hour:10.');
  if (window !== 'minute' && window !== 'hour' && window !== 'day') throw new InvalidArgumentError('WINDOW must be one of: minute, hour, day.');
  const max = Number(maxText);
  if (!/^\d+$/.test(maxText) || max <= 0) throw new InvalidArgumentError('MAX must be a whole number above 0.');
  return [...(previous ?? []), { tool, window, max }];
}

const LIMIT_HELP = 'rate limit per client, KIND:WINDOW:MAX (repeatable); KIND: requests, input_tokens, output_tokens, '
  + 'total_tokens or cost (USD); WINDOW: minute, hour or day';

const UPDATE_HELP = `
Each option given replaces that whole list; lists not mentioned are kept:
  --allow    replaces the allow list      --deny   replaces the deny list  (--clear-deny empties it)
  --limit    replaces the limits          (--clear-limits removes them all)
  --auto-models replaces the auto list    (--clear-auto-models empties it)
  --strong-models / --weak-models replace a side of the auto split; --classifier, --threshold and
             --strong-share set how it chooses          (--clear-auto-split removes the split)
  --tool-limit replaces the MCP per-tool limits (--clear-tool-limits removes them)
  --tool-shape replaces the MCP tool shaping    (--clear-tool-shapes removes it)
  --skills / --deny-skills replace which skills its clients may run (--clear-skills: every skill again)
Updating the implicit "default" strategy writes it to the config first (allow "*"), then applies the change.

Example: localrouter strategies update cheap --allow 'ollama/*' --limit requests:minute:30`;

export function registerStrategiesCommand(program: Command, io: CliIo): void {
  const strategies = program.command('strategies')
    .description('manage strategies: which models clients may use (allow/deny patterns), their rate limits and auto list');

  withPolicyOptions(strategies.command('create').description('create a strategy')
    .argument('<name>', 'strategy name', parseName))
    .addHelpText('after', '\nWithout --allow the strategy allows every model ("*"). The most specific matching pattern wins; deny wins ties.')
    .action((name: string, opts: StrategyOptions, cmd: Command) => {
      const saved = updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        if (cfg.strategies.some((s) => s.name === name)) {
          throw new LocalRouterError('LR_ERR_BAD_REQUEST', `a strategy named "${name}" already exists`);
        }
        const strategy = implicitDefault();
        strategy.name = name;
        cfg.strategies.push(applyOptions(strategy, opts));
      });
      report(io, saved, name, opts.json, 'created');
    });

  strategies.command('list').description('list strategies (the implicit "default" one too) and how many clients use each')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }, cmd: Command) => {
      const cfg = readConfig(homeOf(cmd, io));
      const views = allStrategies(cfg).map(({ strategy }) => view(cfg, strategy.name));
      if (opts.json) return printJson(io, views);
      printTable(io, ['NAME', 'DEFAULT', 'ALLOW', 'DENY', 'LIMITS', 'CLIENTS'], views.map((v) => [
        v.implicit ? `${v.name} (implicit)` : v.name, v.is_default ? 'yes' : '', formatList(v.allow), formatList(v.deny),
        formatList(v.limits.map(formatLimit)), String(v.clients.length),
      ]), 'no strategies');
    });

  strategies.command('show').description('show one strategy and the clients that follow it')
    .argument('<name>', 'strategy name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      const cfg = readConfig(homeOf(cmd, io));
      requireStrategy(cfg, name);
      const v = view(cfg, name);
      if (opts.json) return printJson(io, v);
      const rows: [string, string][] = [
        ['name', v.implicit ? `${v.name} (implicit: not written in the config)` : v.name],
        ['default', v.is_default ? 'yes (clients without a strategy follow it)' : 'no'],
        ['allow', formatList(v.allow)], ['deny', formatList(v.deny)],
        ['limits', formatList(v.limits.map(formatLimit))],
        ...(v.tool_limits === undefined ? [] : [['tool limits', formatList(v.tool_limits.map((l) => `${l.tool}:${l.window}:${l.max}`))] as [string, string]]),
        ...(v.skills === undefined ? [] : [['skills', formatList(v.skills)] as [string, string]]),
        ...(v.deny_skills === undefined ? [] : [['deny skills', formatList(v.deny_skills)] as [string, string]]),
        ['auto models', formatList(v.auto.models)],
        ...autoSplitRows(v.auto),
        ['clients', formatList(v.clients)],
      ];
      io.stdout.write(rows.map(([k, val]) => `${`${k}:`.padEnd(13)}${val}\n`).join(''));
    });

  withPolicyOptions(strategies.command('update').description('change a strategy\'s rules, limits or auto list')
    .argument('<name>', 'strategy name'), true)
    .addHelpText('after', UPDATE_HELP)
    .action((name: string, opts: StrategyOptions, cmd: Command) => {
      const changes = [opts.allow, opts.deny, opts.limit, opts.autoModels, opts.strongModels, opts.weakModels, opts.classifier,
        opts.threshold, opts.strongShare, opts.clearAutoSplit, opts.clearDeny, opts.clearLimits, opts.clearAutoModels, opts.toolLimit, opts.clearToolLimits, opts.toolShape, opts.clearToolShapes,
        opts.skills, opts.denySkills, opts.clearSkills];
      if (changes.every((c) => c === undefined)) {
        cmd.error('error: nothing to update: give --allow, --deny, --limit, --auto-models, --strong-models, --weak-models, '
          + '--classifier, --threshold, --strong-share, --tool-limit, --tool-shape, --skills, --deny-skills or a --clear-* option', { exitCode: 2 });
      }
      const saved = updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        let strategy = cfg.strategies.find((s) => s.name === name);
        if (strategy === undefined && name === IMPLICIT_DEFAULT) cfg.strategies.unshift(strategy = implicitDefault());
        if (strategy === undefined) requireStrategy(cfg, name);
        applyOptions(strategy!, opts);
      });
      report(io, saved, name, opts.json, 'updated');
    });

  strategies.command('remove').description('delete a strategy no client uses and that is not the default')
    .argument('<name>', 'strategy name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        const index = cfg.strategies.findIndex((s) => s.name === name);
        if (index < 0 && name === IMPLICIT_DEFAULT) {
          throw new LocalRouterError('LR_ERR_BAD_REQUEST', 'the implicit "default" strategy is built in and cannot be removed');
        }
        if (index < 0) requireStrategy(cfg, name);
        if (cfg.default_strategy === name) {
          throw new LocalRouterError('LR_ERR_BAD_REQUEST', `strategy "${name}" is the default strategy; `
            + 'make another one the default first (localrouter strategies default <name>)');
        }
        const users = cfg.clients.filter((c) => c.strategy === name).map((c) => c.name);
        if (users.length > 0) {
          throw new LocalRouterError('LR_ERR_BAD_REQUEST', `strategy "${name}" is used by client(s) ${users.join(', ')}; `
            + 'move them first (localrouter clients update <client> --strategy <other>)');
        }
        cfg.strategies.splice(index, 1);
      });
      if (opts.json) return printJson(io, { removed: name });
      io.stdout.write(`removed strategy "${name}"\n`);
    });

  strategies.command('default').description('make a strategy the default: clients without their own strategy follow it')
    .argument('<name>', 'strategy name')
    .option('--json', 'print JSON')
    .action((name: string, opts: { json?: boolean }, cmd: Command) => {
      updateConfig(configPath(homeOf(cmd, io)), (cfg) => {
        requireStrategy(cfg, name);
        cfg.default_strategy = name;
      });
      if (opts.json) return printJson(io, { default_strategy: name });
      io.stdout.write(`default strategy is now "${name}"\n`);
    });
}

function withPolicyOptions(cmd: Command, update = false): Command {
  cmd.option('--allow <patterns>', 'allowed model patterns, comma-separated or repeated: "*", "ollama/*", "groq/llama-3.1-8b-instant"', collectPatterns)
    .addOption(new Option('--deny <patterns>', 'denied model patterns (same form as --allow)').argParser(collectPatterns))
    .addOption(new Option('--limit <kind:window:max>', LIMIT_HELP).argParser(collectLimit))
    .addOption(new Option('--auto-models <models>', 'what localrouter/auto tries, in order: comma-separated provider/model ids')
      .argParser(collectPatterns))
    .addOption(new Option('--strong-models <models>', 'localrouter/auto split: the strong side, in order (comma-separated provider/model ids)')
      .argParser(collectPatterns))
    .addOption(new Option('--weak-models <models>', 'localrouter/auto split: the weak side, in order').argParser(collectPatterns))
    .addOption(new Option('--classifier <name>', 'classifier that picks the side (models/router-<name>.bin; the bundled one is hashlr)')
      .argParser(parseClassifier))
    .addOption(new Option('--threshold <p>', 'send a prompt to the strong side when the classifier\'s P(strong wins) >= p (0..1)')
      .argParser(parseUnit).conflicts('strongShare'))
    .addOption(new Option('--strong-share <x>', 'or: the share of prompts for the strong side (0..1), calibrated from the model card')
      .argParser(parseUnit))
    .addOption(new Option('--tool-limit <tool:window:max>', 'MCP calls of a tool per client, TOOL:WINDOW:MAX (repeatable); TOOL is the name clients '
      + 'call (`<server>__<tool>`, `*` wildcards; the tools one entry matches share its budget); WINDOW: minute, hour or day').argParser(collectToolLimit))
    .addOption(new Option('--tool-shape <tool=json>', 'how clients see an MCP tool, TOOL=JSON (repeatable): TOOL is its name as clients would see it; '
      + 'JSON has "name", "title", "description" and "fixed_arguments" (values set on every call, hidden from clients)').argParser(collectToolShape))
    .addOption(new Option('--skills <patterns>', 'skills its clients may run over /mcp (skill names, comma-separated or repeated, `*` wildcards)').argParser(collectPatterns))
    .addOption(new Option('--deny-skills <patterns>', 'skills its clients may not run (same form as --skills)').argParser(collectPatterns));
  if (update) {
    cmd.addOption(new Option('--clear-deny', 'empty the deny list').conflicts('deny'))
      .addOption(new Option('--clear-limits', 'remove every limit').conflicts('limit'))
      .addOption(new Option('--clear-auto-models', 'empty the auto list').conflicts('autoModels'))
      .addOption(new Option('--clear-auto-split', 'remove the strong/weak split (strong and weak lists, classifier, threshold, share)')
        .conflicts(['strongModels', 'weakModels', 'classifier', 'threshold', 'strongShare']))
      .addOption(new Option('--clear-tool-limits', 'remove every MCP per-tool limit').conflicts('toolLimit'))
      .addOption(new Option('--clear-tool-shapes', 'remove every MCP tool shaping').conflicts('toolShape'))
      .addOption(new Option('--clear-skills', 'let its clients run every skill again').conflicts(['skills', 'denySkills']));
  }
  return cmd.option('--json', 'print JSON');
}

function applyOptions(s: StrategyConfig, opts: StrategyOptions): StrategyConfig {
  if (opts.allow !== undefined) s.allow = opts.allow;
  if (opts.deny !== undefined || opts.clearDeny) s.deny = opts.deny ?? [];
  if (opts.limit !== undefined || opts.clearLimits) s.limits = opts.limit ?? [];
  if (opts.autoModels !== undefined || opts.clearAutoModels) s.auto.models = opts.autoModels ?? [];
  applyAutoSplit(s, opts);
  const touchesMcp = opts.toolLimit !== undefined || opts.clearToolLimits || opts.toolShape !== undefined || opts.clearToolShapes
    || opts.skills !== undefined || opts.denySkills !== undefined || opts.clearSkills;
  if (touchesMcp) {
    // A strategy without MCP rules gets the schema's defaults (every server) before the change.
    const mcp = (s.mcp ??= McpAccessSchema.parse({}));
    if (opts.toolLimit !== undefined || opts.clearToolLimits) mcp.tool_limits = opts.toolLimit ?? [];
    if (opts.toolShape !== undefined || opts.clearToolShapes) mcp.tools = (opts.toolShape ?? {}) as typeof mcp.tools;
    if (opts.clearSkills) {
      delete mcp.skills;
      delete mcp.deny_skills;
    }
    if (opts.skills !== undefined) mcp.skills = opts.skills;
    if (opts.denySkills !== undefined) mcp.deny_skills = opts.denySkills;
  }
  return s;
}

/** The strong/weak split of `localrouter/auto`: lists, classifier, and a threshold or a share (one replaces the other). */
function applyAutoSplit(s: StrategyConfig, opts: StrategyOptions): void {
  if (opts.clearAutoSplit) {
    s.auto = { models: s.auto.models, strong_models: [], weak_models: [] };
    return;
  }
  if (opts.strongModels !== undefined) s.auto.strong_models = opts.strongModels;
  if (opts.weakModels !== undefined) s.auto.weak_models = opts.weakModels;
  if (opts.classifier !== undefined) s.auto.classifier = opts.classifier;
  if (opts.threshold !== undefined) {
    s.auto.threshold = opts.threshold;
    delete s.auto.strong_share;
  }
  if (opts.strongShare !== undefined) {
    s.auto.strong_share = opts.strongShare;
    delete s.auto.threshold;
  }
  const split = s.auto.strong_models.length > 0 || s.auto.weak_models.length > 0;
  if ((s.auto.classifier !== undefined || s.auto.threshold !== undefined || s.auto.strong_share !== undefined) && !split) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `strategy "${s.name}": a classifier, threshold or share needs `
      + '--strong-models and --weak-models to choose between');
  }
  if (split && (s.auto.strong_models.length === 0 || s.auto.weak_models.length === 0)) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `strategy "${s.name}": the auto split needs both --strong-models and --weak-models`);
  }
  if (split) s.auto.classifier ??= 'hashlr';
}

/** `show` lines for the split, only when there is one. */
function autoSplitRows(auto: StrategyConfig['auto']): [string, string][] {
  if (auto.strong_models.length === 0 && auto.weak_models.length === 0) return [];
  const rule = auto.threshold !== undefined ? `threshold ${auto.threshold}` : auto.strong_share !== undefined ? `strong share ${auto.strong_share}` : 'default threshold';
  return [['auto strong', formatList(auto.strong_models)], ['auto weak', formatList(auto.weak_models)],
    ['classifier', `${auto.classifier ?? 'hashlr'} (${rule})`]];
}

function parseUnit(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a number from 0 to 1.');
  return n;
}

/** A classifier name whose model file ships in `models/` (listed when the name is not one of them). */
function parseClassifier(value: string): string {
  const dir = path.join(installRoot(), 'models');
  if (/^[a-z0-9][a-z0-9._-]{0,63}$/.test(value) && existsSync(path.join(dir, `router-${value}.bin`))) return value;
  const known = readdirSync(dir).map((f) => /^router-(.+)\.bin$/.exec(f)?.[1]).filter((n) => n !== undefined);
  throw new InvalidArgumentError(`no classifier "${value}" in ${dir}; available: ${known.join(', ') || 'none'}.`);
}

/** A strategy as listed: its rules, whether it is the built-in or the default one, and who follows it. */
function view(cfg: Config, name: string) {
  const { strategy, implicit } = allStrategies(cfg).find((s) => s.strategy.name === name)!;
  return {
    name, implicit, is_default: cfg.default_strategy === name,
    allow: strategy.allow, deny: strategy.deny, limits: strategy.limits, auto: strategy.auto,
    // Shown only when set: most strategies have no MCP tool limits.
    ...(strategy.mcp?.tool_limits.length ? { tool_limits: strategy.mcp.tool_limits } : {}),
    ...(strategy.mcp !== undefined && Object.keys(strategy.mcp.tools).length > 0 ? { tool_shapes: strategy.mcp.tools } : {}),
    ...(strategy.mcp?.skills !== undefined ? { skills: strategy.mcp.skills } : {}),
    ...(strategy.mcp?.deny_skills !== undefined ? { deny_skills: strategy.mcp.deny_skills } : {}),
    clients: cfg.clients.filter((c) => strategyOf(cfg, c) === name).map((c) => c.name),
  };
}

function report(io: CliIo, saved: Config, name: string, json: boolean | undefined, verb: string): void {
  const v = view(saved, name);
  if (json) return printJson(io, v);
  io.stdout.write(`${verb} strategy "${name}": allow ${formatList(v.allow)}; deny ${formatList(v.deny)}; `
    + `limits ${formatList(v.limits.map(formatLimit))}\n`);
}
