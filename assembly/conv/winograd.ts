// Winograd F(2x2, 3x3) convolution: the weight transform, and the forward over chunks of tiles.
// For 3x3 kernels at stride 1, dilation 1, one group: each 2x2 output tile is A^T [ (G g G^T) .*
// (B^T d B) ] A, so the 36 multiply-adds per (tile, ci, co) of the direct form become 16, done as
// 16 GEMMs (one per transformed position e) of V[e] [tiles x C] by U[e] [C x CO]. The transforms
// use only 0, +-1 and +-1/2, so rounding stays close to the direct form. Tiles go in chunks:
// V holds [tiles][16][C] and M [tiles][16][CO], so each GEMM reads/writes them with a row stride.
import { gemm } from '../gemm';
import { Activation } from '../activation';
import { off } from '../simd';
import { ConvArgs } from './args';
import { storeOutputTile, winoInput, winoTileCount, tileImage, tileRow, tileCol } from './winograd-input';
import { winogradProducts } from './winograd-products';

/**
 * U[e][k][j] = (G g G^T)[e] for the 3x3 kernel g of input channel k and output channel j.
 * flip = 1 builds the weights of the backward-input convolution instead: kernel rotated by 180
 * degrees with input and output channels swapped (k over CO, j over C).
 */
export function winogradWeights(w: usize, U: usize, C: i32, CO: i32, flip: i32): void {
  const KA = flip ? CO : C, NB = flip ? C : CO;
  const plane = <usize>KA * NB << 2;
  // Taps of one (k, j): 9 floats `step` bytes apart; j is SIMD lanes, 4 consecutive output
  // columns of U (stride jStep in w): every lane does the scalar tail's exact float operations.
  const step = flip ? -(<isize>C * CO << 2) : (<isize>C * CO << 2);
  const jStep: usize = flip ? off(CO) : 4;
  for (let k = 0; k < KA; k++) {
    let j = 0;
    for (; j + 4 <= NB; j += 4) {
      // g[r][s]: w[r][s][k][j], or w[2-r][2-s][j][k] when flipped.
      const p = flip ? w + off(8 * C * CO + j * CO + k) : w + off(k * CO + j);
      const g00 = loadTap(p, 0, step, jStep, flip), g01 = loadTap(p, 1, step, jStep, flip), g02 = loadTap(p, 2, step, jStep, flip);
      const g10 = loadTap(p, 3, step, jStep, flip), g11 = loadTap(p, 4, step, jStep, flip), g12 = loadTap(p, 5, step, jStep, flip);
      const g20 = loadTap(p, 6, step, jStep, flip), g21 = loadTap(p, 7, step, jStep, flip), g22 = loadTap(p, 8, step, jStep, flip);
      const half = f32x4.splat(0.5);
      // t = G g (4 x 3), G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
      const t10 = f32x4.mul(f32x4.add(f32x4.add(g00, g10), g20), half);
      const t11 = f32x4.mul(f32x4.add(f32x4.add(g01, g11), g21), half);
      const t12 = f32x4.mul(f32x4.add(f32x4.add(g02, g12), g22), half);
      const t20 = f32x4.mul(f32x4.add(f32x4.sub(g00, g10), g20), half);
      const t21 = f32x4.mul(f32x4.add(f32x4.sub(g01, g11), g21), half);
      const t22 = f32x4.mul(f32x4.add(f32x4.sub(g02, g12), g22), half);
      const q = U + off(k * NB + j);
      storeRowGx4(q, plane, 0, g00, g01, g02);
      storeRowGx4(q, plane, 1, t10, t11, t12);
      storeRowGx4(q, plane, 2, t20, t21, t22);
      storeRowGx4(q, plane, 3, g20, g21, g22);
    }
    for (; j < NB; j++) {
      const p = flip ? w + off(8 * C * CO + j * CO + k) : w + off(k * CO + j);
      const g00 = load<f32>(p), g01 = load<f32>(p + step), g02 = load<f32>(p + 2 * step);
      const g10 = load<f32>(p + 3 * step), g11 = load<f32>(p + 4 * step), g12 = load<f32>(p + 5 * step);
      const g20 = load<f32>(p + 6 * step), g21 = load<f32>(p + 7 * step), g22 = load<f32>(p + 8 * step);
      const t10 = (g00 + g10 + g20) * 0.5, t11 = (g01 + g11 + g21) * 0.5, t12 = (g02 + g12 + g22) * 0.5;
      const t20 = (g00 - g10 + g20) * 0.5, t21 = (g01 - g11 + g21) * 0.5, t22 = (g02 - g12 + g22) * 0.5;
      const q = U + off(k * NB + j);
      storeRowG(q, plane, 0, g00, g01, g02);
      storeRowG(q, plane, 1, t10, t11, t12);
      storeRowG(q, plane, 2, t20, t21, t22);
      storeRowG(q, plane, 3, g20, g21, g22);
    }
  }
}

/** Tap i of four consecutive j: one vector load, or (flipped: j is w's slower axis) four lanes. */
@inline function loadTap(p: usize, i: i32, step: isize, jStep: usize, flip: i32): v128 {
  const a = p + <usize>(<isize>i * step);
  if (!flip) return v128.load(a);
  let v = f32x4.splat(load<f32>(a));
  v = f32x4.replace_lane(v, 1, load<f32>(a + jStep));
  v = f32x4.replace_lane(v, 2, load<f32>(a + 2 * jStep));
  return f32x4.replace_lane(v, 3, load<f32>(a + 3 * jStep));
}

/** Row i of t G^T: [t0, (t0+t1+t2)/2, (t0-t1+t2)/2, t2] into U[4i .. 4i+3]. */
@inline function storeRowG(q: usize, plane: usize, i: i32, t0: f32, t1: f32, t2: f32): void {
  const p = q + <usize>(4 * i) * plane;
  store<f32>(p, t0);
  store<f32>(p + plane, (t0 + t1 + t2) * 0.5);
  store<f32>(p + 2 * plane, (t0 - t1 + t2) * 0.5);
  store<f32>(p + 3 * plane, t2);
}

/** storeRowG for four consecutive j. */
@inline function storeRowGx4(q: usize, plane: usize, i: i32, t0: v128, t1: v128, t2: v128): void {
  const p = q + <usize>(4 * i) * plane;
  const half = f32x4.splat(0.5);
  v128.store(p, t0);
  v128.store(p + plane, f32x4.mul(f32x4.add(f32x4.add(t0, t1), t2), half));
  v128.store(p + 2 * plane, f32x4.mul(f32x4.add(f32x4.sub(t0, t1), t2), half));
  v128.store(p + 3 * plane, t2);
}

/** Bytes of U for C input and CO output channels. */
export function winogradWeightsBytes(C: i32, CO: i32): i32 {
  return 16 * C * CO * 4;
}

/**
 * Output channels [co0, co1) of y = conv2d(x, w) (+ bias, relu) for a 3x3 kernel, stride 1,
 * dilation 1, one group, any padding, with U from winogradWeights. V and Mb hold
 * tilesPerChunk*16*C and tilesPerChunk*16*(co1 - co0) floats. A channel range computes its
 * columns of the same GEMMs, so its outputs have the bits of the whole conv's (threads split a
 * small map by channels: each reads only its columns of U). direct = 1 (the whole channel range,
 * CO a multiple of 8) multiplies without packing (winograd-products.ts): same bits.
 */
export function conv2dWinograd(args: usize, x: usize, U: usize, bias: usize, y: usize, act: i32,
                               V: usize, Mb: usize, tilesPerChunk: i32, work: usize, direct: i32,
                               co0: i32, co1: i32): void {
  const a = changetype<ConvArgs>(args);
  const C = a.inC, CO = a.outC, nco = co1 - co0;
  assert(0 <= co0 && co0 <= co1 && co1 <= CO && (!direct || nco == CO));
  const T = winoTileCount(a);
  for (let t0 = 0; t0 < T; t0 += tilesPerChunk) {
    const tc = min(tilesPerChunk, T - t0);
    winoInput(a, x, V, t0, tc);
    if (direct) winogradProducts(V, U, Mb, tc, C, CO);
    else for (let e = 0; e < 16; e++) {
      gemm(0, 0, tc, nco, C, V + off(e * C), 16 * C, U + (<usize>(e * C * CO + co0) << 2), CO, Mb + off(e * nco), 16 * nco,
        0, 0, Activation.None, work);
    }
    winoOutput(a, Mb, bias, y, act, t0, tc, co0, nco);
  }
}

/**
 * y tile = A^T m A (+ bias, relu), A^T = [1 1 1 0; 0 1 -1 -1], for output channels [co0, co0 + nco)
 * (Mb holds just those); the bottom/right of odd sizes clipped.
 */
function winoOutput(a: ConvArgs, Mb: usize, bias: usize, y: usize, act: i32, t0: i32, tc: i32, co0: i32, nco: i32): void {
  const Ho = a.outH, Wo = a.outW, CO = a.outC;
  const zero = f32x4.splat(0);
  // eB: one transformed position in Mb; pixB, rowB: one output pixel and row in y.
  const eB = off(nco), pixB = off(CO), rowB = off(Wo * CO);
  const biasC = bias ? bias + off(co0) : 0;
  for (let r = 0; r < tc; r++) {
    const t = t0 + r, n = tileImage(a, t), oh = tileRow(a, t), ow = tileCol(a, t);
    const row1 = oh + 1 < Ho, col1 = ow + 1 < Wo;
    const mt = Mb + (<usize>r * 16 * nco << 2);
    const y00 = y + off(((n * Ho + oh) * Wo + ow) * CO + co0);
    let c = 0;
    for (; c + 4 <= nco; c += 4) {
      const p = mt + off(c);
      // s = A^T m, column by column: s0j = m0j + m1j + m2j, s1j = m1j - m2j - m3j.
      let m0 = v128.load(p), m1 = v128.load(p + 4 * eB), m2 = v128.load(p + 8 * eB), m3 = v128.load(p + 12 * eB);
      const s00 = f32x4.add(f32x4.add(m0, m1), m2), s10 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(p + eB); m1 = v128.load(p + 5 * eB); m2 = v128.load(p + 9 * eB); m3 = v128.load(p + 13 * eB);
      const s01 = f32x4.add(f32x4.add(m0, m1), m2), s11 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(p + 2 * eB); m1 = v128.load(p + 6 * eB); m2 = v128.load(p + 10 * eB); m3 = v128.load(p + 14 * eB);
      const s02 = f32x4.add(f32x4.add(m0, m1), m2), s12 = f32x4.sub(f32x4.sub(m1, m2), m3);
      m0 = v128.load(p + 3 * eB); m1 = v128.load(p + 7 * eB); m2 = v128.load(p + 11 * eB); m3 = v128.load(p + 15 * eB);
      const s03 = f32x4.add(f32x4.add(m0, m1), m2), s13 = f32x4.sub(f32x4.sub(m1, m2), m3);
      // Y = s A: Yi0 = si0 + si1 + si2, Yi1 = si1 - si2 - si3.
      storeOutputTile(y00 + off(c), pixB, rowB, row1, col1, act, biasC ? v128.load(biasC + off(c)) : zero,
        f32x4.add(f32x4.add(s00, s01), s02), f32x4.sub(f32x4.sub(s01, s02), s03),
        f32x4.add(f32x4.add(s10, s11), s12), f32x4.sub(f32x4.sub(s11, s12), s13));
    }
    for (; c < nco; c++) {
      const p = mt + off(c);
      const s00 = load<f32>(p) + load<f32>(p + 4 * eB) + load<f32>(p + 8 * eB);
      const s10 = load<f32>(p + 4 * eB) - load<f32>(p + 8 * eB) - load<f32>(p + 12 * eB);
      const s01 = load<f32>(p + eB) + load<f32>(p + 5 * eB) + load<f32>(p + 9 * eB);
      const s11 = load<f32>(p + 5 * eB) - load<f32>(p + 9 * eB) - load<f32>(p + 13 * eB);
      const s02 = load<f32>(p + 2 * eB) + load<f32>(p + 6 * eB) + load<f32>(p + 10 * eB);
      const s12 = load<f32>(p + 6 * eB) - load<f32>(p + 10 * eB) - load<f32>(p + 14 * eB);
      const s03 = load<f32>(p + 3 * eB) + load<f32>(p + 7 * eB) + load<f32>(p + 11 * eB);
      const s13 = load<f32>(p + 7 * eB) - load<f32>(p + 11 * eB) - load<f32>(p + 15 * eB);
      const b: f32 = biasC ? load<f32>(biasC + off(c)) : 0;
      let y0 = b + (s00 + s01 + s02), y1 = b + (s01 - s02 - s03);
      let y2 = b + (s10 + s11 + s12), y3 = b + (s11 - s12 - s13);
      if (act == Activation.Relu) { y0 = max(y0, <f32>0); y1 = max(y1, <f32>0); y2 = max(y2, <f32>0); y3 = max(y3, <f32>0); }
      const q = y00 + off(c);
      store<f32>(q, y0);
      if (col1) store<f32>(q + pixB, y1);
      if (row1) {
        store<f32>(q + rowB, y2);
        if (col1) store<f32>(q + rowB + pixB, y3);
      }
    }
  }
}
