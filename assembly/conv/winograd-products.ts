// The 16 products of Winograd's transformed domain, M[t][e] = V[t][e] · U[e] for a chunk of tiles,
// without the GEMM's packing. With few channels (C, CO <= 32) each GEMM is short (K = C) and narrow
// (N = CO), so packing A into broadcast panels and B into column panels costs as much as the
// multiply-adds; here A is broadcast straight from V (v128.load32_splat) and B read from U in
// place (U[e] stays in L1). 4 tiles x 8 output channels per register tile.
// Order of operations per element is gemm's (start from 0, add the products in increasing k,
// `madd`), so the results are bit-identical to the 16 gemm calls this replaces.
import { madd } from '../simd';

/** V: [tc][16][C], U: [16][C][CO], M: [tc][16][CO]; CO a multiple of 8. */
export function winogradProducts(V: usize, U: usize, Mb: usize, tc: i32, C: i32, CO: i32): void {
  const vRow = <usize>(16 * C) << 2, mRow = <usize>(16 * CO) << 2, uRow = <usize>CO << 2;
  for (let e = 0; e < 16; e++) {
    const ve = V + (<usize>(e * C) << 2), me = Mb + (<usize>(e * CO) << 2), ue = U + (<usize>(e * C * CO) << 2);
    let t = 0;
    for (; t + 4 <= tc; t += 4) productTile4(ve + <usize>t * vRow, vRow, ue, uRow, me + <usize>t * mRow, mRow, C, CO);
    for (; t < tc; t++) productRow(ve + <usize>t * vRow, ue, uRow, me + <usize>t * mRow, C, CO);
  }
}

/** Four tiles' rows (a, a + aStep, ...) times U[e], 8 output channels at a time. */
@inline function productTile4(a0: usize, aStep: usize, b0: usize, bStep: usize, c0: usize, cStep: usize, K: i32, N: i32): void {
  const a1 = a0 + aStep, a2 = a1 + aStep, a3 = a2 + aStep;
  const c1 = c0 + cStep, c2 = c1 + cStep, c3 = c2 + cStep;
  const kEnd = <usize>K << 2;
  for (let j = 0; j < N; j += 8) {
    const zero = f32x4.splat(0);
    let s0l = zero, s0h = zero, s1l = zero, s1h = zero, s2l = zero, s2h = zero, s3l = zero, s3h = zero;
    let b = b0 + (<usize>j << 2);
    for (let k: usize = 0; k < kEnd; k += 4) {
      const bl = v128.load(b), bh = v128.load(b, 16);
      const x0 = v128.load32_splat(a0 + k);
      s0l = madd(x0, bl, s0l); s0h = madd(x0, bh, s0h);
      const x1 = v128.load32_splat(a1 + k);
      s1l = madd(x1, bl, s1l); s1h = madd(x1, bh, s1h);
      const x2 = v128.load32_splat(a2 + k);
      s2l = madd(x2, bl, s2l); s2h = madd(x2, bh, s2h);
      const x3 = v128.load32_splat(a3 + k);
      s3l = madd(x3, bl, s3l); s3h = madd(x3, bh, s3h);
      b += bStep;
    }
    const q = <usize>j << 2;
    v128.store(c0 + q, s0l); v128.store(c0 + q, s0h, 16);
    v128.store(c1 + q, s1l); v128.store(c1 + q, s1h, 16);
    v128.store(c2 + q, s2l); v128.store(c2 + q, s2h, 16);
    v128.store(c3 + q, s3l); v128.store(c3 + q, s3h, 16);
  }
}

/** One tile's row times U[e] (the last tiles of a chunk). */
@inline function productRow(a: usize, b0: usize, bStep: usize, c: usize, K: i32, N: i32): void {
  const kEnd = <usize>K << 2;
  for (let j = 0; j < N; j += 8) {
    let sl = f32x4.splat(0), sh = f32x4.splat(0);
    let b = b0 + (<usize>j << 2);
    for (let k: usize = 0; k < kEnd; k += 4) {
      const x = v128.load32_splat(a + k);
      sl = madd(x, v128.load(b), sl); sh = madd(x, v128.load(b, 16), sh);
      b += bStep;
    }
    v128.store(c + (<usize>j << 2), sl); v128.store(c + (<usize>j << 2), sh, 16);
  }
}
