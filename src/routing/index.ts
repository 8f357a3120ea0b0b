/**
 * @module routing
 * Where a request goes and whether it may: model resolution, strategies (allow/deny rules, limits,
 * the `auto` lists), candidate planning, auto routing by classifier score, admission against the
 * rate limiter, the failure policy (fallback and breaker charge, read from the error table), and the
 * circuit breakers per (provider, model). Decisions only: the thread owners (classifier pool, actors)
 * are passed in through small interfaces.
 */
export { resolveModel, type ResolvedModel, type ModelLookup } from './resolve-model.js';
export { compileAccessRules } from './access-rules.js';
export { StrategyTable, type ClientPolicy } from './strategy-table.js';
export { RateLimiter, type Admission, type Consumption, type LimitState } from './rate-limiter.js';
export { LimitStore } from './limit-store.js';
export { admitRequest, projectInputTokens, rateLimitHeaders, type LimitedClient } from './admit.js';
export {
  messageHasImages, noProviderAvailable, planCandidates,
  type CandidateCapabilities, type CandidatePlan, type CandidateProbe, type PlanClient, type PlanContext, type PlanRequest,
} from './plan-candidates.js';
export {
  chooseSide, lastUserText, needsClassifier, orderBySide, routeByClassifier, userMessageText,
  type AutoClient, type AutoDecision, type AutoRequest, type MessageFacts, type PromptScorers,
} from './auto-route.js';
export { breakerCharge, fallsBack, type BreakerCharge, type FailedTry } from './failure-policy.js';
export {
  CircuitBreakers, type BreakerEntry, type BreakerState, type BreakerTransition, type CircuitBreakerOptions, type FailureScope, type ProbeClaim,
} from './circuit-breaker.js';
export { logBreakerTransitions, recordAttempt, retryAfterSeconds, type WarnLogger } from './breaker-policy.js';
