/**
 * @module routing
 * Where a request goes and whether it may: model resolution, strategies (allow/deny rules, limits,
 * the `auto` lists), the rate limiter and the per-provider circuit breakers.
 */
export { resolveModel, type ResolvedModel, type ModelLookup } from './resolve-model.js';
export { compileAccessRules } from './access-rules.js';
export { StrategyTable, type ClientPolicy } from './strategy-table.js';
export { RateLimiter, type Admission, type Consumption, type LimitState } from './rate-limiter.js';
export { CircuitBreakers, type BreakerState } from './circuit-breaker.js';
