// Host-side GEMM call: the one place that sizes the packing workspace and splits rows over the
// worker pool. Rows are independent (each output element sums over k in the same order whatever
// the split), so the result is bit-identical for any thread count.
import { kernels, workspace, threadCount, parallel } from './wasm.js';
import { splitRows } from './threads.js';

/** Below this many multiply-adds a job is not worth waking workers for (~tens of µs). */
const PARALLEL_MIN_MACS = 1 << 21;
/** Row alignment of a thread's slice: whole micro-tiles of both builds (4 and 6 rows). */
const ROW_ALIGN = 12;

/**
 * C[M,N] = (accumulate ? C : 0) + op(A)·op(B) (+ bias) (relu when act = 1); pointers in bytes.
 * Same contract as the kernel `gemm` in assembly/gemm.ts, minus the workspace argument.
 */
export function gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
                     a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
                     accumulate = false, bias = 0, act = 0): void {
  const k = kernels();
  const threads = threadCount();
  const parts = threads > 1 && M * N * K >= PARALLEL_MIN_MACS ? splitRows(M, threads, ROW_ALIGN) : [[0, M]];
  const wsBytes = (k.gemmWorkspaceBytes(parts.length > 1 ? parts[0][1] : M, N, K) + 15) & ~15;
  const work = workspace(wsBytes * parts.length, 0);
  if (parts.length === 1) {
    k.gemm(+transA, +transB, M, N, K, a, lda, b, ldb, c, ldc, +accumulate, bias, act, work);
    return;
  }
  parallel('gemm', parts.map(([m0, m1], t) => [
    +transA, +transB, m1 - m0, N, K,
    a + 4 * (transA ? m0 : m0 * lda), lda, b, ldb, c + 4 * m0 * ldc, ldc,
    +accumulate, bias, act, work + t * wsBytes,
  ]));
}
