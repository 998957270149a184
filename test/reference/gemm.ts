// Naive GEMM with float64 accumulation: the reference for assembly/gemm.ts (same argument
// meaning as the kernel, on plain arrays indexed by element instead of pointers).

export interface GemmArgs {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  /** A stored [M, K] (or [K, M] when transA), row stride lda. */
  a: ArrayLike<number>;
  lda: number;
  /** B stored [K, N] (or [N, K] when transB), row stride ldb. */
  b: ArrayLike<number>;
  ldb: number;
  /** C [M, N] with row stride ldc; read when accumulate. */
  c: ArrayLike<number>;
  ldc: number;
  accumulate: boolean;
  bias: ArrayLike<number> | null;
  relu: boolean;
}

/** Returns the new C (same layout and length as args.c; elements outside the M x N block are copied). */
export function gemmRef(args: GemmArgs): Float64Array {
  const { transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate, bias, relu } = args;
  const out = Float64Array.from(c as ArrayLike<number>);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = accumulate ? c[m * ldc + n] : 0;
      if (bias) s += bias[n];
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * lda + m] : a[m * lda + k];
        const bv = transB ? b[n * ldb + k] : b[k * ldb + n];
        s += av * bv;
      }
      if (relu && s < 0) s = 0;
      out[m * ldc + n] = s;
    }
  }
  return out;
}

/**
 * Sum of |terms| for each output element: the scale the float32 rounding error is proportional
 * to (error <= ~K * 2^-24 * sum|a*b| for sequential summation).
 */
export function gemmAbsRef(args: GemmArgs): Float64Array {
  const abs = (x: ArrayLike<number>) => Array.from(x, Math.abs);
  return gemmRef({ ...args, a: abs(args.a), b: abs(args.b), c: abs(args.c), bias: args.bias ? abs(args.bias) : null, relu: false });
}

/** Plain [rows, cols] matrix product of row-major arrays, float64: out = op(A) · op(B). */
export function matmulRef(a: ArrayLike<number>, aShape: [number, number], b: ArrayLike<number>, bShape: [number, number],
                          transposeA = false, transposeB = false): { values: Float64Array; shape: [number, number] } {
  const [M, K] = transposeA ? [aShape[1], aShape[0]] : aShape;
  const [K2, N] = transposeB ? [bShape[1], bShape[0]] : bShape;
  if (K !== K2) throw new Error(`matmulRef: inner dimensions differ (${K} vs ${K2})`);
  const values = gemmRef({ transA: transposeA, transB: transposeB, M, N, K, a, lda: aShape[1], b, ldb: bShape[1],
    c: new Float64Array(M * N), ldc: N, accumulate: false, bias: null, relu: false });
  return { values, shape: [M, N] };
}
