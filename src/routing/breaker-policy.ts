import { labelSafe, type Attempt } from '../model/index.js';
import type { BreakerTransition, CircuitBreakers } from './circuit-breaker.js';
import { breakerCharge } from './failure-policy.js';

/** Breakers learn from every try the engine reports, as {@link breakerCharge} says. */
export function recordAttempt(breakers: CircuitBreakers, attempt: Attempt): void {
  const { provider, model, status, code, retryAfterMs, connectionLevel } = attempt;
  const charge = breakerCharge({ status, code, connectionLevel });
  if (charge === 'answer') breakers.success(provider, model);
  // An upstream's Retry-After is about the model that sent it; a connection failure carries none.
  else if (charge === 'model') breakers.failure(provider, model, 'model', retryAfterMs);
  else if (charge === 'provider') breakers.failure(provider, model, 'provider', 0);
  // 'none': a probe slot the try held is handed back by the request when it ends.
}

/** The least of a logger that breaker transitions need (pino's fits). */
export interface WarnLogger {
  warn(obj: object, msg: string): void;
}

const MESSAGES: Record<BreakerTransition['to'], string> = {
  open: 'circuit breaker opened',
  half_open: 'circuit breaker half-open: one probe let through',
  closed: 'circuit breaker closed',
};

/** Logs every breaker transition at warn, with provider and model (bounded labels). */
export function logBreakerTransitions(log: WarnLogger): (t: BreakerTransition) => void {
  return (t) => {
    const fields: Record<string, unknown> = { provider: labelSafe(t.provider), model: t.model === null ? null : labelSafe(t.model), from: t.from, to: t.to, failures: t.failures };
    if (t.to === 'open') {
      fields.open_for_ms = t.openForMs;
      if (t.retryAfterMs > 0) fields.retry_after_ms = t.retryAfterMs;
    }
    log.warn(fields, t.model === null ? `${MESSAGES[t.to]} for the provider (connection failures)` : MESSAGES[t.to]);
  };
}

/** An upstream's Retry-After as the gateway passes it on: at most `maxMs`, in whole seconds, at least 1. */
export function retryAfterSeconds(ms: number, maxMs: number): string {
  return String(Math.max(1, Math.ceil(Math.min(ms, maxMs) / 1000)));
}
