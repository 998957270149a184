// Winograd F(3x3, 2x2) gradient of a 3x3 stride-1 convolution's weights. The forward tile is
// y = A^T [ U .* V ] A with U = G g G^T and V = B^T d B, so dL/dg = G^T [ sum over tiles of
// V .* (A dy A^T) ] G: per transformed position e a product V[e]ᵀ [C x tiles] · D[e] [tiles x CO]
// summed over every tile of the batch. That is 16 GEMMs with the tiles as their reduction (16
// multiply-adds per (tile, ci, co) against 36 for im2col), then one output transform. Tiles go in
// chunks of fixed size, each chunk's product added to the running sum in chunk order; a thread
// owns whole positions e (all tiles, all chunks), so the sums do not depend on the thread count.
import { gemm } from '../gemm';
import { Activation } from '../activation';
import { off } from '../simd';
import { ConvArgs } from './args';
import { winoInput, winoTileCount, tileImage, tileRow, tileCol } from './winograd-input';

/**
 * Positions e0 .. e1 of the transformed weight gradient: Macc[e][ci][co] = sum over tiles of
 * V[e][ci] * D[e][co]. V and D hold tilesPerChunk*16*C and tilesPerChunk*16*CO floats, `work`
 * gemmWorkspaceBytes(C, CO, tilesPerChunk) bytes.
 */
export function conv2dWinogradFilter(args: usize, x: usize, dy: usize, Macc: usize,
                                     V: usize, D: usize, tilesPerChunk: i32, work: usize, e0: i32, e1: i32): void {
  const a = changetype<ConvArgs>(args);
  const tiles = winoTileCount(a);
  for (let t0 = 0; t0 < tiles; t0 += tilesPerChunk) {
    const tc = min(tilesPerChunk, tiles - t0);
    winoInput(a, x, V, t0, tc);
    winoGradOutput(a, dy, D, t0, tc);
    const C = a.inC, CO = a.outC;
    for (let e = e0; e < e1; e++) {
      gemm(1, 0, C, CO, tc, V + off(e * C), 16 * C, D + off(e * CO), 16 * CO, Macc + (<usize>e * C * CO << 2), CO,
        t0 > 0 ? 1 : 0, 0, Activation.None, work);
    }
  }
}

/** D[r][4i+j][co] = (A dy A^T)[i][j] for the 2x2 output-gradient tile t0+r (zeros past the bottom/right edge). */
function winoGradOutput(a: ConvArgs, dy: usize, D: usize, t0: i32, tc: i32): void {
  const Ho = a.outH, Wo = a.outW, CO = a.outC;
  const zero = f32x4.splat(0);
  const eB = off(CO), rowB = off(Wo * CO);
  for (let r = 0; r < tc; r++) {
    // Tile t covers output rows oh, oh+1 and columns ow, ow+1 of image n.
    const t = t0 + r, n = tileImage(a, t), oh = tileRow(a, t), ow = tileCol(a, t);
    const row1 = oh + 1 < Ho, col1 = ow + 1 < Wo;
    const p00 = dy + off(((n * Ho + oh) * Wo + ow) * CO);
    const dt = D + (<usize>r * 16 * CO << 2);
    let c = 0;
    for (; c + 4 <= CO; c += 4) {
      const p = p00 + off(c);
      const g00 = v128.load(p), g01 = col1 ? v128.load(p + eB) : zero;
      const g10 = row1 ? v128.load(p + rowB) : zero, g11 = row1 && col1 ? v128.load(p + rowB + eB) : zero;
      // A dy, A = [1 0; 1 1; 1 -1; 0 -1]: rows [g0j], [g0j + g1j], [g0j - g1j], [-g1j].
      const q = dt + off(c);
      rowAt4(q, eB, 0, g00, g01);
      rowAt4(q, eB, 1, f32x4.add(g00, g10), f32x4.add(g01, g11));
      rowAt4(q, eB, 2, f32x4.sub(g00, g10), f32x4.sub(g01, g11));
      rowAt4(q, eB, 3, f32x4.neg(g10), f32x4.neg(g11));
    }
    for (; c < CO; c++) {
      const p = p00 + off(c);
      const g00 = load<f32>(p), g01: f32 = col1 ? load<f32>(p + eB) : 0;
      const g10: f32 = row1 ? load<f32>(p + rowB) : 0, g11: f32 = row1 && col1 ? load<f32>(p + rowB + eB) : 0;
      const q = dt + off(c);
      rowAt(q, eB, 0, g00, g01);
      rowAt(q, eB, 1, g00 + g10, g01 + g11);
      rowAt(q, eB, 2, g00 - g10, g01 - g11);
      rowAt(q, eB, 3, -g10, -g11);
    }
  }
}

/** Row i of (row) A^T: [p, p + q, p - q, -q] at positions 4i .. 4i+3. */
@inline function rowAt(q: usize, eB: usize, i: i32, p0: f32, p1: f32): void {
  const d = q + <usize>(4 * i) * eB;
  store<f32>(d, p0);
  store<f32>(d + eB, p0 + p1);
  store<f32>(d + 2 * eB, p0 - p1);
  store<f32>(d + 3 * eB, -p1);
}

/** rowAt for four consecutive output channels. */
@inline function rowAt4(q: usize, eB: usize, i: i32, p0: v128, p1: v128): void {
  const d = q + <usize>(4 * i) * eB;
  v128.store(d, p0);
  v128.store(d + eB, f32x4.add(p0, p1));
  v128.store(d + 2 * eB, f32x4.sub(p0, p1));
  v128.store(d + 3 * eB, f32x4.neg(p1));
}

/**
 * dw[kh][kw][ci][co] = (G^T M G)[kh][kw] of Macc[e][ci][co], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1];
 * `plane` = C*CO floats (dw's and each Macc[e]'s layout match, so lanes run over the plane).
 */
export function winogradFilterOutput(Macc: usize, dw: usize, plane: i32): void {
  const pB = off(plane);
  let c = 0;
  for (; c + 4 <= plane; c += 4) {
    const m = Macc + off(c), w = dw + off(c);
    // Per column j: (G^T M)[0..2][j].
    const half = f32x4.splat(0.5);
    for (let j = 0; j < 4; j++) {
      const m0 = v128.load(m + <usize>j * pB), m1 = v128.load(m + <usize>(4 + j) * pB);
      const m2 = v128.load(m + <usize>(8 + j) * pB), m3 = v128.load(m + <usize>(12 + j) * pB);
      const sum = f32x4.mul(f32x4.add(m1, m2), half);
      // Held in Macc's row 0..2 of column j: t0 = m0 + (m1+m2)/2, t1 = (m1-m2)/2, t2 = (m1+m2)/2 + m3.
      v128.store(m + <usize>j * pB, f32x4.add(m0, sum));
      v128.store(m + <usize>(4 + j) * pB, f32x4.mul(f32x4.sub(m1, m2), half));
      v128.store(m + <usize>(8 + j) * pB, f32x4.add(sum, m3));
    }
    for (let i = 0; i < 3; i++) {
      const r = m + <usize>(4 * i) * pB;
      const t0 = v128.load(r), t1 = v128.load(r + pB), t2 = v128.load(r + 2 * pB), t3 = v128.load(r + 3 * pB);
      const sum = f32x4.mul(f32x4.add(t1, t2), half);
      const d = w + <usize>(3 * i) * pB;
      v128.store(d, f32x4.add(t0, sum));
      v128.store(d + pB, f32x4.mul(f32x4.sub(t1, t2), half));
      v128.store(d + 2 * pB, f32x4.add(sum, t3));
    }
  }
  for (; c < plane; c++) {
    const m = Macc + off(c), w = dw + off(c);
    for (let j = 0; j < 4; j++) {
      const m0 = load<f32>(m + <usize>j * pB), m1 = load<f32>(m + <usize>(4 + j) * pB);
      const m2 = load<f32>(m + <usize>(8 + j) * pB), m3 = load<f32>(m + <usize>(12 + j) * pB);
      const sum = (m1 + m2) * <f32>0.5;
      store<f32>(m + <usize>j * pB, m0 + sum);
      store<f32>(m + <usize>(4 + j) * pB, (m1 - m2) * <f32>0.5);
      store<f32>(m + <usize>(8 + j) * pB, sum + m3);
    }
    for (let i = 0; i < 3; i++) {
      const r = m + <usize>(4 * i) * pB;
      const t0 = load<f32>(r), t1 = load<f32>(r + pB), t2 = load<f32>(r + 2 * pB), t3 = load<f32>(r + 3 * pB);
      const sum = (t1 + t2) * <f32>0.5;
      const d = w + <usize>(3 * i) * pB;
      store<f32>(d, t0 + sum);
      store<f32>(d + pB, (t1 - t2) * <f32>0.5);
      store<f32>(d + 2 * pB, sum + t3);
    }
  }
}
