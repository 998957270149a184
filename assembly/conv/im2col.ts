// Convolution through GEMM: im2col lowers chunks of output rows to a column matrix (col2im is its
// adjoint), and forward, backward-input and backward-filter (whole, or split over threads by
// input rows, weight rows or output channels) are GEMMs over those chunks.
import { gemm } from '../gemm';
import { Activation } from '../activation';
import { off, copyFloats, zeroFloats, addFloats } from '../simd';
import { ConvArgs, ceilDiv } from './args';

// ---- im2col / col2im -------------------------------------------------------------------------

/**
 * The taps of output rows m0 .. m0+rows of group g against the column matrix col[r, (kh, kw, ci)]
 * (row length Kg = kH*kW*Cg). Forward (ADJOINT = false) copies x[n, ih, iw, g*Cg + ci] into col,
 * zeros where the tap falls in the padding; the adjoint adds col into x and drops padding taps.
 * Taps outside input rows [ihLo, ihHi) count as padding (another thread owns those rows of dx).
 */
@inline function walkTaps(a: ConvArgs, x: usize, col: usize, m0: i32, rows: i32, g: i32, ihLo: i32, ihHi: i32, ADJOINT: bool): void {
  const H = a.inH, W = a.inW, C = a.inC, Ho = a.outH, Wo = a.outW;
  const kH = a.kH, kW = a.kW, sh = a.strideH, sw = a.strideW, dh = a.dilH, dw = a.dilW;
  const Cg = C / a.groups;
  const runW = kW * Cg;
  // With unit dilation and one group a kernel row's taps are one contiguous run of x.
  const contiguous = dw == 1 && Cg == C;
  const spanW = (kW - 1) * dw;
  let ow = m0 % Wo;
  let t = m0 / Wo;
  let oh = t % Ho;
  let n = t / Ho;
  let p = col;
  const xg = x + off(g * Cg);
  for (let r = 0; r < rows; r++) {
    const ih0 = oh * sh - a.padTop;
    const iw0 = ow * sw - a.padLeft;
    const inside = iw0 >= 0 && iw0 + spanW < W;
    for (let kh = 0; kh < kH; kh++) {
      const ih = ih0 + kh * dh;
      if (<u32>(ih - ihLo) < <u32>(ihHi - ihLo)) {
        const rowBase = (n * H + ih) * W;
        if (inside && contiguous) {
          if (ADJOINT) addFloats(xg + off((rowBase + iw0) * C), p, runW);
          else copyFloats(p, xg + off((rowBase + iw0) * C), runW);
        } else if (!ADJOINT && Cg == 1) {
          for (let kw = 0; kw < kW; kw++) {
            const iw = iw0 + kw * dw;
            store<f32>(p + off(kw), <u32>iw < <u32>W ? load<f32>(xg + off((rowBase + iw) * C)) : <f32>0);
          }
        } else {
          for (let kw = 0; kw < kW; kw++) {
            const iw = iw0 + kw * dw;
            if (<u32>iw < <u32>W) {
              if (ADJOINT) addFloats(xg + off((rowBase + iw) * C), p + off(kw * Cg), Cg);
              else copyFloats(p + off(kw * Cg), xg + off((rowBase + iw) * C), Cg);
            } else if (!ADJOINT) {
              zeroFloats(p + off(kw * Cg), Cg);
            }
          }
        }
      } else if (!ADJOINT) {
        zeroFloats(p, runW);
      }
      p += off(runW);
    }
    if (++ow == Wo) { ow = 0; if (++oh == Ho) { oh = 0; n++; } }
  }
}

/** col[r, (kh, kw, ci)] = x[n, ih, iw, g*Cg + ci] for output rows m0 .. m0+rows of group g, zero in the padding. */
function im2col(a: ConvArgs, x: usize, col: usize, m0: i32, rows: i32, g: i32): void {
  walkTaps(a, x, col, m0, rows, g, 0, a.inH, false);
}

/** The adjoint of im2col: dx[n, ih, iw, g*Cg + ci] += col[r, (kh, kw, ci)] for input rows [ihLo, ihHi). */
function col2im(a: ConvArgs, col: usize, dx: usize, m0: i32, rows: i32, g: i32, ihLo: i32, ihHi: i32): void {
  walkTaps(a, dx, col, m0, rows, g, ihLo, ihHi, true);
}

// ---- GEMM-based convolution ------------------------------------------------------------------
// M = batch*outH*outW output rows, per group K = kH*kW*Cg and N = Og = outC/groups.
// `col` holds chunkRows*K floats, or is 0 where the host found the conv pointwise (1x1, stride 1,
// unpadded: src/ops/conv/algorithm.ts isPointwise), and x is read as the GEMM's A directly; `work` is the GEMM's workspace for the largest call the host
// sizes (gemmWorkspaceBytes). Chunks run in row order, so results do not depend on chunkRows
// except in conv2dBackwardFilter, whose K-reduction is split at chunk boundaries (fixed per shape).

/** y = conv2d(x, w) (+ bias, then relu when act == Activation.Relu). */
export function conv2dForward(args: usize, x: usize, w: usize, bias: usize, y: usize, act: i32,
                              col: usize, chunkRows: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const G = a.groups, Cin = a.inC, Cout = a.outC;
  const Cg = Cin / G, Og = Cout / G;
  const M = a.batch * a.outH * a.outW;
  if (M == 0 || Cout == 0) return;
  if (col == 0) { // pointwise: x is the GEMM's A as it is
    for (let g = 0; g < G; g++) {
      gemm(0, 0, M, Og, Cg, x + off(g * Cg), Cin, w + off(g * Og), Cout, y + off(g * Og), Cout,
        0, bias ? bias + off(g * Og) : 0, act, work);
    }
    return;
  }
  const K = a.kH * a.kW * Cg;
  for (let m0 = 0; m0 < M; m0 += chunkRows) {
    const rows = min(chunkRows, M - m0);
    for (let g = 0; g < G; g++) {
      im2col(a, x, col, m0, rows, g);
      gemm(0, 0, rows, Og, K, col, K, w + off(g * Og), Cout, y + (<usize>m0 * Cout << 2) + off(g * Og), Cout,
        0, bias ? bias + off(g * Og) : 0, act, work);
    }
  }
}

/** dx = gradient of conv2d w.r.t. its input: GEMM dy · wᵀ into columns, then col2im. */
export function conv2dBackwardInput(args: usize, dy: usize, w: usize, dx: usize,
                                    col: usize, chunkRows: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const G = a.groups, Cin = a.inC, Cout = a.outC;
  const Cg = Cin / G, Og = Cout / G;
  const M = a.batch * a.outH * a.outW;
  if (col == 0) { // pointwise: x is the GEMM's A as it is
    for (let g = 0; g < G; g++) {
      gemm(0, 1, M, Cg, Og, dy + off(g * Og), Cout, w + off(g * Og), Cout, dx + off(g * Cg), Cin, 0, 0, Activation.None, work);
    }
    return;
  }
  memory.fill(dx, 0, <usize>a.batch * a.inH * a.inW * Cin << 2);
  if (M == 0 || Cout == 0) return;
  const K = a.kH * a.kW * Cg;
  for (let m0 = 0; m0 < M; m0 += chunkRows) {
    const rows = min(chunkRows, M - m0);
    for (let g = 0; g < G; g++) {
      // B(k = o, n = tap) = w[tap, g*Og + o]: the weights read transposed, no copy.
      gemm(0, 1, rows, K, Og, dy + (<usize>m0 * Cout << 2) + off(g * Og), Cout, w + off(g * Og), Cout, col, K, 0, 0, Activation.None, work);
      col2im(a, col, dx, m0, rows, g, 0, a.inH);
    }
  }
}

/**
 * conv2dBackwardInput for input rows ih0 .. ih1 of a single image (batch == 1): one thread's
 * share when one image is split over threads. It runs the GEMM for just the output rows whose
 * taps reach [ih0, ih1) and scatters only into those input rows. Every dx element still receives
 * its adds in increasing output row, as in conv2dBackwardInput, so the result is bit-identical
 * for any split; output rows on a boundary are computed by both neighbours (a few rows).
 */
export function conv2dBackwardInputRows(args: usize, dy: usize, w: usize, dx: usize, ih0: i32, ih1: i32,
                                        col: usize, chunkRows: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const G = a.groups, Cin = a.inC, Cout = a.outC, Wo = a.outW;
  const Cg = Cin / G, Og = Cout / G;
  memory.fill(dx + off(ih0 * a.inW * Cin), 0, <usize>(ih1 - ih0) * a.inW * Cin << 2);
  if (Wo == 0 || Cout == 0 || ih1 <= ih0) return;
  // Output row oh reads input rows oh*sh - padTop + kh*dh for kh in [0, kH).
  const reach = (a.kH - 1) * a.dilH;
  const ohLo = max(0, ceilDiv(ih0 + a.padTop - reach, a.strideH));
  const ohHi = min(a.outH, (ih1 - 1 + a.padTop) / a.strideH + 1);
  const K = a.kH * a.kW * Cg;
  const mEnd = ohHi * Wo;
  for (let m0 = ohLo * Wo; m0 < mEnd; m0 += chunkRows) {
    const rows = min(chunkRows, mEnd - m0);
    for (let g = 0; g < G; g++) {
      gemm(0, 1, rows, K, Og, dy + (<usize>m0 * Cout << 2) + off(g * Og), Cout, w + off(g * Og), Cout, col, K, 0, 0, Activation.None, work);
      col2im(a, col, dx, m0, rows, g, ih0, ih1);
    }
  }
}

/** dw = gradient of conv2d w.r.t. its HWIO weights: im2colᵀ · dy, accumulated over chunks. */
export function conv2dBackwardFilter(args: usize, x: usize, dy: usize, dw: usize,
                                     col: usize, chunkRows: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const G = a.groups, Cin = a.inC, Cout = a.outC;
  const Cg = Cin / G, Og = Cout / G;
  const M = a.batch * a.outH * a.outW;
  const K = a.kH * a.kW * Cg;
  if (M == 0) { memory.fill(dw, 0, <usize>K * Cout << 2); return; }
  if (Cout == 0) return;
  if (col == 0) { // pointwise: x is the GEMM's A as it is
    for (let g = 0; g < G; g++) {
      gemm(1, 0, Cg, Og, M, x + off(g * Cg), Cin, dy + off(g * Og), Cout, dw + off(g * Og), Cout, 0, 0, Activation.None, work);
    }
    return;
  }
  for (let m0 = 0; m0 < M; m0 += chunkRows) {
    const rows = min(chunkRows, M - m0);
    for (let g = 0; g < G; g++) {
      im2col(a, x, col, m0, rows, g);
      // A stored [rows, K] and read transposed: dw[K, Og] (+)= colᵀ · dy.
      gemm(1, 0, K, Og, rows, col, K, dy + (<usize>m0 * Cout << 2) + off(g * Og), Cout, dw + off(g * Og), Cout,
        m0 > 0 ? 1 : 0, 0, Activation.None, work);
    }
  }
}

/**
 * Rows k0 .. k1 of dw (groups == 1) for one thread: the whole reduction over M in the same
 * chunks and order as conv2dBackwardFilter (each dw element sums exactly as single-threaded);
 * only the GEMM's M range (rows of dw) differs, and GEMM rows are independent.
 */
export function conv2dBackwardFilterRows(args: usize, x: usize, dy: usize, dw: usize,
                                         col: usize, chunkRows: i32, work: usize, k0: i32, k1: i32): void {
  const a = changetype<ConvArgs>(args);
  const Cout = a.outC;
  const M = a.batch * a.outH * a.outW;
  const kt = k1 - k0;
  if (kt <= 0 || M == 0) return;
  for (let m0 = 0; m0 < M; m0 += chunkRows) {
    const rows = min(chunkRows, M - m0);
    im2colRange(a, x, col, m0, rows, k0, k1);
    gemm(1, 0, kt, Cout, rows, col, kt, dy + (<usize>m0 * Cout << 2), Cout, dw + (<usize>k0 * Cout << 2), Cout,
      m0 > 0 ? 1 : 0, 0, Activation.None, work);
  }
}

/**
 * Columns o0 .. o1 (output channels) of conv2dBackwardFilter, groups == 1: for short rows of dw
 * (small K) where a row split has too little to share. Each thread runs the whole reduction over M
 * in the same chunks (repeating the cheap im2col); GEMM columns are independent.
 */
export function conv2dBackwardFilterCols(args: usize, x: usize, dy: usize, dw: usize,
                                         col: usize, chunkRows: i32, work: usize, o0: i32, o1: i32): void {
  const a = changetype<ConvArgs>(args);
  const Cout = a.outC;
  const M = a.batch * a.outH * a.outW;
  const K = a.kH * a.kW * a.inC;
  const nc = o1 - o0;
  if (nc <= 0 || M == 0) return;
  for (let m0 = 0; m0 < M; m0 += chunkRows) {
    const rows = min(chunkRows, M - m0);
    im2col(a, x, col, m0, rows, 0);
    gemm(1, 0, K, nc, rows, col, K, dy + (<usize>m0 * Cout << 2) + off(o0), Cout, dw + off(o0), Cout,
      m0 > 0 ? 1 : 0, 0, Activation.None, work);
  }
}

/**
 * Columns k0 .. k1 of im2col (group 0, groups == 1) into col [rows, k1 - k0]: the same values as
 * im2col's columns k0 .. k1, so a GEMM over them gives bit-identical rows of dw.
 */
function im2colRange(a: ConvArgs, x: usize, col: usize, m0: i32, rows: i32, k0: i32, k1: i32): void {
  const H = a.inH, W = a.inW, C = a.inC, Ho = a.outH, Wo = a.outW;
  const kW = a.kW, sh = a.strideH, sw = a.strideW, dh = a.dilH, dw = a.dilW;
  const runW = kW * C;
  const contiguous = dw == 1;
  const spanW = (kW - 1) * dw;
  const kt = k1 - k0;
  const khA = k0 / runW, khB = (k1 - 1) / runW;
  let ow = m0 % Wo;
  let t = m0 / Wo;
  let oh = t % Ho;
  let n = t / Ho;
  let dst = col;
  for (let r = 0; r < rows; r++) {
    const ih0 = oh * sh - a.padTop;
    const iw0 = ow * sw - a.padLeft;
    const inside = iw0 >= 0 && iw0 + spanW < W;
    for (let kh = khA; kh <= khB; kh++) {
      // Row-local span [s0, s1) of this kernel row inside [k0, k1).
      const base = kh * runW;
      const s0 = max(k0, base) - base, s1 = min(k1, base + runW) - base;
      const d = dst + off(base + s0 - k0);
      const ih = ih0 + kh * dh;
      if (<u32>ih >= <u32>H) {
        zeroFloats(d, s1 - s0);
      } else {
        const rowBase = (n * H + ih) * W;
        if (inside && contiguous) {
          copyFloats(d, x + off((rowBase + iw0) * C + s0), s1 - s0);
        } else {
          let s = s0;
          while (s < s1) {
            const kw = s / C, ci = s - kw * C;
            const len = min(C - ci, s1 - s);
            const iw = iw0 + kw * dw;
            const q = dst + off(base + s - k0);
            if (<u32>iw < <u32>W) copyFloats(q, x + off((rowBase + iw) * C + ci), len);
            else zeroFloats(q, len);
            s += len;
          }
        }
      }
    }
    dst += off(kt);
    if (++ow == Wo) { ow = 0; if (++oh == Ho) { oh = 0; n++; } }
  }
}
