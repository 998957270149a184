// Host-side GEMM call: the one place that sizes the packing workspace and splits the work over
// the worker pool. Every output element sums over k in the same order whatever the tile, row
// range or column range it falls in, so the result is bit-identical for any thread count.
import { kernels, workspace, threadCount, align16, WorkspaceSlot } from './wasm.js';
import { parallel, splitParts, splitRows, splitTuning } from './parallel.js';
import { Activation } from './kernels.generated.js';

/** Column alignment when too few rows to split (batch-1 dense layers): whole 8-column tiles. */
const COL_ALIGN = 8;

/** From this many multiply-adds a one-row product streams B row by row (gemvRowB, or gemvRowBT for B stored [N, K]). */
const GEMV_MIN_MACS = 1 << 16;

/**
 * One row of A times op(B) with gemvRowB (B [K, N]) or gemvRowBT (B stored [N, K]), gemm's bits:
 * column ranges of whole 64-byte lines per thread, the last N % 4 columns by gemm itself.
 */
function gemvInto(transB: boolean, N: number, K: number, a: number, aStride: number, b: number, ldb: number, c: number,
                  accumulate: boolean, bias: number, act: Activation): void {
  const k = kernels();
  const n4 = N - (N % 4);
  const threads = threadCount();
  const parts = threads > 1 && N * K >= splitTuning.gemmMacs ? splitRows(n4, splitParts(), 16) : [[0, n4]];
  const bAt = (n: number) => b + 4 * (transB ? n * ldb : n);
  parallel(transB ? k.gemvRowBT : k.gemvRowB, parts.map(([n0, n1]) => [
    n1 - n0, K, a, 4 * aStride, bAt(n0), ldb, c + 4 * n0, +accumulate, bias ? bias + 4 * n0 : 0, act,
  ]));
  if (n4 < N) {
    const work = workspace(k.gemmWorkspaceBytes(1, N - n4, K), WorkspaceSlot.Work);
    k.gemm(aStride === 1 ? 0 : 1, +transB, 1, N - n4, K, a, aStride === 1 ? K : aStride, bAt(n4), ldb, c + 4 * n4, N, +accumulate, bias ? bias + 4 * n4 : 0, act, work);
  }
}

/**
 * C[M,N] = (accumulate ? C : 0) + op(A)·op(B) (+ bias) (then the activation `act`); pointers in bytes.
 * Same contract as the kernel `gemm` in assembly/gemm.ts, minus the workspace argument.
 */
export function gemm(transA: boolean, transB: boolean, M: number, N: number, K: number,
                     a: number, lda: number, b: number, ldb: number, c: number, ldc: number,
                     accumulate = false, bias = 0, act: Activation = Activation.None): void {
  const k = kernels();
  const threads = threadCount();
  if (M === 1 && N >= 16 && N * K >= GEMV_MIN_MACS && (!transB || splitTuning.gemvTransposedB)) {
    gemvInto(transB, N, K, a, transA ? lda : 1, b, ldb, c, accumulate, bias, act);
    return;
  }
  const big = threads > 1 && M * N * K >= splitTuning.gemmMacs;
  // A thread's rows are whole micro-tiles of this build (5 rows baseline, 6 relaxed), twice over.
  const rowAlign = 2 * k.gemmTileRows();
  const fewRows = M < threads * rowAlign || (splitTuning.gemmColumnsWhenWider && N > M);
  if (big && fewRows && N >= threads * COL_ALIGN) {
    // Too few rows for every thread, or fewer rows than columns: split the columns (each part
    // packs only its own columns of B, the larger operand, and reads all of A).
    const parts = splitRows(N, splitParts(), COL_ALIGN);
    const wsBytes = align16(k.gemmWorkspaceBytes(M, Math.max(...parts.map(([n0, n1]) => n1 - n0)), K));
    const work = workspace(wsBytes * parts.length, WorkspaceSlot.Work);
    parallel(k.gemm, parts.map(([n0, n1], t) => [
      +transA, +transB, M, n1 - n0, K, a, lda,
      b + 4 * (transB ? n0 * ldb : n0), ldb, c + 4 * n0, ldc,
      +accumulate, bias ? bias + 4 * n0 : 0, act, work + t * wsBytes,
    ]));
    return;
  }
  const parts = big ? splitRows(M, splitParts(), rowAlign) : [[0, M]];
  const wsBytes = align16(k.gemmWorkspaceBytes(parts.length > 1 ? parts[0][1] : M, N, K));
  const work = workspace(wsBytes * parts.length, WorkspaceSlot.Work);
  if (parts.length === 1) {
    k.gemm(+transA, +transB, M, N, K, a, lda, b, ldb, c, ldc, +accumulate, bias, act, work);
    return;
  }
  parallel(k.gemm, parts.map(([m0, m1], t) => [
    +transA, +transB, m1 - m0, N, K,
    a + 4 * (transA ? m0 : m0 * lda), lda, b, ldb, c + 4 * m0 * ldc, ldc,
    +accumulate, bias, act, work + t * wsBytes,
  ]));
}
