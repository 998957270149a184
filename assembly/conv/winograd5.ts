// Winograd F(2x2, 5x5) forward convolution for 5x5 kernels (stride 1, dilation 1, one group):
// each 2x2 output tile is A^T [ (G g G^T) .* (B^T d B) ] A over a 6x6 input patch, so the 100
// multiply-adds per (tile, ci, co) of the direct form become 36, done as 36 GEMMs (one per
// transformed position e) of V[e] [tiles x C] by U[e] [C x CO]. Interpolation points 0, +-1, +-2
// and infinity (the F(4x4, 3x3) points): B^T has entries up to 5, G fractions down to 1/24, so
// rounding is a little looser than F(2x2, 3x3)'s; the weight transform runs in f64.
// Layouts as in winograd.ts: V [tiles][36][C], M [tiles][36][CO], U [36][C][CO].
import { gemm } from '../gemm';
import { Activation } from '../activation';
import { off } from '../simd';
import { ConvArgs } from './args';
import { inBoundsMask, storeOutputTile, tileCol, tileImage, tileRow, winoTileCount } from './winograd-input';

/** Row e of G g for the five taps g0..g4 of one kernel column or row. */
@inline function gRow(e: i32, g0: f64, g1: f64, g2: f64, g3: f64, g4: f64): f64 {
  if (e == 0) return g0 * 0.25;
  if (e == 1) return -(g0 + g1 + g2 + g3 + g4) / 6;
  if (e == 2) return -(g0 - g1 + g2 - g3 + g4) / 6;
  if (e == 3) return (g0 + 2 * g1 + 4 * g2 + 8 * g3 + 16 * g4) / 24;
  if (e == 4) return (g0 - 2 * g1 + 4 * g2 - 8 * g3 + 16 * g4) / 24;
  return g4;
}

/** U[6e+f][k][j] = (G g G^T)[e][f] for the 5x5 kernel g (HWIO w) of input channel k, output channel j. */
export function winograd5Weights(w: usize, U: usize, C: i32, CO: i32): void {
  const step = <usize>C * CO << 2;
  for (let k = 0; k < C; k++) {
    for (let j = 0; j < CO; j++) {
      const p = w + off(k * CO + j);
      const q = U + off(k * CO + j);
      for (let e = 0; e < 6; e++) {
        // t[s] = (G g)[e][s]: column s of g is taps 5r+s, r = 0..4.
        const t0 = gRow(e, tap(p, step, 0), tap(p, step, 5), tap(p, step, 10), tap(p, step, 15), tap(p, step, 20));
        const t1 = gRow(e, tap(p, step, 1), tap(p, step, 6), tap(p, step, 11), tap(p, step, 16), tap(p, step, 21));
        const t2 = gRow(e, tap(p, step, 2), tap(p, step, 7), tap(p, step, 12), tap(p, step, 17), tap(p, step, 22));
        const t3 = gRow(e, tap(p, step, 3), tap(p, step, 8), tap(p, step, 13), tap(p, step, 18), tap(p, step, 23));
        const t4 = gRow(e, tap(p, step, 4), tap(p, step, 9), tap(p, step, 14), tap(p, step, 19), tap(p, step, 24));
        for (let f = 0; f < 6; f++) store<f32>(q + <usize>(6 * e + f) * step, <f32>gRow(f, t0, t1, t2, t3, t4));
      }
    }
  }
}

@inline function tap(p: usize, step: usize, i: i32): f64 {
  return <f64>load<f32>(p + <usize>i * step);
}

/** Bytes of U for C input and CO output channels. */
export function winograd5WeightsBytes(C: i32, CO: i32): i32 {
  return 36 * C * CO * 4;
}

/**
 * y = conv2d(x, w) (+ bias, relu) for a 5x5 kernel, stride 1, dilation 1, one group, any padding,
 * C and CO multiples of 4, with U from winograd5Weights. V and Mb hold tilesPerChunk*36*C and
 * tilesPerChunk*36*CO floats; `work` gemmWorkspaceBytes(tilesPerChunk, CO, C) bytes.
 */
export function conv2dWinograd5(args: usize, x: usize, U: usize, bias: usize, y: usize, act: i32,
                                V: usize, Mb: usize, tilesPerChunk: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const C = a.inC, CO = a.outC;
  const T = winoTileCount(a);
  for (let t0 = 0; t0 < T; t0 += tilesPerChunk) {
    const tc = min(tilesPerChunk, T - t0);
    wino5Input(a, x, V, t0, tc);
    for (let e = 0; e < 36; e++) {
      gemm(0, 0, tc, CO, C, V + off(e * C), 36 * C, U + (<usize>e * C * CO << 2), CO, Mb + off(e * CO), 36 * CO,
        0, 0, Activation.None, work);
    }
    wino5Output(a, Mb, bias, y, act, t0, tc);
  }
}

/** One row (or column) of B^T d: the six outputs for the six inputs d0..d5, into q + i*stride. */
@inline function storeBt(q: usize, stride: usize, d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128): void {
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2);
  // B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1]
  const a = f32x4.sub(d4, f32x4.mul(four, d2));  // d4 - 4 d2
  const b = f32x4.sub(d3, f32x4.mul(four, d1));  // d3 - 4 d1
  const c = f32x4.sub(d4, d2);                   // d4 - d2
  const e = f32x4.mul(two, f32x4.sub(d3, d1));   // 2 (d3 - d1)
  v128.store(q, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4));
  v128.store(q + stride, f32x4.add(a, b));
  v128.store(q + 2 * stride, f32x4.sub(a, b));
  v128.store(q + 3 * stride, f32x4.add(c, e));
  v128.store(q + 4 * stride, f32x4.sub(c, e));
  v128.store(q + 5 * stride, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5));
}

/** V[r][6i+j][c] = (B^T d B)[i][j] for the 6x6 input patch d of tile t0+r (zeros outside x). */
function wino5Input(a: ConvArgs, x: usize, V: usize, t0: i32, tc: i32): void {
  const H = a.inH, W = a.inW, C = a.inC;
  const zero = f32x4.splat(0);
  const rowB = off(W * C), colB = off(C), eB = off(C);
  for (let r = 0; r < tc; r++) {
    const t = t0 + r, n = tileImage(a, t);
    const r0 = tileRow(a, t) - a.padTop, c0 = tileCol(a, t) - a.padLeft;
    const rowMask = inBoundsMask(r0, 6, H), colMask = inBoundsMask(c0, 6, W);
    const base = x + off(((n * H + r0) * W + c0) * C);
    const vt = V + (<usize>r * 36 * C << 2);
    for (let c = 0; c < C; c += 4) {
      const bc = base + off(c), vc = vt + off(c);
      // Pass 1, per column j: (B^T d)[.][j] into positions 6i+j; pass 2, per row i, times B in place.
      for (let j = 0; j < 6; j++) {
        const m = (colMask >> j) & 1 ? rowMask : 0;
        const pj = bc + <usize>j * colB;
        storeBt(vc + <usize>j * eB, 6 * eB,
          m & 1 ? v128.load(pj) : zero, m & 2 ? v128.load(pj + rowB) : zero,
          m & 4 ? v128.load(pj + 2 * rowB) : zero, m & 8 ? v128.load(pj + 3 * rowB) : zero,
          m & 16 ? v128.load(pj + 4 * rowB) : zero, m & 32 ? v128.load(pj + 5 * rowB) : zero);
      }
      for (let i = 0; i < 6; i++) {
        const q = vc + <usize>(6 * i) * eB;
        storeBt(q, eB, v128.load(q), v128.load(q + eB), v128.load(q + 2 * eB),
          v128.load(q + 3 * eB), v128.load(q + 4 * eB), v128.load(q + 5 * eB));
      }
    }
  }
}

/** Column (or row) j of A^T m, A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 1]: the first output. */
@inline function at0(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.add(m0, m1), f32x4.add(m2, m3)), m4);
}
/** The second output of A^T m. */
@inline function at1(m1: v128, m2: v128, m3: v128, m4: v128, m5: v128): v128 {
  return f32x4.add(f32x4.add(f32x4.sub(m1, m2), f32x4.mul(f32x4.splat(2), f32x4.sub(m3, m4))), m5);
}

/** y tile = A^T m A (+ bias, relu); the bottom/right of odd sizes clipped. */
function wino5Output(a: ConvArgs, Mb: usize, bias: usize, y: usize, act: i32, t0: i32, tc: i32): void {
  const Ho = a.outH, Wo = a.outW, CO = a.outC;
  const zero = f32x4.splat(0);
  const eB = off(CO), rowB = off(Wo * CO), rB = 6 * eB;
  for (let r = 0; r < tc; r++) {
    const t = t0 + r, n = tileImage(a, t), oh = tileRow(a, t), ow = tileCol(a, t);
    const row1 = oh + 1 < Ho, col1 = ow + 1 < Wo;
    const mt = Mb + (<usize>r * 36 * CO << 2);
    const y00 = y + off(((n * Ho + oh) * Wo + ow) * CO);
    for (let c = 0; c < CO; c += 4) {
      const p = mt + off(c);
      // s = A^T m (2 x 6), one column j at a time, then Y = s A.
      let p0 = p;
      let m0 = v128.load(p0), m1 = v128.load(p0 + rB), m2 = v128.load(p0 + 2 * rB), m3 = v128.load(p0 + 3 * rB), m4 = v128.load(p0 + 4 * rB), m5 = v128.load(p0 + 5 * rB);
      const s00 = at0(m0, m1, m2, m3, m4), s10 = at1(m1, m2, m3, m4, m5);
      p0 += eB;
      m0 = v128.load(p0); m1 = v128.load(p0 + rB); m2 = v128.load(p0 + 2 * rB); m3 = v128.load(p0 + 3 * rB); m4 = v128.load(p0 + 4 * rB); m5 = v128.load(p0 + 5 * rB);
      const s01 = at0(m0, m1, m2, m3, m4), s11 = at1(m1, m2, m3, m4, m5);
      p0 += eB;
      m0 = v128.load(p0); m1 = v128.load(p0 + rB); m2 = v128.load(p0 + 2 * rB); m3 = v128.load(p0 + 3 * rB); m4 = v128.load(p0 + 4 * rB); m5 = v128.load(p0 + 5 * rB);
      const s02 = at0(m0, m1, m2, m3, m4), s12 = at1(m1, m2, m3, m4, m5);
      p0 += eB;
      m0 = v128.load(p0); m1 = v128.load(p0 + rB); m2 = v128.load(p0 + 2 * rB); m3 = v128.load(p0 + 3 * rB); m4 = v128.load(p0 + 4 * rB); m5 = v128.load(p0 + 5 * rB);
      const s03 = at0(m0, m1, m2, m3, m4), s13 = at1(m1, m2, m3, m4, m5);
      p0 += eB;
      m0 = v128.load(p0); m1 = v128.load(p0 + rB); m2 = v128.load(p0 + 2 * rB); m3 = v128.load(p0 + 3 * rB); m4 = v128.load(p0 + 4 * rB); m5 = v128.load(p0 + 5 * rB);
      const s04 = at0(m0, m1, m2, m3, m4), s14 = at1(m1, m2, m3, m4, m5);
      p0 += eB;
      m0 = v128.load(p0); m1 = v128.load(p0 + rB); m2 = v128.load(p0 + 2 * rB); m3 = v128.load(p0 + 3 * rB); m4 = v128.load(p0 + 4 * rB); m5 = v128.load(p0 + 5 * rB);
      const s05 = at0(m0, m1, m2, m3, m4), s15 = at1(m1, m2, m3, m4, m5);
      storeOutputTile(y00 + off(c), eB, rowB, row1, col1, act, bias ? v128.load(bias + off(c)) : zero,
        at0(s00, s01, s02, s03, s04), at1(s01, s02, s03, s04, s05), at0(s10, s11, s12, s13, s14), at1(s11, s12, s13, s14, s15));
    }
  }
}
