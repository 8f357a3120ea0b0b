import type { ErrorCode } from '../errors/index.js';
import { labelSafe, type Attempt } from '../model/index.js';
import type { BreakerTransition, CircuitBreakers, FailureScope } from './circuit-breaker.js';

/** How one try against an upstream bears on the breakers. */
export type AttemptVerdict =
  /** The upstream answered (a success, or a 4xx about the request itself): its breakers close. */
  | { kind: 'answer' }
  /** A failure that says the upstream is unwell, against the provider or against (provider, model). */
  | { kind: 'failure'; scope: FailureScope; retryAfterMs: number }
  /** The try never reached the upstream (untranslatable request, crash): nothing learned. */
  | { kind: 'none' };

/** Failures that count even without an upstream status (timeouts, broken answers, dropped connections). */
const COUNTED: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'LR_ERR_UPSTREAM_UNREACHABLE', 'LR_ERR_UPSTREAM_TIMEOUT', 'LR_ERR_UPSTREAM_STATUS', 'LR_ERR_UPSTREAM_BAD_RESPONSE',
]);

/**
 * The breaker policy. Connection-level failures (refused, reset or DNS failure before any answer,
 * connect timeout) are provider-wide: they open the provider's breaker. Everything an upstream
 * answered is about one model: 429, 408 and 5xx, first-byte, idle and total timeouts, and answers
 * that cannot be used count against (provider, model), and a Retry-After they carry applies to that
 * model only. Other 4xx (400, 401, 403, 404...) are answers: they are passed to the client as they
 * are, and an auth failure is not counted, so the client keeps seeing its real cause rather than a
 * 503 from an open breaker.
 */
export function judgeAttempt(status: number, code: ErrorCode | null, connectionLevel: boolean, retryAfterMs: number): AttemptVerdict {
  if (code === null) return { kind: 'answer' };
  if (connectionLevel) return { kind: 'failure', scope: 'provider', retryAfterMs: 0 };
  if (status === 429 || status === 408 || status >= 500) return { kind: 'failure', scope: 'model', retryAfterMs };
  if (status >= 400) return { kind: 'answer' };
  if (COUNTED.has(code)) return { kind: 'failure', scope: 'model', retryAfterMs };
  return { kind: 'none' };
}

/** Breakers learn from every try the engine reports. */
export function recordAttempt(breakers: CircuitBreakers, attempt: Attempt): void {
  const { provider, model } = attempt;
  const verdict = judgeAttempt(attempt.status, attempt.code, attempt.connectionLevel, attempt.retryAfterMs);
  if (verdict.kind === 'answer') breakers.success(provider, model);
  else if (verdict.kind === 'failure') breakers.failure(provider, model, verdict.scope, verdict.retryAfterMs);
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
