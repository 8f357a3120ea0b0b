import { LocalRouterError } from '../errors/index.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/**
 * `"90s"`, `"10m"`, `"1h"`, `"7d"`, `"2w"`, `"1y"` or a bare number of milliseconds → ms.
 * Throws `LR_ERR_BAD_REQUEST` naming `param` for anything else or a value not above 0.
 */
export function parseDuration(text: string, param = 'range'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)?\s*$/i.exec(text);
  const ms = m ? Number(m[1]) * UNITS[(m[2] ?? 'ms').toLowerCase()] : NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new LocalRouterError('LR_ERR_BAD_REQUEST', `${param} must be a duration like 90s, 10m, 1h, 7d or 1y (got "${text.slice(0, 50)}")`, { param });
  }
  return Math.round(ms);
}
