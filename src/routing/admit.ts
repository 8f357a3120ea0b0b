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

/** OpenAI-style `x-ratelimit-*` headers for the tightest request limit and the tightest token limit. */
export function rateLimitHeaders(states: LimitState[]): [string, string][] {
  const out: [string, string][] = [];
  for (const [suffix, kinds] of [['requests', ['requests']], ['tokens', ['input_tokens', 'output_tokens', 'total_tokens']]] as const) {
    const tight = states.filter((s) => (kinds as readonly string[]).includes(s.limit.kind))
      .sort((a, b) => a.remaining / a.limit.max - b.remaining / b.limit.max)[0];
    if (!tight) continue;
    out.push([`x-ratelimit-limit-${suffix}`, String(tight.limit.max)],
      [`x-ratelimit-remaining-${suffix}`, String(Math.floor(tight.remaining))],
      [`x-ratelimit-reset-${suffix}`, formatDuration(tight.resetMs)]);
  }
  return out;
}

/** OpenAI's reset format: `6m0s`, `1.5s`, `120ms`. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Math.round(s * 10) / 10}s`;
  const m = Math.floor(s / 60);
  return `${m}m${Math.round(s - m * 60)}s`;
}
