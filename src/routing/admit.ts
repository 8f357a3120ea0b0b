import { LocalRouterError } from '../errors/index.js';
import { limitAmount } from '../model/index.js';
import type { Admission, LimitState, RateLimiter } from './rate-limiter.js';
import type { ClientPolicy } from './strategy-table.js';

/** What admission reads of the client: its id (limits are counted per client) and the limits that apply. */
export interface LimitedClient {
  id: string;
  policy: Pick<ClientPolicy, 'limits'>;
}

/** Tokens a request body will roughly cost as input (≈ 4 bytes a token), charged up front and reconciled later. */
export function projectInputTokens(bodyBytes: number): number {
  return Math.ceil(bodyBytes / 4);
}

/** Checks the client's limits and charges the request up front; throws 429 with Retry-After when one is spent. */
export function admitRequest(ctx: { limiter: RateLimiter }, client: LimitedClient, projectedInput: number): LimitState[] {
  const limits = client.policy.limits;
  if (limits.length === 0) return [];
  const admission: Admission = ctx.limiter.admit(client.id, limits, { requests: 1, input_tokens: projectedInput, total_tokens: projectedInput });
  if (!admission.ok) {
    const l = admission.limit;
    throw new LocalRouterError('LR_ERR_RATE_LIMITED',
      `rate limit reached: ${limitAmount(l.kind, l.max)} per ${l.window} for this client; retry in ${Math.ceil(admission.retryAfterMs / 1000)} s`,
      { retryAfterMs: admission.retryAfterMs, headers: rateLimitHeaders(admission.states) });
  }
  return admission.states;
}

/** OpenAI-style `x-ratelimit-*` headers for the tightest request limit and the tightest token limit (the first of equals). */
export function rateLimitHeaders(states: readonly LimitState[]): [string, string][] {
  let requests: LimitState | null = null;
  let tokens: LimitState | null = null;
  for (let i = 0; i < states.length; i++) {
    const s = states[i]!;
    const kind = s.limit.kind;
    if (kind === 'requests') {
      if (requests === null || share(s) < share(requests)) requests = s;
    } else if (kind === 'input_tokens' || kind === 'output_tokens' || kind === 'total_tokens') {
      if (tokens === null || share(s) < share(tokens)) tokens = s;
    }
  }
  const out: [string, string][] = [];
  if (requests !== null) pushLimitHeaders(out, 'requests', requests);
  if (tokens !== null) pushLimitHeaders(out, 'tokens', tokens);
  return out;
}

function share(s: LimitState): number {
  return s.remaining / s.limit.max;
}

function pushLimitHeaders(out: [string, string][], suffix: 'requests' | 'tokens', s: LimitState): void {
  out.push([`x-ratelimit-limit-${suffix}`, String(s.limit.max)],
    [`x-ratelimit-remaining-${suffix}`, String(Math.floor(s.remaining))],
    [`x-ratelimit-reset-${suffix}`, formatDuration(s.resetMs)]);
}

/** OpenAI's reset format: `6m0s`, `1.5s`, `120ms`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s * 10) / 10}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}
