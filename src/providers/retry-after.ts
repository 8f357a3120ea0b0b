/** Largest delay read from a header; anything longer is as good as "not today" and is capped later. */
const MAX_MS = Number.MAX_SAFE_INTEGER;

/**
 * How long an upstream asks callers to wait, in ms (0 when it does not say or says something
 * unreadable): `retry-after-ms` (OpenAI's), else `Retry-After` as delay-seconds or an HTTP-date.
 * How much of it is honoured is the router's business (`server.max_retry_after_ms`).
 */
export function parseRetryAfter(retryAfter: string | string[] | undefined, retryAfterMs: string | string[] | undefined, now: number): number {
  const ms = first(retryAfterMs);
  if (ms !== undefined && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return clamp(Number(ms));
  const v = first(retryAfter);
  if (v === undefined) return 0;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return clamp(Number(v) * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? 0 : clamp(at - now);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function clamp(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms >= MAX_MS ? MAX_MS : Math.round(ms);
}
