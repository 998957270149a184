// The one closeness rule of the test suite. Every test that compares computed numbers with a
// reference goes through `expectClose`; tests that need a tolerance growing with a reduction
// length compute it with `reductionTolerance` or `summationAtol` and still compare here.

/**
 * Tolerance of `expectClose`: element i passes when |actual - expected| <= atol + rtol * |expected|.
 * `atol` may be one number or one per element (a bound that depends on the element's own terms).
 * Both default to 0, so an omitted tolerance means exact equality.
 */
export interface Tolerance { rtol?: number; atol?: number | ArrayLike<number> }

export interface CloseOptions extends Tolerance {
  /** Names the compared quantity in the failure message. */
  what?: string;
}

export interface Mismatch {
  /** How many elements fail. */
  count: number;
  /** Flat index of the worst element (the largest |diff| / tolerance; a NaN or infinity mismatch counts as infinitely bad). */
  index: number;
  got: number;
  want: number;
  tolerance: number;
}

/** Whether `got` equals `want` within `tol` under the rule; NaN and infinities equal only themselves. */
function excess(got: number, want: number, tol: number): number {
  if (got === want) return 0;
  if (Number.isNaN(got) && Number.isNaN(want)) return 0;
  if (!Number.isFinite(got) || !Number.isFinite(want)) return Infinity;
  const diff = Math.abs(got - want);
  return diff <= tol ? 0 : tol > 0 ? diff / tol : Infinity;
}

/** The elements of `actual` that break the rule against `expected`, or null when all pass. */
export function findMismatch(actual: ArrayLike<number>, expected: ArrayLike<number>, { rtol = 0, atol = 0 }: Tolerance = {}): Mismatch | null {
  let count = 0, index = -1, worst = 0, worstTol = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i];
    const tol = (typeof atol === 'number' ? atol : atol[i]) + rtol * Math.abs(e);
    const x = excess(actual[i], e, tol);
    if (x === 0) continue;
    count++;
    if (index < 0 || x > worst) { worst = x; index = i; worstTol = tol; }
  }
  return count === 0 ? null : { count, index, got: actual[index], want: expected[index], tolerance: worstTol };
}

const asArray = (v: ArrayLike<number> | number): ArrayLike<number> => (typeof v === 'number' ? [v] : v);

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| element-wise (NaN and infinities equal
 * only themselves) and equal lengths. The failure names the worst element, its index, got and want.
 */
export function expectClose(actual: ArrayLike<number> | number, expected: ArrayLike<number> | number, options: CloseOptions = {}): void {
  const a = asArray(actual), e = asArray(expected);
  const what = options.what ?? 'values';
  if (a.length !== e.length) throw new Error(`${what}: got ${a.length} values, want ${e.length}`);
  const m = findMismatch(a, e, options);
  if (!m) return;
  const atol = typeof options.atol === 'object' ? 'per element' : options.atol ?? 0;
  throw new Error(`${what}: ${m.count} of ${e.length} values differ beyond rtol ${options.rtol ?? 0}, atol ${atol}; ` +
    `worst at index ${m.index}: got ${m.got}, want ${m.want} (|diff| ${Math.abs(m.got - m.want)}, tolerance ${m.tolerance})`);
}

/**
 * Tolerance for values that each sum k products of terms of size about 1 (convolution outputs and
 * gradients): float32 rounding grows with k, so atol = 1e-5 + 2e-6 * k and rtol = 0.
 */
export function reductionTolerance(k: number): Tolerance {
  return { rtol: 0, atol: 1e-5 + 2e-6 * k };
}

/**
 * Per-element absolute tolerance for float32 sums of k terms whose magnitudes vary:
 * (k + slack) * unit * |scale[i]| + floor, where scale[i] is the same reduction over the terms'
 * absolute values (float32 summation error is at most about k * 2^-23 times that sum).
 */
export function summationAtol(scale: ArrayLike<number>, k: number, { unit = 1.2e-7, slack = 4, floor = 0 } = {}): Float64Array {
  return Float64Array.from(scale, (s) => (k + slack) * unit * Math.abs(s) + floor);
}

/** The largest |a[i] - b[i]| (reported by tests that log how far two implementations drift). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
