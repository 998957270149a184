// One row of A times B stored transposed, [N, K] (ONNX Gemm's transB weights as the file stores
// them): c[n] = (accumulate ? c : 0) + bias + sum over k of a[k] * B[n, k], then relu. gemm's
// transposed-B small-M path packs KC x NC blocks, reading a thousand rows of B 512 bytes at a
// time (a page each), which runs batch-1 dense layers at about half the memory bandwidth. Here
// four rows of B stream side by side and 4x4 blocks are transposed in registers, so each lane
// (one output) still takes gemm's operations in gemm's order (start, bias, products in
// increasing k with `madd`, relu with pmax): the bits are gemm's, for either build.
import { Activation } from './activation';
import { madd } from './simd';

/**
 * c[0:N] for N a multiple of 4: one row of op(A) (element k at a + k * kStepBytes) times op(B)
 * with B stored [N, K] (row stride ldb floats). Threads may take disjoint ranges of n.
 */
export function gemvRowBT(N: i32, K: i32, a: usize, kStepBytes: i32, b: usize, ldb: i32,
                          c: usize, accumulate: i32, bias: usize, act: i32): void {
  assert(N % 4 == 0 && K >= 0);
  const rowBytes = <usize>ldb << 2;
  const kStep = <usize>kStepBytes;
  const vzero = f32x4.splat(0);
  for (let n = 0; n < N; n += 4) {
    const cp = c + (<usize>n << 2);
    let v = accumulate != 0 ? v128.load(cp) : vzero;
    if (bias != 0) v = f32x4.add(v, v128.load(bias + (<usize>n << 2)));
    const b0 = b + <usize>n * rowBytes, b1 = b0 + rowBytes, b2 = b1 + rowBytes, b3 = b2 + rowBytes;
    let ak = a;
    let k = 0;
    for (; k + 4 <= K; k += 4) {
      const o = <usize>k << 2;
      const r0 = v128.load(b0 + o), r1 = v128.load(b1 + o), r2 = v128.load(b2 + o), r3 = v128.load(b3 + o);
      // Columns k .. k+3 of the four rows: lane i of col j is B[n+i, k+j].
      const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      v = madd(v128.load32_splat(ak), v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5), v);
      v = madd(v128.load32_splat(ak + kStep), v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7), v);
      v = madd(v128.load32_splat(ak + 2 * kStep), v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5), v);
      v = madd(v128.load32_splat(ak + 3 * kStep), v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7), v);
      ak += 4 * kStep;
    }
    for (; k < K; k++) {
      const o = <usize>k << 2;
      let col = f32x4.splat(load<f32>(b0 + o));
      col = f32x4.replace_lane(col, 1, load<f32>(b1 + o));
      col = f32x4.replace_lane(col, 2, load<f32>(b2 + o));
      col = f32x4.replace_lane(col, 3, load<f32>(b3 + o));
      v = madd(v128.load32_splat(ak), col, v);
      ak += kStep;
    }
    if (act == Activation.Relu) v = f32x4.pmax(v, vzero);
    v128.store(cp, v);
  }
}
