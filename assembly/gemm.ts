// GEMM: C[M,N] = (accumulate ? C : 0) + op(A)[M,K] · op(B)[K,N] (+ bias[N]) then activation.
// PLACEHOLDER scalar version: fixes the ABI; replaced by the packed, register-tiled SIMD kernel.
//   transA: A stored [K, M] (row stride lda) instead of [M, K];  transB: B stored [N, K] instead of [K, N].
//   bias: 0 for none, else a pointer to N floats.  act: 0 none, 1 relu.
//   work: scratch of gemmWorkspaceBytes(M, N, K) bytes, 16-byte aligned, owned by the caller.

export function gemmWorkspaceBytes(M: i32, N: i32, K: i32): i32 {
  return 16;
}

export function gemm(transA: i32, transB: i32, M: i32, N: i32, K: i32,
                     a: usize, lda: i32, b: usize, ldb: i32,
                     c: usize, ldc: i32, accumulate: i32,
                     bias: usize, act: i32, work: usize): void {
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s: f32 = 0;
      for (let k = 0; k < K; k++) {
        const av = load<f32>(a + ((transA ? <usize>k * lda + m : <usize>m * lda + k) << 2));
        const bv = load<f32>(b + ((transB ? <usize>n * ldb + k : <usize>k * ldb + n) << 2));
        s += av * bv;
      }
      const cp = c + ((<usize>m * ldc + n) << 2);
      if (accumulate) s += load<f32>(cp);
      if (bias) s += load<f32>(bias + (<usize>n << 2));
      if (act == 1 && s < 0) s = 0;
      store<f32>(cp, s);
    }
  }
}
