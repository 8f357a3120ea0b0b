/**
 * @module routing
 * Where a request goes and whether it may: model resolution, strategies (allow/deny rules, limits,
 * the `auto` lists), the rate limiter, the failure policy (fallback and breaker charge, read from the
 * error table), and the circuit breakers per (provider, model).
 */
export { resolveModel, type ResolvedModel, type ModelLookup } from './resolve-model.js';
export { compileAccessRules } from './access-rules.js';
export { StrategyTable, type ClientPolicy } from './strategy-table.js';
export { RateLimiter, type Admission, type Consumption, type LimitState } from './rate-limiter.js';
export { LimitStore } from './limit-store.js';
export {
  CircuitBreakers, type BreakerEntry, type BreakerState, type BreakerTransition, type CircuitBreakerOptions, type FailureScope, type ProbeClaim,
} from './circuit-breaker.js';
export { breakerCharge, fallsBack, type BreakerCharge, type FailedTry } from './failure-policy.js';
export { logBreakerTransitions, recordAttempt, retryAfterSeconds, type WarnLogger } from './breaker-policy.js';
