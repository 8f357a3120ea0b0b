import type { ClientConfig, Config, LimitConfig, StrategyConfig } from '../config/index.js';
import { compileAccessRules } from './access-rules.js';

/** A client's effective policy: its strategy's rules and limits, plus its own. */
export interface ClientPolicy {
  strategy: string;
  mayUse(modelId: string): boolean;
  /** Every limit that applies to this client (the strategy's, then its own), each counted per client. */
  limits: LimitConfig[];
  auto: StrategyConfig['auto'];
}

const IMPLICIT_DEFAULT: StrategyConfig = {
  name: 'default', allow: ['*'], deny: [], limits: [],
  auto: { models: [], strong_models: [], weak_models: [] },
};

/** Compiles the strategies once per config load (style: choose once, when the config loads). */
export class StrategyTable {
  #strategies = new Map<string, { config: StrategyConfig; mayUse: (id: string) => boolean }>();
  #default: string;

  constructor(config: Pick<Config, 'strategies' | 'default_strategy'>) {
    for (const s of [IMPLICIT_DEFAULT, ...config.strategies]) {
      this.#strategies.set(s.name, { config: s, mayUse: compileAccessRules(s.allow, s.deny) });
    }
    this.#default = config.default_strategy;
  }

  policyFor(client: ClientConfig): ClientPolicy {
    const s = this.#strategies.get(client.strategy ?? this.#default) ?? this.#strategies.get('default')!;
    const own = (client.allowed_models ?? ['*']).includes('*') ? null : compileAccessRules(client.allowed_models ?? ['*'], []);
    const strategyMayUse = s.mayUse;
    return {
      strategy: s.config.name,
      mayUse: own ? (id) => strategyMayUse(id) && own(id) : strategyMayUse,
      limits: [...s.config.limits, ...(client.limits ?? [])],
      auto: s.config.auto,
    };
  }
}
