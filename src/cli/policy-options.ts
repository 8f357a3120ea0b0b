import { InvalidArgumentError } from 'commander';
import type { ClientConfig, Config, LimitConfig, StrategyConfig } from '../config/index.js';
import { LocalRouterError } from '../errors/index.js';

export const LIMIT_KINDS = ['requests', 'input_tokens', 'output_tokens', 'total_tokens', 'cost'] as const;
export const LIMIT_WINDOWS = ['minute', 'hour', 'day'] as const;

/** The name of the strategy that exists without being written in the config (allow everything). */
export const IMPLICIT_DEFAULT = 'default';

/** `--limit KIND:WINDOW:MAX` (repeatable); the same kind and window twice is a usage error. */
export function collectLimit(value: string, previous: LimitConfig[] | undefined): LimitConfig[] {
  const [kind, window, maxText, ...rest] = value.split(':');
  if (rest.length > 0 || maxText === undefined) throw new InvalidArgumentError('expected KIND:WINDOW:MAX, e.g. requests:minute:60.');
  if (!(LIMIT_KINDS as readonly string[]).includes(kind)) {
    throw new InvalidArgumentError(`KIND must be one of: ${LIMIT_KINDS.join(', ')}.`);
  }
  if (!(LIMIT_WINDOWS as readonly string[]).includes(window)) {
    throw new InvalidArgumentError(`WINDOW must be one of: ${LIMIT_WINDOWS.join(', ')}.`);
  }
  const max = Number(maxText);
  const whole = kind !== 'cost';
  if (!/^\d+(\.\d+)?$/.test(maxText) || !(max > 0) || (whole && !Number.isInteger(max))) {
    throw new InvalidArgumentError(whole ? 'MAX must be a whole number above 0.' : 'MAX must be a USD amount above 0, e.g. 2.50.');
  }
  const limit = { kind, window, max } as LimitConfig;
  if (previous?.some((l) => l.kind === limit.kind && l.window === limit.window)) {
    throw new InvalidArgumentError(`${kind} per ${window} is given twice.`);
  }
  return [...(previous ?? []), limit];
}

/** Model patterns, repeatable and/or comma-separated: `--allow 'ollama/*' --allow groq/llama-3,groq/gemma`. */
export function collectPatterns(value: string, previous: string[] | undefined): string[] {
  const items = value.split(',').map((s) => s.trim());
  if (items.some((s) => s.length === 0 || s.length > 300 || /\s/.test(s))) {
    throw new InvalidArgumentError('expected model patterns such as "*", "ollama/*" or "groq/llama-3.1-8b-instant", separated by commas.');
  }
  return [...(previous ?? []), ...items];
}

/** `requests:minute:60`, the same form `--limit` takes. */
export function formatLimit(l: LimitConfig): string {
  return `${l.kind}:${l.window}:${l.max}`;
}

export function formatList(items: readonly string[]): string {
  return items.length === 0 ? '-' : items.join(', ');
}

/** The strategies in force: the implicit `default` (allow everything) first, unless one is written. */
export function allStrategies(cfg: Config): { strategy: StrategyConfig; implicit: boolean }[] {
  const named = cfg.strategies.map((strategy) => ({ strategy, implicit: false }));
  if (cfg.strategies.some((s) => s.name === IMPLICIT_DEFAULT)) return named;
  return [{ strategy: implicitDefault(), implicit: true }, ...named];
}

export function implicitDefault(): StrategyConfig {
  return { name: IMPLICIT_DEFAULT, allow: ['*'], deny: [], limits: [], auto: { models: [], strong_models: [], weak_models: [] } };
}

/** The strategy a client follows: its own, else the config's default. */
export function strategyOf(cfg: Config, c: ClientConfig): string {
  return c.strategy ?? cfg.default_strategy;
}

/** Throws a readable error unless `name` is a strategy (written, or the implicit default). */
export function requireStrategy(cfg: Config, name: string): void {
  if (!allStrategies(cfg).some((s) => s.strategy.name === name)) {
    throw new LocalRouterError('LR_ERR_NOT_FOUND', `no strategy named "${name}" (see: localrouter strategies list)`);
  }
}
