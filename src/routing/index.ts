/**
 * @module routing
 * Where a request goes and whether it may: model resolution, strategies (allow/deny rules, limits,
 * the `auto` lists), the rate limiter, and the circuit breakers per (provider, model) with their policy.
 */
export { resolveModel, type ResolvedModel, type ModelLookup } from './resolve-model.js';
export { compileAccessRules } from './access-rules.js';
export { StrategyTable, type ClientPolicy } from './strategy-table.js';
export { RateLimiter, type Admission, type Consumption, type LimitState } from './rate-limiter.js';
export { LimitStore } from './limit-store.js';
export {
  CircuitBreakers, type BreakerEntry, type BreakerState, type BreakerTransition, type CircuitBreakerOptions, type FailureScope, type ProbeClaim,
} from './circuit-breaker.js';
export { judgeAttempt, logBreakerTransitions, recordAttempt, retryAfterSeconds, type AttemptVerdict, type WarnLogger } from './breaker-policy.js';
