// matmul (2-D and batched 3-D, with transposes and batch broadcasting) and its gradient, both
// straight calls of the packed GEMM kernel (assembly/gemm.ts): transposes are GEMM flags, never
// materialised, and a batch reduction accumulates into one buffer in a fixed order.
import { Tensor, record } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { gemm } from '../backend/gemm.js';
import { ShapeError, ValueError, fmtShape } from '../errors.js';
import { asFloat, describe } from './util.js';

export interface MatmulOptions {
  /** Use a's last two dims transposed: a is [..., K, M] instead of [..., M, K]. */
  transposeA?: boolean;
  /** Use b's last two dims transposed: b is [..., N, K] instead of [..., K, N]. */
  transposeB?: boolean;
}

/** Resolved shapes: out[i] = op(a[i or 0]) · op(b[i or 0]) for i < batch. Strides in elements. */
interface MatmulPlan {
  batch: number; M: number; N: number; K: number;
  tA: boolean; tB: boolean;
  /** Row strides of a and b as stored (their last dims). */
  lda: number; ldb: number;
  /** Elements between batch slices; 0 when that side is shared by every batch (2-D or batch 1). */
  aStride: number; bStride: number;
  outShape: number[];
}

function plan(a: Tensor, b: Tensor, tA: boolean, tB: boolean): MatmulPlan {
  for (const [t, arg] of [[a, 'a'], [b, 'b']] as const) {
    if (t.rank !== 2 && t.rank !== 3) {
      throw new ShapeError(`matmul: ${arg} must be rank 2 or 3 (a matrix or a batch of matrices), got shape ${fmtShape(t.shape)}`);
    }
  }
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const [M, K] = tA ? [ac, ar] : [ar, ac];
  const [K2, N] = tB ? [bc, br] : [br, bc];
  if (K !== K2) {
    throw new ShapeError(`matmul: inner dimensions differ: a ${fmtShape(a.shape)} (transposeA ${tA}) vs b ${fmtShape(b.shape)} (transposeB ${tB})`);
  }
  const aBatch = a.rank === 3 ? a.shape[0] : 1;
  const bBatch = b.rank === 3 ? b.shape[0] : 1;
  if (a.rank === 3 && b.rank === 3 && aBatch !== bBatch && aBatch !== 1 && bBatch !== 1) {
    throw new ShapeError(`matmul: batch dimensions differ: a ${fmtShape(a.shape)} vs b ${fmtShape(b.shape)} (they must be equal, or one of them 1 or absent)`);
  }
  const batch = a.rank === 3 && b.rank === 3 ? Math.max(aBatch, bBatch) : a.rank === 3 ? aBatch : bBatch;
  const outShape = a.rank === 3 || b.rank === 3 ? [batch, M, N] : [M, N];
  return {
    batch, M, N, K, tA, tB, lda: ac, ldb: bc,
    aStride: aBatch === batch && a.rank === 3 ? M * K : 0,
    bStride: bBatch === batch && b.rank === 3 ? K * N : 0,
    outShape,
  };
}

function flag(v: unknown, name: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ValueError(`matmul: ${name} must be a boolean, got ${describe(v)}`);
  return v;
}

/**
 * op(c[i]) = op(a[i]) · op(b[i]) for i < batch, one GEMM per slice (pointers in bytes, strides
 * in elements). cStride 0 sums every slice's product into c, in batch order.
 */
function gemmBatched(batch: number, tA: boolean, tB: boolean, M: number, N: number, K: number,
                     a: number, lda: number, aStride: number, b: number, ldb: number, bStride: number,
                     c: number, ldc: number, cStride: number): void {
  const k = kernels();
  if (batch === 0 || (cStride === 0 && (M === 0 || N === 0))) {
    if (cStride === 0) k.fill(c, M * N, 0);
    return;
  }
  for (let i = 0; i < batch; i++) {
    const accumulate = cStride === 0 && i > 0;
    gemm(tA, tB, M, N, K, a + 4 * i * aStride, lda, b + 4 * i * bStride, ldb, c + 4 * i * cStride, ldc, accumulate);
  }
}

/**
 * Matrix product: op(a) · op(b), with op = transpose when `transposeA` / `transposeB` is set.
 * a [M,K] · b [K,N] → [M,N]; batched [B,M,K] · [B,K,N] → [B,M,N]; a 2-D side (or batch 1) is
 * shared by every batch, as in tfjs and NumPy.
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  a = asFloat(a, 'matmul', 'a');
  b = asFloat(b, 'matmul', 'b');
  if (options === null || typeof options !== 'object') {
    throw new ValueError(`matmul: options must be an object like {transposeA, transposeB}, got ${describe(options)}`);
  }
  const p = plan(a, b, flag(options.transposeA, 'transposeA'), flag(options.transposeB, 'transposeB'));
  const { batch, M, N, K, tA, tB, lda, ldb, aStride, bStride } = p;
  const out = Tensor.empty(p.outShape);
  if (aStride !== 0 && bStride === 0 && !tA) {
    // Shared B under a stack of row-major A: one GEMM over all batch * M rows.
    gemmBatched(1, false, tB, batch * M, N, K, a.ptr, lda, 0, b.ptr, ldb, 0, out.ptr, N, 0);
  } else {
    gemmBatched(batch, tA, tB, M, N, K, a.ptr, lda, aStride, b.ptr, ldb, bStride, out.ptr, N, M * N);
  }
  return record('matmul', out, [a, b], (g) => {
    // With opA = op(a), opB = op(b): d opA = g · opB^T [M,K] and d opB = opA^T · g [K,N];
    // a transposed input gets the transpose of its d op. Shared sides sum over the batch.
    const ga = a.requiresGrad ? Tensor.empty(a.shape) : null;
    const gb = b.requiresGrad ? Tensor.empty(b.shape) : null;
    const gaStride = aStride === 0 ? 0 : M * K;
    const gbStride = bStride === 0 ? 0 : K * N;
    if (ga) {
      if (!tA) {
        // ga = g · opB^T; with a shared by the batch and b too, still one slice per batch (summed).
        if (aStride !== 0 && bStride === 0) {
          gemmBatched(1, false, !tB, batch * M, K, N, g.ptr, N, 0, b.ptr, ldb, 0, ga.ptr, K, 0);
        } else {
          gemmBatched(batch, false, !tB, M, K, N, g.ptr, N, M * N, b.ptr, ldb, bStride, ga.ptr, K, gaStride);
        }
      } else {
        // a is [K,M]: ga = (g · opB^T)^T = opB · g^T.
        gemmBatched(batch, tB, true, K, M, N, b.ptr, ldb, bStride, g.ptr, N, M * N, ga.ptr, M, gaStride);
      }
    }
    if (gb) {
      if (!tB) {
        // gb = opA^T · g; a shared B under row-major A folds the batch into the reduction.
        if (aStride !== 0 && bStride === 0 && !tA) {
          gemmBatched(1, true, false, K, N, batch * M, a.ptr, lda, 0, g.ptr, N, 0, gb.ptr, N, 0);
        } else {
          gemmBatched(batch, !tA, false, K, N, M, a.ptr, lda, aStride, g.ptr, N, M * N, gb.ptr, N, gbStride);
        }
      } else {
        // b is [N,K]: gb = (opA^T · g)^T = g^T · opA.
        if (aStride !== 0 && bStride === 0 && !tA) {
          gemmBatched(1, true, false, N, K, batch * M, g.ptr, N, 0, a.ptr, lda, 0, gb.ptr, K, 0);
        } else {
          gemmBatched(batch, true, tA, N, K, M, g.ptr, N, M * N, a.ptr, lda, aStride, gb.ptr, K, gbStride);
        }
      }
    }
    return [ga, gb];
  });
}
