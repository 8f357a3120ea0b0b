/** Number formats shared by the views. */

export function fmtInt(n: number | null | undefined): string {
  return n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
}

export function fmtNum(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function fmtUsd(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  if (n === 0) return '$0';
  return n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(2)}`;
}

/** What a stats bucket says about cost: its priced cost, and how many answers had no known price. */
export interface CostTotals {
  requests: number;
  errors: number;
  cost_usd: number;
  unpriced_requests?: number;
}

/**
 * A bucket's cost: answers from models with no known price are counted, not added as $0
 * ("$0.12 + 3 unpriced"); `-` when every answer was unpriced.
 */
export function fmtCost(t: CostTotals | null | undefined): string {
  if (t === null || t === undefined) return '–';
  const n = t.unpriced_requests ?? 0;
  if (n === 0) return fmtUsd(t.cost_usd);
  if (t.cost_usd === 0 && n >= t.requests - t.errors) return '-';
  return `${fmtUsd(t.cost_usd)} + ${fmtInt(n)} unpriced`;
}

/** One answer's cost: "unpriced" when it had usage but its model no known price (its cost is unknown, not $0). */
export function fmtAnswerCost(cost: number | null, hasUsage: boolean): string {
  return cost === null && hasUsage ? 'unpriced' : fmtUsd(cost);
}

export function fmtMs(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(n < 10 ? 1 : 0)} ms`;
}

export function fmtPct(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '–' : `${(n * 100).toFixed(1)}%`;
}

export function fmtTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined) return '–';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toLocaleString('en-GB', { hour12: false });
}
