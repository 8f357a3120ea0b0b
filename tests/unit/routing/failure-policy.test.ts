import { describe, expect, it } from 'vitest';
import { ERROR_CODES, LocalRouterError, type ErrorCode } from '../../../src/errors/index.js';
import { classifyError, ERROR_CLASS } from '../../../src/metrics/index.js';
import { breakerCharge, CircuitBreakers, fallsBack, recordAttempt } from '../../../src/routing/index.js';
import type { Attempt } from '../../../src/model/index.js';

type Row = { clientRetry: boolean; fallback: boolean; breaker: 'model' | 'provider' | 'none'; metricsClass: string };

/** The failure policy of every code, written out: a change to the table must change this too. */
const EXPECTED: Record<ErrorCode, Row> = {
  LR_ERR_BAD_JSON: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BAD_REQUEST: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_UNSUPPORTED_MEDIA_TYPE: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  // Another candidate may speak a protocol that can express the parameter.
  LR_ERR_UNSUPPORTED_PARAM: { clientRetry: false, fallback: true, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BODY_TOO_LARGE: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_REQUEST_TIMEOUT: { clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_UNAUTHORIZED: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_FORBIDDEN: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BAD_HOST: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_BAD_ORIGIN: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_NOT_FOUND: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  // A candidate whose provider is not configured (any more) is skipped.
  LR_ERR_MODEL_NOT_FOUND: { clientRetry: false, fallback: true, breaker: 'none', metricsClass: 'client' },
  LR_ERR_METHOD_NOT_ALLOWED: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_RATE_LIMITED: { clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_APPROVAL_DENIED: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_APPROVAL_TIMEOUT: { clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'client' },
  LR_ERR_NO_PROVIDER_AVAILABLE: { clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_UPSTREAM_STATUS: { clientRetry: false, fallback: true, breaker: 'model', metricsClass: 'upstreamStatus' },
  LR_ERR_UPSTREAM_UNREACHABLE: { clientRetry: true, fallback: true, breaker: 'model', metricsClass: 'upstreamUnreachable' },
  LR_ERR_UPSTREAM_TIMEOUT: { clientRetry: true, fallback: true, breaker: 'model', metricsClass: 'timeout' },
  LR_ERR_UPSTREAM_BAD_RESPONSE: { clientRetry: true, fallback: true, breaker: 'model', metricsClass: 'upstreamUnreachable' },
  LR_ERR_ACTOR_CRASHED: { clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_SHUTTING_DOWN: { clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_CLASSIFIER: { clientRetry: true, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_CONFIG_INVALID: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_CONFIG_IO: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_SECRET_STORE: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_ALREADY_RUNNING: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
  LR_ERR_INTERNAL: { clientRetry: false, fallback: false, breaker: 'none', metricsClass: 'internal' },
};

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];

function attempt(status: number, code: ErrorCode | null, retryAfterMs = 0, connectionLevel = false): Attempt {
  return { provider: 'p', model: 'm', status, code, durationMs: 5, retryAfterMs, connectionLevel };
}

describe('the failure-policy table (ERROR_CODES)', () => {
  it('says for every code whether it falls back, what breaker it counts against, its metrics class and whether the client may retry', () => {
    const table = Object.fromEntries(CODES.map((c) => {
      const { clientRetry, fallback, breaker, metricsClass } = ERROR_CODES[c];
      return [c, { clientRetry, fallback, breaker, metricsClass }];
    }));
    expect(table).toEqual(EXPECTED);
  });

  it('LocalRouterError.clientRetry is the code\'s', () => {
    for (const c of CODES) expect(new LocalRouterError(c, 'x').clientRetry).toBe(EXPECTED[c].clientRetry);
  });

  it('metrics class every code as the table says', () => {
    for (const c of CODES) expect(classifyError(ERROR_CODES[c].status, c), c).toBe(ERROR_CLASS[EXPECTED[c].metricsClass as keyof typeof ERROR_CLASS]);
    // Whatever status the answer had: an upstream 429 relayed as LR_ERR_UPSTREAM_STATUS is still an upstream error.
    expect(classifyError(429, 'LR_ERR_UPSTREAM_STATUS')).toBe(ERROR_CLASS.upstreamStatus);
    expect(classifyError(499, 'LR_ERR_UPSTREAM_TIMEOUT')).toBe(ERROR_CLASS.cancelled);
    expect(classifyError(400, null)).toBe(ERROR_CLASS.upstreamStatus);
    expect(classifyError(200, null)).toBe(ERROR_CLASS.none);
    expect(classifyError(502, 'NOT_OURS')).toBe(ERROR_CLASS.internal);
    expect(classifyError(404, 'NOT_OURS')).toBe(ERROR_CLASS.client);
  });
});

describe('fallsBack', () => {
  it('moves on after an upstream 429, 408 or 5xx, whatever the code', () => {
    for (const status of [429, 408, 500, 502, 503, 504, 529]) {
      expect(fallsBack({ status, code: 'LR_ERR_UPSTREAM_STATUS' }), String(status)).toBe(true);
    }
  });

  it('passes other upstream 4xx to the client: they are about the request', () => {
    for (const status of [400, 401, 403, 404, 409, 413, 422]) {
      expect(fallsBack({ status, code: 'LR_ERR_UPSTREAM_STATUS', upstreamBody: '{"error":{"message":"no"}}' }), String(status)).toBe(false);
    }
  });

  it('moves on after a 400 that says the prompt does not fit the context, and only a 400', () => {
    const bodies = [
      '{"error":{"message":"This model\'s maximum context length is 8192 tokens","code":"context_length_exceeded"}}',
      '{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}',
      '{"error":"too many tokens for the context window"}',
      // Gemini
      '{"error":{"code":400,"message":"The input token count (1290000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}',
      // Ollama
      '{"error":"the input length exceeds the context length"}',
    ];
    for (const upstreamBody of bodies) expect(fallsBack({ status: 400, code: 'LR_ERR_UPSTREAM_STATUS', upstreamBody })).toBe(true);
    expect(fallsBack({ status: 400, code: 'LR_ERR_UPSTREAM_STATUS', upstreamBody: '{"error":{"message":"temperature must be <= 2"}}' })).toBe(false);
    expect(fallsBack({ status: 400, code: 'LR_ERR_UPSTREAM_STATUS' })).toBe(false);
    expect(fallsBack({ status: 413, code: 'LR_ERR_UPSTREAM_STATUS', upstreamBody: bodies[0] })).toBe(false);
  });

  it('without an upstream status, follows the table: LR_ERR_UPSTREAM_STATUS (an error inside a 2xx answer) falls back', () => {
    for (const code of CODES) expect(fallsBack({ status: 0, code }), code).toBe(EXPECTED[code].fallback);
    expect(fallsBack({ status: 0, code: 'LR_ERR_UPSTREAM_STATUS' })).toBe(true);
    expect(fallsBack({ status: 0, code: 'LR_ERR_UNSUPPORTED_PARAM' })).toBe(true);
    expect(fallsBack({ status: 0, code: 'LR_ERR_BAD_REQUEST' })).toBe(false);
    expect(fallsBack({ status: 0, code: 'LR_ERR_INTERNAL' })).toBe(false);
  });
});

describe('breakerCharge', () => {
  it('an answer (no code) closes the breakers', () => {
    expect(breakerCharge({ status: 200, code: null, connectionLevel: false })).toBe('answer');
  });

  it('a connection-level failure counts against the provider, whatever its code', () => {
    expect(breakerCharge({ status: 0, code: 'LR_ERR_UPSTREAM_UNREACHABLE', connectionLevel: true })).toBe('provider');
    expect(breakerCharge({ status: 0, code: 'LR_ERR_UPSTREAM_TIMEOUT', connectionLevel: true })).toBe('provider');
  });

  it('LR_ERR_UPSTREAM_STATUS counts against the model breaker, with or without a status', () => {
    expect(breakerCharge({ status: 503, code: 'LR_ERR_UPSTREAM_STATUS', connectionLevel: false })).toBe('model');
    expect(breakerCharge({ status: 429, code: 'LR_ERR_UPSTREAM_STATUS', connectionLevel: false })).toBe('model');
    expect(breakerCharge({ status: 408, code: 'LR_ERR_UPSTREAM_STATUS', connectionLevel: false })).toBe('model');
    expect(breakerCharge({ status: 0, code: 'LR_ERR_UPSTREAM_STATUS', connectionLevel: false })).toBe('model');
  });

  it('other upstream 4xx are answers: an auth failure does not open a breaker', () => {
    for (const status of [400, 401, 403, 404]) {
      expect(breakerCharge({ status, code: 'LR_ERR_UPSTREAM_STATUS', connectionLevel: false }), String(status)).toBe('answer');
    }
  });

  it('without a status or a connection failure, follows the table', () => {
    for (const code of CODES) expect(breakerCharge({ status: 0, code, connectionLevel: false }), code).toBe(EXPECTED[code].breaker);
    expect(breakerCharge({ status: 0, code: 'LR_ERR_UPSTREAM_TIMEOUT', connectionLevel: false })).toBe('model');
    expect(breakerCharge({ status: 0, code: 'LR_ERR_UPSTREAM_BAD_RESPONSE', connectionLevel: false })).toBe('model');
    // A request the candidate cannot express says nothing about the upstream.
    expect(breakerCharge({ status: 0, code: 'LR_ERR_UNSUPPORTED_PARAM', connectionLevel: false })).toBe('none');
  });

  it('recordAttempt charges the breakers as breakerCharge says; a connection failure\'s Retry-After is not the provider\'s', () => {
    const b = new CircuitBreakers({ threshold: 1, cooldownMs: 1000, maxRetryAfterMs: 60_000, now: () => 0 });
    recordAttempt(b, attempt(0, 'LR_ERR_UPSTREAM_UNREACHABLE', 30_000, true));
    expect(b.entries()).toEqual([{ provider: 'p', model: null, state: 'open', failures: 1, retryInMs: 1000 }]);
    recordAttempt(b, attempt(503, 'LR_ERR_UPSTREAM_STATUS', 30_000));
    expect(b.entries()).toEqual([{ provider: 'p', model: 'm', state: 'open', failures: 1, retryInMs: 30_000 }]);
    recordAttempt(b, attempt(0, 'LR_ERR_UNSUPPORTED_PARAM'));
    expect(b.entries()).toHaveLength(1);
    recordAttempt(b, attempt(401, 'LR_ERR_UPSTREAM_STATUS'));
    expect(b.entries()).toEqual([]);
  });
});
