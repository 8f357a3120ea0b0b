/**
 * L2-regularised logistic regression on sparse features, fitted with L-BFGS. The problem is convex
 * and the optimiser has no randomness, so the same data and options give the same weights.
 * Labels may be soft (0..1). Features are used as they are (the shape slots are 0/1 buckets and the
 * hashed blocks unit-norm tf), so no standardisation is needed and serving needs no statistics.
 */
import { FEATURE_DIM, SHAPE, type SparseFeatures } from './featurizer.js';

/** Rows in compressed sparse row form. */
export interface SparseMatrix {
  rows: number;
  rowPtr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/** Linear scorer: score = sigmoid(bias + Σ weights[i] · x[i]). */
export interface LinearModel {
  weights: Float64Array;
  bias: number;
}

export interface TrainOptions {
  /** L2 penalty on the weights (not the bias), per example. */
  l2: number;
  /** L2 penalty on the shape slots (default: `l2`). */
  l2Shape?: number;
  maxIter?: number;
  /** Stop when the relative decrease of the objective falls below this (default 1e-5). */
  tol?: number;
  /** Warm start. */
  init?: LinearModel;
  /** Per-row weights of the data term (default 1 each); the loss is their weighted mean. */
  rowWeights?: Float64Array;
}

/** Stacks feature vectors into CSR. */
export function toMatrix(rows: readonly SparseFeatures[]): SparseMatrix {
  let nnz = 0;
  for (const r of rows) nnz += r.indices.length;
  const rowPtr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let k = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    indices.set(r.indices, k);
    for (let j = 0; j < r.values.length; j++) values[k + j] = r.values[j]!;
    k += r.indices.length;
    rowPtr[i + 1] = k;
  }
  return { rows: rows.length, rowPtr, indices, values };
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** log(1 + e^z), without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** Raw logits of every row. */
export function logits(m: SparseMatrix, model: LinearModel): Float64Array {
  const out = new Float64Array(m.rows);
  const w = model.weights;
  for (let r = 0; r < m.rows; r++) {
    let z = model.bias;
    for (let k = m.rowPtr[r]!; k < m.rowPtr[r + 1]!; k++) z += w[m.indices[k]!]! * m.values[k]!;
    out[r] = z;
  }
  return out;
}

export function predict(m: SparseMatrix, model: LinearModel): Float64Array {
  const z = logits(m, model);
  for (let i = 0; i < z.length; i++) z[i] = sigmoid(z[i]!);
  return z;
}

/**
 * Data term of the objective and its gradient. Hot loops live in small separate functions: V8
 * deoptimised the single-function version at the end of every call (on-stack replacement inside
 * the row loop, then no type feedback for the code after it), which made training 6x slower.
 */
function dataPass(m: SparseMatrix, y: Float64Array, rw: Float64Array, x: Float64Array, grad: Float64Array, bias: number): number {
  let total = 0;
  for (let r = 0; r < m.rows; r++) total += rw[r]!;
  const inv = 1 / total;
  let loss = 0;
  let gb = 0;
  const { rowPtr, indices, values } = m;
  for (let r = 0; r < m.rows; r++) {
    const lo = rowPtr[r]!;
    const hi = rowPtr[r + 1]!;
    let z = bias;
    for (let k = lo; k < hi; k++) z += x[indices[k]!]! * values[k]!;
    loss += rw[r]! * (softplus(z) - y[r]! * z);
    const g = (sigmoid(z) - y[r]!) * rw[r]! * inv;
    gb += g;
    for (let k = lo; k < hi; k++) grad[indices[k]!] += g * values[k]!;
  }
  grad[x.length - 1] = gb;
  return loss * inv;
}

/** Adds the L2 term (the bias, last slot, is not penalised); returns its value. */
function l2Pass(x: Float64Array, grad: Float64Array, l2: number, l2Shape: number): number {
  let reg = 0;
  let regShape = 0;
  const dim = x.length - 1;
  for (let j = 0; j < SHAPE; j++) {
    const w = x[j]!;
    regShape += w * w;
    grad[j] += l2Shape * w;
  }
  for (let j = SHAPE; j < dim; j++) {
    const w = x[j]!;
    reg += w * w;
    grad[j] += l2 * w;
  }
  return 0.5 * l2 * reg + 0.5 * l2Shape * regShape;
}

/** Objective and gradient; `x` packs the weights then the bias (last slot). */
function objective(m: SparseMatrix, y: Float64Array, rw: Float64Array, l2: number, l2Shape: number, x: Float64Array, grad: Float64Array): number {
  grad.fill(0);
  const loss = dataPass(m, y, rw, x, grad, x[x.length - 1]!);
  return loss + l2Pass(x, grad, l2, l2Shape);
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] += a * x[i]!;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** y = a·x (elementwise copy with scale). */
function scaled(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i] = a * x[i]!;
}

/** out = a - b. */
function diff(a: Float64Array, b: Float64Array, out: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! - b[i]!;
}

/** Fits the model with L-BFGS (memory 8, backtracking Armijo line search). */
export function trainLogistic(m: SparseMatrix, y: Float64Array, opts: TrainOptions): LinearModel & { iterations: number; loss: number } {
  const n = FEATURE_DIM + 1;
  const maxIter = opts.maxIter ?? 300;
  const tol = opts.tol ?? 1e-5;
  const mem = 8;
  const l2Shape = opts.l2Shape ?? opts.l2;
  const rw = opts.rowWeights ?? new Float64Array(m.rows).fill(1);
  const x = new Float64Array(n);
  if (opts.init) { x.set(opts.init.weights); x[n - 1] = opts.init.bias; }
  const g = new Float64Array(n);
  let f = objective(m, y, rw, opts.l2, l2Shape, x, g);
  // Curvature pairs in a ring of preallocated buffers (2 MB each: allocating per step fed the GC).
  const S = Array.from({ length: mem }, () => new Float64Array(n));
  const Y = Array.from({ length: mem }, () => new Float64Array(n));
  const rho = new Float64Array(mem);
  const alpha = new Float64Array(mem);
  let stored = 0;
  let head = 0; // next slot to write
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  const gNew = new Float64Array(n);
  let iter = 0;
  for (; iter < maxIter; iter++) {
    // Two-loop recursion: dir = -H·g, newest pair first.
    scaled(-1, g, dir);
    for (let j = 0; j < stored; j++) {
      const k = (head - 1 - j + mem) % mem;
      alpha[k] = rho[k]! * dot(S[k]!, dir);
      axpy(-alpha[k]!, Y[k]!, dir);
    }
    const last = (head - 1 + mem) % mem;
    const gamma = stored > 0 ? dot(S[last]!, Y[last]!) / dot(Y[last]!, Y[last]!) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    scaled(gamma, dir, dir);
    for (let j = stored - 1; j >= 0; j--) {
      const k = (head - 1 - j + mem) % mem;
      const beta = rho[k]! * dot(Y[k]!, dir);
      axpy(alpha[k]! - beta, S[k]!, dir);
    }
    let slope = dot(g, dir);
    if (slope >= 0) { // not a descent direction: forget the curvature, use steepest descent
      stored = 0;
      scaled(-1, g, dir);
      slope = dot(g, dir);
    }
    let step = 1;
    let fNew = Infinity;
    for (let ls = 0; ls < 30; ls++) {
      xNew.set(x);
      axpy(step, dir, xNew);
      fNew = objective(m, y, rw, opts.l2, l2Shape, xNew, gNew);
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    if (!(fNew < f)) break;
    const sk = S[head]!;
    const yk = Y[head]!;
    diff(xNew, x, sk);
    diff(gNew, g, yk);
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      rho[head] = 1 / sy;
      head = (head + 1) % mem;
      stored = Math.min(stored + 1, mem);
    }
    x.set(xNew);
    g.set(gNew);
    const rel = (f - fNew) / Math.max(Math.abs(f), 1e-12);
    f = fNew;
    if (rel < tol) { iter++; break; }
  }
  return { weights: x.slice(0, FEATURE_DIM), bias: x[n - 1]!, iterations: iter, loss: f };
}
