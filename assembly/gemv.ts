// One row of A times B stored [K, N]: c[0:N] = (accumulate ? c : 0) + bias + sum over k of
// a[k] * B[k, :], then relu. gemm's small-M kernels read B column block by column block, jumping
// a whole row of B (N floats) between loads, which defeats the hardware prefetchers on the large
// weight matrices of batch-1 dense layers (AlexNet's and VGG's 4096-wide ones). This kernel
// streams B row after row (eight rows at a time) and keeps the sums in c, in L1. Every element
// gets gemm's operations in gemm's order (start, bias, products in increasing k with `madd`,
// relu with pmax), so the bits are those of gemm for either build.
import { Activation } from './activation';
import { madd } from './simd';

/**
 * c[0:N] for N a multiple of 4: one row of op(A) (element k at a + k * kStepBytes) times
 * B [K, N] (row stride ldb floats). Threads may take disjoint column ranges.
 */
export function gemvRowB(N: i32, K: i32, a: usize, kStepBytes: i32, b: usize, ldb: i32,
                         c: usize, accumulate: i32, bias: usize, act: i32): void {
  assert(N % 4 == 0 && K >= 0);
  const nBytes = <usize>N << 2;
  const vzero = f32x4.splat(0);
  for (let j: usize = 0; j < nBytes; j += 16) {
    let v = accumulate != 0 ? v128.load(c + j) : vzero;
    if (bias != 0) v = f32x4.add(v, v128.load(bias + j));
    v128.store(c + j, v);
  }
  const rowBytes = <usize>ldb << 2;
  const kStep = <usize>kStepBytes;
  let k = 0;
  // Eight rows per pass over c: one load and one store of the sums per eight multiply-adds.
  for (; k + 8 <= K; k += 8) {
    const a0 = v128.load32_splat(a), a1 = v128.load32_splat(a + kStep);
    const a2 = v128.load32_splat(a + 2 * kStep), a3 = v128.load32_splat(a + 3 * kStep);
    const a4 = v128.load32_splat(a + 4 * kStep), a5 = v128.load32_splat(a + 5 * kStep);
    const a6 = v128.load32_splat(a + 6 * kStep), a7 = v128.load32_splat(a + 7 * kStep);
    const b0 = b, b4 = b + 4 * rowBytes;
    for (let j: usize = 0; j < nBytes; j += 16) {
      let acc = v128.load(c + j);
      acc = madd(a0, v128.load(b0 + j), acc);
      acc = madd(a1, v128.load(b0 + rowBytes + j), acc);
      acc = madd(a2, v128.load(b0 + 2 * rowBytes + j), acc);
      acc = madd(a3, v128.load(b0 + 3 * rowBytes + j), acc);
      acc = madd(a4, v128.load(b4 + j), acc);
      acc = madd(a5, v128.load(b4 + rowBytes + j), acc);
      acc = madd(a6, v128.load(b4 + 2 * rowBytes + j), acc);
      acc = madd(a7, v128.load(b4 + 3 * rowBytes + j), acc);
      v128.store(c + j, acc);
    }
    a += 8 * kStep;
    b += 8 * rowBytes;
  }
  for (; k + 4 <= K; k += 4) {
    const a0 = v128.load32_splat(a), a1 = v128.load32_splat(a + kStep);
    const a2 = v128.load32_splat(a + 2 * kStep), a3 = v128.load32_splat(a + 3 * kStep);
    const b0 = b, b1 = b + rowBytes, b2 = b + 2 * rowBytes, b3 = b + 3 * rowBytes;
    for (let j: usize = 0; j < nBytes; j += 16) {
      let acc = v128.load(c + j);
      acc = madd(a0, v128.load(b0 + j), acc);
      acc = madd(a1, v128.load(b1 + j), acc);
      acc = madd(a2, v128.load(b2 + j), acc);
      acc = madd(a3, v128.load(b3 + j), acc);
      v128.store(c + j, acc);
    }
    a += 4 * kStep;
    b += 4 * rowBytes;
  }
  for (; k < K; k++) {
    const a0 = v128.load32_splat(a);
    for (let j: usize = 0; j < nBytes; j += 16) v128.store(c + j, madd(a0, v128.load(b + j), v128.load(c + j)));
    a += kStep;
    b += rowBytes;
  }
  if (act == Activation.Relu) {
    for (let j: usize = 0; j < nBytes; j += 16) v128.store(c + j, f32x4.pmax(v128.load(c + j), vzero));
  }
}
