// Naive float64 references for the elementwise ops and activations: index arithmetic done the
// obvious way (no coalescing, no fast paths) and erf from its Maclaurin series / continued fraction.

export interface Arr { shape: number[]; values: number[] }

export const sizeOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Multi-index of flat position i in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) { idx[d] = i % shape[d]; i = Math.floor(i / shape[d]); }
  return idx;
}

/** Flat position of multi-index idx (aligned to the right) in `shape`, with broadcast dims read at 0. */
export function ravelBroadcast(idx: readonly number[], shape: readonly number[]): number {
  let off = 0;
  const lead = idx.length - shape.length;
  for (let d = 0; d < shape.length; d++) off = off * shape[d] + (shape[d] === 1 ? 0 : idx[lead + d]);
  return off;
}

export function binaryRef(a: Arr, b: Arr, f: (x: number, y: number) => number): Arr {
  const shape = broadcastShape(a.shape, b.shape);
  if (!shape) throw new Error('reference: shapes do not broadcast');
  const n = sizeOf(shape);
  const values: number[] = [];
  for (let i = 0; i < n; i++) {
    const idx = unravel(i, shape);
    values.push(f(a.values[ravelBroadcast(idx, a.shape)], b.values[ravelBroadcast(idx, b.shape)]));
  }
  return { shape, values };
}

export const binaryFns: Record<string, (x: number, y: number) => number> = {
  add: (x, y) => x + y,
  sub: (x, y) => x - y,
  mul: (x, y) => x * y,
  div: (x, y) => x / y,
  pow: (x, y) => Math.pow(x, y),
  maximum: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.max(x, y)),
  minimum: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : Math.min(x, y)),
};

// ---- erf -------------------------------------------------------------------------------------

function erfSeries(z: number): number {
  let term = z, sum = z;
  for (let n = 1; n < 300; n++) {
    term *= (-z * z) / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
/** erfc(z) for z >= 1 by Laplace's continued fraction, evaluated bottom-up. */
function erfcFraction(z: number): number {
  let f = z;
  for (let k = 400; k >= 1; k--) f = z + k / 2 / f;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / f;
}
export function erfc(z: number): number {
  if (z < 0) return 2 - erfc(-z);
  return z < 1 ? 1 - erfSeries(z) : erfcFraction(z);
}
export function erf(z: number): number {
  if (z < 0) return -erf(-z);
  return z < 1 ? erfSeries(z) : 1 - erfcFraction(z);
}
/** Standard normal CDF, accurate in both tails. */
export const normalCdf = (x: number) => 0.5 * erfc(-x / Math.SQRT2);

export const unaryFns: Record<string, (x: number, p1?: number, p2?: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  abs: Math.abs,
  relu: (x) => (x > 0 ? x : 0),
  leakyRelu: (x, a = 0.01) => (x > 0 ? x : a * x),
  elu: (x, a = 1) => (x > 0 ? x : a * Math.expm1(x)),
  gelu: (x) => x * normalCdf(x),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
  clip: (x, lo = -Infinity, hi = Infinity) => Math.min(Math.max(x, lo), hi),
};

/** Derivatives, for spot checks at kinks the finite differences cannot see. */
export const unaryGrads: Record<string, (x: number, p1?: number, p2?: number) => number> = {
  relu: (x) => (x > 0 ? 1 : 0),
  leakyRelu: (x, a = 0.01) => (x > 0 ? 1 : a),
  elu: (x, a = 1) => (x > 0 ? 1 : a * Math.exp(x)),
  gelu: (x) => normalCdf(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
  sigmoid: (x) => { const s = 1 / (1 + Math.exp(-x)); return s * (1 - s); },
  tanh: (x) => 1 - Math.tanh(x) ** 2,
  abs: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0),
  clip: (x, lo = -Infinity, hi = Infinity) => (x >= lo && x <= hi ? 1 : 0),
};

/** Deterministic pseudo-random values in [lo, hi). */
export function values(n: number, seed = 1, lo = -1, hi = 1): number[] {
  let s = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(lo + ((hi - lo) * s) / 4294967296);
  }
  return out;
}
