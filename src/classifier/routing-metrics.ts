/**
 * RouteLLM's router metrics, as its `routellm/evals` code computes them (arXiv 2406.18665 §3.2):
 * thresholds are the 11 decile edges of the router's scores (pandas `qcut(scores, 10)` bins, numpy
 * linear quantiles, duplicates kept); at each edge the strong model gets the prompts with
 * score >= edge, at the last edge score > edge (so 0% strong); quality is the mean correctness of
 * the model each prompt went to. APGR is the trapezoid area under that curve over the strong share,
 * normalised by the weak and strong models' own quality on the same prompts:
 * (AUC - weak) / (strong - weak). CPT(x) is the strong share at which the curve first reaches
 * PGR = x, linearly interpolated (RouteLLM uses `np.interp`, which agrees whenever the curve is
 * monotone, as it is for any router with signal; we take the first crossing when it is not).
 */

export interface CurvePoint {
  threshold: number;
  /** Fraction of prompts sent to the strong model, 0..1. */
  strongShare: number;
  /** Mean correctness of the routed answers, 0..1. */
  quality: number;
}

export interface RouterMetrics {
  n: number;
  weakQuality: number;
  strongQuality: number;
  apgr: number;
  /** Strong share needed for PGR = 0.5 and 0.8. */
  cpt50: number;
  cpt80: number;
  points: CurvePoint[];
}

/** numpy's default (`linear`) quantile of sorted data, with numpy's two-sided lerp. */
function quantileSorted(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  const t = pos - lo;
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** The `bins + 1` edges pandas `qcut(scores, bins, retbins=True)` returns (duplicates kept). */
export function decileEdges(scores: ArrayLike<number>, bins = 10): number[] {
  const sorted = Float64Array.from(scores).sort();
  if (sorted.length === 0) throw new RangeError('decileEdges: no scores');
  const step = 1 / bins;
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) edges.push(quantileSorted(sorted, i === bins ? 1 : i * step));
  return edges;
}

/** Trapezoid rule, as `np.trapz(y, x)`. */
export function trapezoid(y: ArrayLike<number>, x: ArrayLike<number>): number {
  let area = 0;
  for (let i = 1; i < y.length; i++) area += (x[i]! - x[i - 1]!) * (y[i]! + y[i - 1]!) / 2;
  return area;
}

/** Strong share where quality first reaches `target` on the (share-sorted) curve. */
function shareReaching(points: CurvePoint[], target: number): number {
  if (points[0]!.quality >= target) return points[0]!.strongShare;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1]!;
    const q = points[i]!;
    if (q.quality >= target) {
      if (q.quality === p.quality) return q.strongShare;
      return p.strongShare + (q.strongShare - p.strongShare) * (target - p.quality) / (q.quality - p.quality);
    }
  }
  return points[points.length - 1]!.strongShare;
}

/**
 * Evaluates a router's scores against per-prompt correctness of the weak and strong models.
 * Decontamination is the caller's job: pass only the prompts to evaluate on.
 */
export function evaluateRouter(
  scores: ArrayLike<number>, weak: ArrayLike<boolean>, strong: ArrayLike<boolean>, bins = 10,
): RouterMetrics {
  const n = scores.length;
  if (n === 0 || weak.length !== n || strong.length !== n) throw new RangeError('evaluateRouter: empty or mismatched inputs');
  let weakOk = 0;
  let strongOk = 0;
  for (let i = 0; i < n; i++) { weakOk += weak[i] ? 1 : 0; strongOk += strong[i] ? 1 : 0; }
  const edges = decileEdges(scores, bins);
  const points: CurvePoint[] = edges.map((threshold, e) => {
    const last = e === edges.length - 1;
    let toStrong = 0;
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const s = scores[i]!;
      const useStrong = last ? s > threshold : s >= threshold;
      if (useStrong) toStrong++;
      ok += (useStrong ? strong[i] : weak[i]) ? 1 : 0;
    }
    return { threshold, strongShare: toStrong / n, quality: ok / n };
  });
  // Sort by share; equal shares are the same prompt set (thresholds are nested), so order is moot.
  points.sort((a, b) => a.strongShare - b.strongShare);
  const weakQuality = weakOk / n;
  const strongQuality = strongOk / n;
  const xs = points.map((p) => p.strongShare);
  const auc = trapezoid(points.map((p) => p.quality), xs);
  const span = xs[xs.length - 1]! - xs[0]!;
  const apgr = (auc - weakQuality * span) / (strongQuality * span - weakQuality * span);
  const gap = strongQuality - weakQuality;
  return {
    n, weakQuality, strongQuality, apgr, points,
    cpt50: shareReaching(points, weakQuality + 0.5 * gap),
    cpt80: shareReaching(points, weakQuality + 0.8 * gap),
  };
}
