import { describe, expect, it } from 'vitest';
import { decileEdges, evaluateRouter, trapezoid } from '../../../src/classifier/index.js';

// Ten prompts: the strong model alone is right on p1 and p2, the weak model alone on p10, both on
// p3..p9. Weak quality 0.8, strong 0.9, gap 0.1 (one prompt).
const weak = [false, false, true, true, true, true, true, true, true, true];
const strong = [true, true, true, true, true, true, true, true, true, false];

describe('decileEdges (pandas qcut bins, numpy linear quantiles)', () => {
  it('matches np.quantile(1..10, linspace(0, 1, 11))', () => {
    const edges = decileEdges([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    const expected = [1, 1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1, 10];
    edges.forEach((e, i) => expect(e).toBeCloseTo(expected[i]!, 12));
  });

  it('keeps duplicate edges', () => {
    expect(decileEdges([0, 0, 0, 0, 0, 0, 0, 0, 1, 1]).slice(0, 7)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});

describe('evaluateRouter (RouteLLM APGR and CPT)', () => {
  it('perfect ranking: hand-computed APGR 1.75, CPT(50%) 0.05, CPT(80%) 0.08', () => {
    // PGR at strong shares 0, .1, ..., 1 = 0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 1: sending p2..p9 to the
    // strong model costs nothing and p10 to it loses a point, so the curve overshoots PGR 1.
    // Trapezoid: 0.1 * (0.5 + 1.5 + 7 * 2 + 1.5) = 1.75. RouteLLM's APGR is not capped at 1.
    const m = evaluateRouter([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], weak, strong);
    expect(m.weakQuality).toBeCloseTo(0.8, 12);
    expect(m.strongQuality).toBeCloseTo(0.9, 12);
    expect(m.points.map((p) => p.strongShare)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(m.apgr).toBeCloseTo(1.75, 10);
    expect(m.cpt50).toBeCloseTo(0.05, 10);
    expect(m.cpt80).toBeCloseTo(0.08, 10);
  });

  it('inverted ranking: hand-computed APGR -0.75, CPT(50%) 0.95, CPT(80%) 0.98', () => {
    // PGR = 0, -1 (x8), 0, 1 at shares 0, .1..0.8, .9, 1: 0.1 * (-0.5 - 7 - 0.5 + 0.5) = -0.75.
    const m = evaluateRouter([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], weak, strong);
    expect(m.apgr).toBeCloseTo(-0.75, 10);
    expect(m.cpt50).toBeCloseTo(0.95, 10);
    expect(m.cpt80).toBeCloseTo(0.98, 10);
  });

  it('a router whose gain is all in the first decile recovers the gap there: APGR 0.95', () => {
    // 100 prompts, strong alone right on the 10 top-scored ones, ties elsewhere: PGR 0 at share 0,
    // 1 from share 0.1 on. 0.1 * 0.5 + 0.9 * 1 = 0.95 (the first trapezoid is the only loss).
    const n = 100;
    const w = Array.from({ length: n }, (_, i) => i >= 10);
    const s = Array.from({ length: n }, () => true);
    const scores = Array.from({ length: n }, (_, i) => n - i);
    expect(evaluateRouter(scores, w, s).apgr).toBeCloseTo(0.95, 10);
  });

  it('random scores give APGR close to 0.5', () => {
    let seed = 12345;
    const rnd = (): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 2 ** 32; };
    const n = 20_000;
    const w = Array.from({ length: n }, () => rnd() < 0.6);
    const s = Array.from({ length: n }, () => rnd() < 0.8);
    const m = evaluateRouter(Array.from({ length: n }, rnd), w, s);
    expect(m.apgr).toBeGreaterThan(0.46);
    expect(m.apgr).toBeLessThan(0.54);
    expect(m.cpt50).toBeGreaterThan(0.45);
    expect(m.cpt50).toBeLessThan(0.55);
  });

  it('a constant score sends everything to the strong model at every edge but the last', () => {
    const m = evaluateRouter(new Array(10).fill(0.3), weak, strong);
    // Edges all 0.3: share 1 at ten edges, 0 at the strict last one. PGR 0 → 1 over [0, 1]: 0.5.
    expect(m.points.filter((p) => p.strongShare === 1)).toHaveLength(10);
    expect(m.apgr).toBeCloseTo(0.5, 12);
  });

  it('trapezoid matches np.trapz', () => {
    expect(trapezoid([1, 2, 4], [0, 0.5, 2])).toBeCloseTo(0.75 + 4.5, 12);
  });
});
