// The Winograd F(2x2, 3x3) input transform, shared by the forward convolution (winograd.ts) and
// the weight gradient (winograd-filter.ts), and the 2x2 output tiles' geometry every Winograd
// kernel walks (also winograd5.ts); not a kernel export.
import { off } from '../simd';
import { ConvArgs } from './args';
import { Activation } from '../activation';

/** Number of 2x2 output tiles of one image (odd output sizes round up). */
@inline function tilesPerImage(a: ConvArgs): i32 {
  return ((a.outH + 1) >> 1) * ((a.outW + 1) >> 1);
}

/** Number of 2x2 output tiles of the batch. */
@inline export function winoTileCount(a: ConvArgs): i32 {
  return a.batch * tilesPerImage(a);
}

/** The image of tile t (tiles go image by image, row by row). */
@inline export function tileImage(a: ConvArgs, t: i32): i32 {
  return t / tilesPerImage(a);
}

/** The top output row of tile t. */
@inline export function tileRow(a: ConvArgs, t: i32): i32 {
  return 2 * ((t % tilesPerImage(a)) / ((a.outW + 1) >> 1));
}

/** The left output column of tile t. */
@inline export function tileCol(a: ConvArgs, t: i32): i32 {
  return 2 * (t % ((a.outW + 1) >> 1));
}

/**
 * One 2x2 output tile of four channels: y = bias + the tile's sums (relu when act is Relu), stored
 * at q for the pixels inside the output (pixB, rowB: one pixel and one row in bytes).
 */
@inline export function storeOutputTile(q: usize, pixB: usize, rowB: usize, row1: bool, col1: bool, act: i32,
                                        vb: v128, s0: v128, s1: v128, s2: v128, s3: v128): void {
  let y0 = f32x4.add(vb, s0), y1 = f32x4.add(vb, s1), y2 = f32x4.add(vb, s2), y3 = f32x4.add(vb, s3);
  if (act == Activation.Relu) {
    const zero = f32x4.splat(0);
    y0 = f32x4.max(y0, zero); y1 = f32x4.max(y1, zero); y2 = f32x4.max(y2, zero); y3 = f32x4.max(y3, zero);
  }
  v128.store(q, y0);
  if (col1) v128.store(q + pixB, y1);
  if (row1) {
    v128.store(q + rowB, y2);
    if (col1) v128.store(q + rowB + pixB, y3);
  }
}

/** Bit i set where start + i is inside [0, size), for i < taps: a tile's rows or columns that read x. */
@inline export function inBoundsMask(start: i32, taps: i32, size: i32): i32 {
  let mask = 0;
  for (let i = 0; i < taps; i++) if (<u32>(start + i) < <u32>size) mask |= 1 << i;
  return mask;
}

/** V[r][4i+j][c] = (B^T d B)[i][j] for the 4x4 input patch d of tile t0+r (zeros outside x). */
export function winoInput(a: ConvArgs, x: usize, V: usize, t0: i32, tc: i32): void {
  const H = a.inH, W = a.inW, C = a.inC;
  const zero = f32x4.splat(0);
  const rowB = off(W * C), colB = off(C), eB = off(C);
  for (let r = 0; r < tc; r++) {
    const t = t0 + r, n = tileImage(a, t);
    const r0 = tileRow(a, t) - a.padTop, c0 = tileCol(a, t) - a.padLeft;
    const rowMask = inBoundsMask(r0, 4, H), colMask = inBoundsMask(c0, 4, W);
    const base = x + off(((n * H + r0) * W + c0) * C);
    const vt = V + (<usize>r * 16 * C << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const bc = base + off(c), vc = vt + off(c);
      // B^T d (B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]) row by row in registers, each row
      // then times B (storeRowB): the scalar tail's operations without a round trip through V.
      const m0 = colMask & 1 ? rowMask : 0, m1 = (colMask >> 1) & 1 ? rowMask : 0;
      const m2 = (colMask >> 2) & 1 ? rowMask : 0, m3 = (colMask >> 3) & 1 ? rowMask : 0;
      const p1 = bc + colB, p2 = p1 + colB, p3 = p2 + colB;
      const d20 = m0 & 4 ? v128.load(bc + 2 * rowB) : zero, d21 = m1 & 4 ? v128.load(p1 + 2 * rowB) : zero;
      const d22 = m2 & 4 ? v128.load(p2 + 2 * rowB) : zero, d23 = m3 & 4 ? v128.load(p3 + 2 * rowB) : zero;
      const d10 = m0 & 2 ? v128.load(bc + rowB) : zero, d11 = m1 & 2 ? v128.load(p1 + rowB) : zero;
      const d12 = m2 & 2 ? v128.load(p2 + rowB) : zero, d13 = m3 & 2 ? v128.load(p3 + rowB) : zero;
      storeRowB(vc, eB, 0, f32x4.sub(m0 & 1 ? v128.load(bc) : zero, d20), f32x4.sub(m1 & 1 ? v128.load(p1) : zero, d21),
        f32x4.sub(m2 & 1 ? v128.load(p2) : zero, d22), f32x4.sub(m3 & 1 ? v128.load(p3) : zero, d23));
      storeRowB(vc, eB, 1, f32x4.add(d10, d20), f32x4.add(d11, d21), f32x4.add(d12, d22), f32x4.add(d13, d23));
      storeRowB(vc, eB, 2, f32x4.sub(d20, d10), f32x4.sub(d21, d11), f32x4.sub(d22, d12), f32x4.sub(d23, d13));
      storeRowB(vc, eB, 3, f32x4.sub(d10, m0 & 8 ? v128.load(bc + 3 * rowB) : zero), f32x4.sub(d11, m1 & 8 ? v128.load(p1 + 3 * rowB) : zero),
        f32x4.sub(d12, m2 & 8 ? v128.load(p2 + 3 * rowB) : zero), f32x4.sub(d13, m3 & 8 ? v128.load(p3 + 3 * rowB) : zero));
    }
    for (; c < C; c++) {
      const bc = base + off(c), vc = vt + off(c);
      // Pass 1, per column j: (B^T d)[.][j]; pass 2, per row i: (. B)[i][.].
      for (let j = 0; j < 4; j++) {
        const okc = (colMask >> j) & 1;
        const pj = bc + <usize>j * colB;
        const d0: f32 = okc & rowMask ? load<f32>(pj) : 0;
        const d1: f32 = okc & (rowMask >> 1) ? load<f32>(pj + rowB) : 0;
        const d2: f32 = okc & (rowMask >> 2) ? load<f32>(pj + 2 * rowB) : 0;
        const d3: f32 = okc & (rowMask >> 3) ? load<f32>(pj + 3 * rowB) : 0;
        const q = vc + <usize>j * eB;
        store<f32>(q, d0 - d2);
        store<f32>(q + 4 * eB, d1 + d2);
        store<f32>(q + 8 * eB, d2 - d1);
        store<f32>(q + 12 * eB, d1 - d3);
      }
      for (let i = 0; i < 4; i++) {
        const q = vc + <usize>(4 * i) * eB;
        const s0 = load<f32>(q), s1 = load<f32>(q + eB), s2 = load<f32>(q + 2 * eB), s3 = load<f32>(q + 3 * eB);
        store<f32>(q, s0 - s2);
        store<f32>(q + eB, s1 + s2);
        store<f32>(q + 2 * eB, s2 - s1);
        store<f32>(q + 3 * eB, s1 - s3);
      }
    }
  }
}

/** Row i of (B^T d) B from row i of B^T d: [s0 - s2, s1 + s2, s2 - s1, s1 - s3] at positions 4i .. 4i+3. */
@inline function storeRowB(vc: usize, eB: usize, i: i32, s0: v128, s1: v128, s2: v128, s3: v128): void {
  const q = vc + <usize>(4 * i) * eB;
  v128.store(q, f32x4.sub(s0, s2));
  v128.store(q + eB, f32x4.add(s1, s2));
  v128.store(q + 2 * eB, f32x4.sub(s2, s1));
  v128.store(q + 3 * eB, f32x4.sub(s1, s3));
}
