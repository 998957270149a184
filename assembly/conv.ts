// Convolution kernels, NHWC activations and HWIO weights: conv2d forward, backward-input and
// backward-filter through GEMM (im2col / col2im over chunks of output rows), plus a depthwise
// path (groups == inChannels) vectorised over channels. Geometry comes in a ConvArgs block.
import { gemm } from './gemm';

/**
 * Geometry of one convolution, 16 i32 written by the host (src/ops/conv.ts `convArgs`).
 * Only top/left padding is needed: bottom/right padding is implied by outH/outW, and taps that
 * fall outside [0, inH) x [0, inW) read zeros (forward) or are dropped (gradients).
 */
@unmanaged class ConvArgs {
  batch: i32; inH: i32; inW: i32; inC: i32;
  outH: i32; outW: i32; outC: i32;
  kH: i32; kW: i32; strideH: i32; strideW: i32; dilH: i32; dilW: i32;
  padTop: i32; padLeft: i32; groups: i32;
}

// ---- small helpers ---------------------------------------------------------------------------

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function off(i: i32): usize { return <usize>i << 2; }

/** ceil(a / b) for b > 0 and any sign of a. */
@inline function ceilDiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

@inline function copyFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    v128.store(dst + off(i), v128.load(src + off(i)));
    v128.store(dst + off(i), v128.load(src + off(i), 16), 16);
  }
  for (; i + 4 <= n; i += 4) v128.store(dst + off(i), v128.load(src + off(i)));
  for (; i < n; i++) store<f32>(dst + off(i), load<f32>(src + off(i)));
}

@inline function zeroFloats(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + off(i), z);
  for (; i < n; i++) store<f32>(dst + off(i), 0);
}

/** dst[i] += src[i] */
@inline function addFloats(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + off(i), f32x4.add(v128.load(dst + off(i)), v128.load(src + off(i))));
  for (; i < n; i++) store<f32>(dst + off(i), load<f32>(dst + off(i)) + load<f32>(src + off(i)));
}

/** A 1x1, stride-1, unpadded convolution reads x as the GEMM's A matrix directly. */
@inline function isPointwise(a: ConvArgs): bool {
  return a.kH == 1 && a.kW == 1 && a.strideH == 1 && a.strideW == 1 &&
    a.padTop == 0 && a.padLeft == 0 && a.outH == a.inH && a.outW == a.inW;
}

// ---- im2col / col2im -------------------------------------------------------------------------

/**
 * col[r, (kh, kw, ci)] = x[n, ih, iw, g*Cg + ci] for output rows m0 .. m0+rows of group g,
 * zero where the tap falls in the padding. Row length Kg = kH*kW*Cg.
 */
function im2col(a: ConvArgs, x: usize, col: usize, m0: i32, rows: i32, g: i32): void {
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
  let dst = col;
  const xg = x + off(g * Cg);
  for (let r = 0; r < rows; r++) {
    const ih0 = oh * sh - a.padTop;
    const iw0 = ow * sw - a.padLeft;
    const inside = iw0 >= 0 && iw0 + spanW < W;
    for (let kh = 0; kh < kH; kh++) {
      const ih = ih0 + kh * dh;
      if (<u32>ih >= <u32>H) {
        zeroFloats(dst, runW);
      } else {
        const rowBase = (n * H + ih) * W;
        if (inside && contiguous) {
          copyFloats(dst, xg + off((rowBase + iw0) * C), runW);
        } else if (Cg == 1) {
          for (let kw = 0; kw < kW; kw++) {
            const iw = iw0 + kw * dw;
            store<f32>(dst + off(kw), <u32>iw < <u32>W ? load<f32>(xg + off((rowBase + iw) * C)) : <f32>0);
          }
        } else {
          for (let kw = 0; kw < kW; kw++) {
            const iw = iw0 + kw * dw;
            if (<u32>iw < <u32>W) copyFloats(dst + off(kw * Cg), xg + off((rowBase + iw) * C), Cg);
            else zeroFloats(dst + off(kw * Cg), Cg);
          }
        }
      }
      dst += off(runW);
    }
    if (++ow == Wo) { ow = 0; if (++oh == Ho) { oh = 0; n++; } }
  }
}

/**
 * The adjoint of im2col: dx[n, ih, iw, g*Cg + ci] += col[r, (kh, kw, ci)]; padding taps dropped,
 * and so are taps outside input rows [ihLo, ihHi) (another thread owns those rows of dx).
 */
function col2im(a: ConvArgs, col: usize, dx: usize, m0: i32, rows: i32, g: i32, ihLo: i32, ihHi: i32): void {
  const H = a.inH, W = a.inW, C = a.inC, Ho = a.outH, Wo = a.outW;
  const kH = a.kH, kW = a.kW, sh = a.strideH, sw = a.strideW, dh = a.dilH, dw = a.dilW;
  const Cg = C / a.groups;
  const runW = kW * Cg;
  const contiguous = dw == 1 && Cg == C;
  const spanW = (kW - 1) * dw;
  let ow = m0 % Wo;
  let t = m0 / Wo;
  let oh = t % Ho;
  let n = t / Ho;
  let src = col;
  const xg = dx + off(g * Cg);
  for (let r = 0; r < rows; r++) {
    const ih0 = oh * sh - a.padTop;
    const iw0 = ow * sw - a.padLeft;
    const inside = iw0 >= 0 && iw0 + spanW < W;
    for (let kh = 0; kh < kH; kh++) {
      const ih = ih0 + kh * dh;
      if (<u32>(ih - ihLo) < <u32>(ihHi - ihLo)) {
        const rowBase = (n * H + ih) * W;
        if (inside && contiguous) {
          addFloats(xg + off((rowBase + iw0) * C), src, runW);
        } else {
          for (let kw = 0; kw < kW; kw++) {
            const iw = iw0 + kw * dw;
            if (<u32>iw < <u32>W) addFloats(xg + off((rowBase + iw) * C), src + off(kw * Cg), Cg);
          }
        }
      }
      src += off(runW);
    }
    if (++ow == Wo) { ow = 0; if (++oh == Ho) { oh = 0; n++; } }
  }
}

// ---- GEMM-based convolution ------------------------------------------------------------------
// M = batch*outH*outW output rows, per group K = kH*kW*Cg and N = Og = outC/groups.
// `col` holds chunkRows*K floats; `work` is the GEMM's workspace for the largest call the host
// sizes (gemmWorkspaceBytes). Chunks run in row order, so results do not depend on chunkRows
// except in conv2dBackwardFilter, whose K-reduction is split at chunk boundaries (fixed per shape).

/** y = conv2d(x, w) (+ bias, then relu when act == 1). */
export function conv2dForward(args: usize, x: usize, w: usize, bias: usize, y: usize, act: i32,
                              col: usize, chunkRows: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const G = a.groups, Cin = a.inC, Cout = a.outC;
  const Cg = Cin / G, Og = Cout / G;
  const M = a.batch * a.outH * a.outW;
  if (M == 0 || Cout == 0) return;
  if (isPointwise(a)) {
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
  if (isPointwise(a)) {
    for (let g = 0; g < G; g++) {
      gemm(0, 1, M, Cg, Og, dy + off(g * Og), Cout, w + off(g * Og), Cout, dx + off(g * Cg), Cin, 0, 0, 0, work);
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
      gemm(0, 1, rows, K, Og, dy + (<usize>m0 * Cout << 2) + off(g * Og), Cout, w + off(g * Og), Cout, col, K, 0, 0, 0, work);
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
      gemm(0, 1, rows, K, Og, dy + (<usize>m0 * Cout << 2) + off(g * Og), Cout, w + off(g * Og), Cout, col, K, 0, 0, 0, work);
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
  if (isPointwise(a)) {
    for (let g = 0; g < G; g++) {
      gemm(1, 0, Cg, Og, M, x + off(g * Cg), Cin, dy + off(g * Og), Cout, dw + off(g * Og), Cout, 0, 0, 0, work);
    }
    return;
  }
  for (let m0 = 0; m0 < M; m0 += chunkRows) {
    const rows = min(chunkRows, M - m0);
    for (let g = 0; g < G; g++) {
      im2col(a, x, col, m0, rows, g);
      // A stored [rows, K] and read transposed: dw[K, Og] (+)= colᵀ · dy.
      gemm(1, 0, K, Og, rows, col, K, dy + (<usize>m0 * Cout << 2) + off(g * Og), Cout, dw + off(g * Og), Cout,
        m0 > 0 ? 1 : 0, 0, 0, work);
    }
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

/**
 * Backward-filter of a conv with one input channel (groups 1) for output channels [o0, o1), a
 * multiple of 8 wide: dw[t, o] (t = kh*kW + kw) is the sum over every output pixel m, in order, of
 * x_t(m) * dy[m, o], x_t(m) being tap t's input value (0 in the padding). Each image is copied into
 * a zero-padded buffer (`work`, depthwisePaddedBytes) so taps need no bounds checks, and tiles of
 * 4 taps x 8 channels of dw stay in registers over a whole image: no im2col, no GEMM packing (the
 * GEMM path spent most of its time there: K = 9 rows). Each dw element is one chain of madds over
 * m starting from 0, carried through dw from one image to the next: the GEMM path's operations in
 * its order, so the bits are the same.
 */
export function conv2dBackwardFilterSingle(args: usize, x: usize, dy: usize, dw: usize, work: usize, o0: i32, o1: i32): void {
  const a = changetype<ConvArgs>(args);
  const Ho = a.outH, Wo = a.outW, CO = a.outC, kW = a.kW, K = a.kH * kW;
  const Hp = paddedH(a), Wp = paddedW(a);
  // Each tap's byte offset in the padded image, in the table at the head of `work`.
  const taps = work + PAD_TAPS;
  const buf = paddedImage(work, a);
  for (let t = 0; t < K; t++) {
    const kh = t / kW, kw = t - kh * kW;
    store<u32>(taps + off(t), <u32>off(kh * a.dilH * Wp + kw * a.dilW));
  }
  for (let t = 0; t < K; t++) memory.fill(dw + off(t * CO + o0), 0, <usize>(o1 - o0) << 2);
  const imgIn = off(a.inH * a.inW), imgOut = off(Ho * Wo * CO);
  for (let n = 0; n < a.batch; n++) {
    padImage(a, x + <usize>n * imgIn, buf, Hp, Wp);
    const dyImg = dy + <usize>n * imgOut;
    let t = 0;
    for (; t + 4 <= K; t += 4) {
      for (let o = o0; o < o1; o += 8) bfTile4x8(a, buf, Wp, taps + off(t), dyImg + off(o), dw + off(t * CO + o));
    }
    for (; t < K; t++) {
      for (let o = o0; o < o1; o += 8) bfTile1x8(a, buf, Wp, load<u32>(taps + off(t)), dyImg + off(o), dw + off(t * CO + o));
    }
  }
}

/** dw rows t .. t+3, 8 channels (at dwp, rows CO apart) += the image's products (dyp: dy at channel o; tap: the 4 taps' offsets). */
function bfTile4x8(a: ConvArgs, buf: usize, Wp: i32, tap: usize, dyp: usize, dwp: usize): void {
  const CO = a.outC, Wo = a.outW;
  const q0 = <usize>load<u32>(tap), q1 = <usize>load<u32>(tap, 4), q2 = <usize>load<u32>(tap, 8), q3 = <usize>load<u32>(tap, 12);
  const rowStep = off(CO);
  let a0l = v128.load(dwp), a0h = v128.load(dwp, 16);
  let a1l = v128.load(dwp + rowStep), a1h = v128.load(dwp + rowStep, 16);
  let a2l = v128.load(dwp + 2 * rowStep), a2h = v128.load(dwp + 2 * rowStep, 16);
  let a3l = v128.load(dwp + 3 * rowStep), a3h = v128.load(dwp + 3 * rowStep, 16);
  const pxStep = off(a.strideW), dyStep = off(CO);
  for (let oh = 0; oh < a.outH; oh++) {
    let p = buf + off(oh * a.strideH * Wp);
    let d = dyp + off(oh * Wo * CO);
    const dEnd = d + <usize>Wo * dyStep;
    while (d != dEnd) {
      const dl = v128.load(d), dh = v128.load(d, 16);
      const x0 = v128.load32_splat(p + q0), x1 = v128.load32_splat(p + q1);
      const x2 = v128.load32_splat(p + q2), x3 = v128.load32_splat(p + q3);
      a0l = madd(x0, dl, a0l); a0h = madd(x0, dh, a0h);
      a1l = madd(x1, dl, a1l); a1h = madd(x1, dh, a1h);
      a2l = madd(x2, dl, a2l); a2h = madd(x2, dh, a2h);
      a3l = madd(x3, dl, a3l); a3h = madd(x3, dh, a3h);
      p += pxStep; d += dyStep;
    }
  }
  v128.store(dwp, a0l); v128.store(dwp, a0h, 16);
  v128.store(dwp + rowStep, a1l); v128.store(dwp + rowStep, a1h, 16);
  v128.store(dwp + 2 * rowStep, a2l); v128.store(dwp + 2 * rowStep, a2h, 16);
  v128.store(dwp + 3 * rowStep, a3l); v128.store(dwp + 3 * rowStep, a3h, 16);
}

/** bfTile4x8 for one tap. */
function bfTile1x8(a: ConvArgs, buf: usize, Wp: i32, q: usize, dyp: usize, dwp: usize): void {
  const CO = a.outC, Wo = a.outW;
  let al = v128.load(dwp), ah = v128.load(dwp, 16);
  const pxStep = off(a.strideW), dyStep = off(CO);
  for (let oh = 0; oh < a.outH; oh++) {
    let p = buf + off(oh * a.strideH * Wp) + q;
    let d = dyp + off(oh * Wo * CO);
    const dEnd = d + <usize>Wo * dyStep;
    while (d != dEnd) {
      const xv = v128.load32_splat(p);
      al = madd(xv, v128.load(d), al); ah = madd(xv, v128.load(d, 16), ah);
      p += pxStep; d += dyStep;
    }
  }
  v128.store(dwp, al); v128.store(dwp, ah, 16);
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
      m0 > 0 ? 1 : 0, 0, 0, work);
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
      m0 > 0 ? 1 : 0, 0, 0, work);
  }
}

/** db[c] = sum over rows of dy[r, c] (bias gradient; rows = batch*outH*outW). */
export function conv2dBiasGrad(dy: usize, rows: i32, C: i32, db: usize): void {
  let c = 0;
  for (; c + 16 <= C; c += 16) {
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    let p = dy + off(c);
    const stride = off(C);
    for (let r = 0; r < rows; r++) {
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
      p += stride;
    }
    v128.store(db + off(c), s0);
    v128.store(db + off(c), s1, 16);
    v128.store(db + off(c), s2, 32);
    v128.store(db + off(c), s3, 48);
  }
  for (; c + 4 <= C; c += 4) {
    let s = f32x4.splat(0);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(dy + off(r * C + c)));
    v128.store(db + off(c), s);
  }
  for (; c < C; c++) {
    let s: f32 = 0;
    for (let r = 0; r < rows; r++) s += load<f32>(dy + off(r * C + c));
    store<f32>(db + off(c), s);
  }
}

/** out[i] = y[i] > 0 ? g[i] : 0 — the relu fused into a conv epilogue, differentiated from its output. */
export function reluGradFromOutput(y: usize, g: usize, out: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(out + off(i), v128.and(v128.load(g + off(i)), f32x4.gt(v128.load(y + off(i)), z)));
  }
  for (; i < n; i++) store<f32>(out + off(i), load<f32>(y + off(i)) > 0 ? load<f32>(g + off(i)) : 0);
}

// ---- depthwise (groups == inC, outC = inC * multiplier) ---------------------------------------
// Weights [kH, kW, 1, C*m]: output channel co = c*m + j reads input channel c = co / m.
// The m == 1 paths keep a tile of 8 channels in registers over the whole window; m > 1 paths
// vectorise over output channels with the input value broadcast (or gathered when m % 4 != 0).

/** The input values feeding output channels co .. co+3 at pixel `px` (m > 1). */
@inline function gatherX(px: usize, co: i32, m: i32): v128 {
  if ((m & 3) == 0) return v128.load32_splat(px + off(co / m));
  let v = f32x4.splat(load<f32>(px + off(co / m)));
  v = f32x4.replace_lane(v, 1, load<f32>(px + off((co + 1) / m)));
  v = f32x4.replace_lane(v, 2, load<f32>(px + off((co + 2) / m)));
  v = f32x4.replace_lane(v, 3, load<f32>(px + off((co + 3) / m)));
  return v;
}

/**
 * Depthwise forward (any multiplier m). Output columns whose window row lies wholly inside the
 * image go four at a time, so each weight vector loaded serves four pixels; the border columns
 * go one at a time with the taps clipped. With `work` (depthwisePaddedBytes of the geometry), each
 * image is first copied into a zero-padded buffer covering every tap, so every pixel takes the
 * four-at-a-time path: on small maps (28x28: 14% of the pixels are border, and a border pixel
 * costs ~3x an interior one) that is faster than the clipped path; padding zeros add 0 * w terms,
 * as an im2col conv (and PyTorch's) does.
 */
export function depthwiseForward(args: usize, x: usize, w: usize, bias: usize, y: usize, act: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const imgIn = <usize>a.inH * a.inW * a.inC << 2, imgOut = <usize>a.outH * a.outW * a.outC << 2;
  if (work == 0) {
    for (let n = 0; n < a.batch; n++) dwForwardImage(a, x + <usize>n * imgIn, w, bias, y + <usize>n * imgOut, act);
    return;
  }
  // The padded image's geometry (no padding, every tap inside) at the head of `work`.
  memory.copy(work, args, PAD_ARGS_BYTES);
  const p = changetype<ConvArgs>(work);
  p.batch = 1;
  p.inH = paddedH(a);
  p.inW = paddedW(a);
  p.padTop = 0;
  p.padLeft = 0;
  const buf = paddedImage(work, a);
  for (let n = 0; n < a.batch; n++) {
    padImage(a, x + <usize>n * imgIn, buf, p.inH, p.inW);
    dwForwardImage(p, buf, w, bias, y + <usize>n * imgOut, act);
  }
}

// `work` of the padded paths (depthwiseForward with work, conv2dBackwardFilterSingle): a head of
// PAD_ARGS_BYTES (depthwiseForward: the padded geometry's ConvArgs; conv2dBackwardFilterSingle: its
// tap table from PAD_TAPS), then one zero-padded image [paddedH, paddedW, inC].
const PAD_ARGS_BYTES: usize = 64;
const PAD_TAPS: usize = 0;

/** Rows and columns of an image padded so that every output pixel's taps fall inside it. */
@inline function paddedH(a: ConvArgs): i32 { return (a.outH - 1) * a.strideH + (a.kH - 1) * a.dilH + 1; }
@inline function paddedW(a: ConvArgs): i32 { return (a.outW - 1) * a.strideW + (a.kW - 1) * a.dilW + 1; }

/** Bytes before the padded image in `work`: the larger of the args copy and the tap table, 16-byte aligned. */
@inline function paddedHead(a: ConvArgs): usize {
  return (max<usize>(PAD_ARGS_BYTES, PAD_TAPS + off(a.kH * a.kW)) + 15) & ~15;
}
@inline function paddedImage(work: usize, a: ConvArgs): usize { return work + paddedHead(a); }

/** Bytes of `work` for the padded paths: the head and one padded image. */
export function depthwisePaddedBytes(args: usize): i32 {
  const a = changetype<ConvArgs>(args);
  return <i32>paddedHead(a) + paddedH(a) * paddedW(a) * a.inC * 4;
}

/** buf [Hp, Wp, C] = image x [H, W, C] placed at (padTop, padLeft), zeros around it. */
function padImage(a: ConvArgs, x: usize, buf: usize, Hp: i32, Wp: i32): void {
  const H = a.inH, W = a.inW, C = a.inC;
  const lo = min(max(a.padLeft, 0), Wp), hi = min(max(a.padLeft + W, 0), Wp);
  const rowBytes = off(Wp * C);
  for (let r = 0; r < Hp; r++) {
    const dst = buf + <usize>r * rowBytes;
    const ih = r - a.padTop;
    if (<u32>ih >= <u32>H || hi <= lo) { zeroFloats(dst, Wp * C); continue; }
    zeroFloats(dst, lo * C);
    copyFloats(dst + off(lo * C), x + off((ih * W + lo - a.padLeft) * C), (hi - lo) * C);
    zeroFloats(dst + off(hi * C), (Wp - hi) * C);
  }
}

/** One image of depthwiseForward: x and y point at the image's input and output. */
function dwForwardImage(a: ConvArgs, x: usize, w: usize, bias: usize, y: usize, act: i32): void {
  const H = a.inH, W = a.inW, Ho = a.outH, Wo = a.outW, CO = a.outC;
  const kH = a.kH, kW = a.kW, sh = a.strideH, sw = a.strideW, dh = a.dilH, dw = a.dilW;
  const m = CO / a.inC;
  // Output columns [owA, owB) have all kW taps inside the image.
  const owA = max(0, min(Wo, ceilDiv(a.padLeft, sw)));
  const last = W - 1 + a.padLeft - (kW - 1) * dw;
  const owB = max(owA, last < 0 ? 0 : min(Wo, last / sw + 1));
  for (let oh = 0; oh < Ho; oh++) {
    const ih0 = oh * sh - a.padTop;
    const khLo = ih0 < 0 ? ceilDiv(-ih0, dh) : 0;
    const khHi = min(kH, ceilDiv(H - ih0, dh));
    // x at (ih0, 0): rows outside the image are never read (kh in [khLo, khHi)).
    const xrow = x + off(ih0 * W * a.inC);
    const yrow = y + off(oh * Wo * CO);
    let ow = 0;
    for (; ow < owA; ow++) dwPixel(a, xrow, w, bias, yrow, act, khLo, khHi, ow, m);
    if (m == 1) for (; ow + 4 <= owB; ow += 4) dwQuad1(a, xrow, w, bias, yrow, act, khLo, khHi, ow);
    else for (; ow + 4 <= owB; ow += 4) dwQuadM(a, xrow, w, bias, yrow, act, khLo, khHi, ow, m);
    for (; ow < Wo; ow++) dwPixel(a, xrow, w, bias, yrow, act, khLo, khHi, ow, m);
  }
}

/** One output pixel of a depthwise conv, taps clipped to the image. */
function dwPixel(a: ConvArgs, xrow: usize, w: usize, bias: usize, yrow: usize, act: i32,
                 khLo: i32, khHi: i32, ow: i32, m: i32): void {
  const W = a.inW, C = a.inC, CO = a.outC, kW = a.kW, dh = a.dilH, dw = a.dilW;
  const iw0 = ow * a.strideW - a.padLeft;
  const kwLo = iw0 < 0 ? ceilDiv(-iw0, dw) : 0;
  const kwHi = min(kW, ceilDiv(W - iw0, dw));
  const yp = yrow + off(ow * CO);
  const xrowStep = off(dh * W * C), tapStep = off(dw * C);
  const zero = f32x4.splat(0);
  if (m == 1) {
    let c = 0;
    for (; c + 8 <= C; c += 8) {
      let acc0 = bias ? v128.load(bias + off(c)) : zero;
      let acc1 = bias ? v128.load(bias + off(c), 16) : zero;
      let xr = xrow + off((iw0 + kwLo * dw) * C + c) + <usize>khLo * xrowStep;
      for (let kh = khLo; kh < khHi; kh++) {
        let xp = xr;
        let wp = w + off((kh * kW + kwLo) * C + c);
        for (let kw = kwLo; kw < kwHi; kw++) {
          acc0 = madd(v128.load(xp), v128.load(wp), acc0);
          acc1 = madd(v128.load(xp, 16), v128.load(wp, 16), acc1);
          xp += tapStep; wp += off(C);
        }
        xr += xrowStep;
      }
      if (act == 1) { acc0 = f32x4.max(acc0, zero); acc1 = f32x4.max(acc1, zero); }
      v128.store(yp + off(c), acc0);
      v128.store(yp + off(c), acc1, 16);
    }
    for (; c + 4 <= C; c += 4) {
      let acc = bias ? v128.load(bias + off(c)) : zero;
      let xr = xrow + off((iw0 + kwLo * dw) * C + c) + <usize>khLo * xrowStep;
      for (let kh = khLo; kh < khHi; kh++) {
        let xp = xr;
        let wp = w + off((kh * kW + kwLo) * C + c);
        for (let kw = kwLo; kw < kwHi; kw++) {
          acc = madd(v128.load(xp), v128.load(wp), acc);
          xp += tapStep; wp += off(C);
        }
        xr += xrowStep;
      }
      if (act == 1) acc = f32x4.max(acc, zero);
      v128.store(yp + off(c), acc);
    }
    for (; c < C; c++) store<f32>(yp + off(c), dwScalar(a, xrow, w, bias, act, khLo, khHi, kwLo, kwHi, iw0, c, c));
    return;
  }
  // m > 1: input channel ci feeds output channels ci*m .. ci*m+m-1 (x broadcast).
  for (let ci = 0; ci < C; ci++) {
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      const co = ci * m + j;
      let acc = bias ? v128.load(bias + off(co)) : zero;
      let xr = xrow + off((iw0 + kwLo * dw) * C + ci) + <usize>khLo * xrowStep;
      for (let kh = khLo; kh < khHi; kh++) {
        let xp = xr;
        let wp = w + off((kh * kW + kwLo) * CO + co);
        for (let kw = kwLo; kw < kwHi; kw++) {
          acc = madd(v128.load32_splat(xp), v128.load(wp), acc);
          xp += tapStep; wp += off(CO);
        }
        xr += xrowStep;
      }
      if (act == 1) acc = f32x4.max(acc, zero);
      v128.store(yp + off(co), acc);
    }
    for (; j < m; j++) {
      const co = ci * m + j;
      store<f32>(yp + off(co), dwScalar(a, xrow, w, bias, act, khLo, khHi, kwLo, kwHi, iw0, ci, co));
    }
  }
}

/** One output value: input channel ci, output channel co, taps [khLo,khHi) x [kwLo,kwHi). */
@inline function dwScalar(a: ConvArgs, xrow: usize, w: usize, bias: usize, act: i32,
                          khLo: i32, khHi: i32, kwLo: i32, kwHi: i32, iw0: i32, ci: i32, co: i32): f32 {
  const W = a.inW, C = a.inC, CO = a.outC, kW = a.kW;
  let s: f32 = bias ? load<f32>(bias + off(co)) : 0;
  for (let kh = khLo; kh < khHi; kh++) {
    const xr = xrow + off((kh * a.dilH * W + iw0) * C + ci);
    for (let kw = kwLo; kw < kwHi; kw++) {
      s += load<f32>(xr + off(kw * a.dilW * C)) * load<f32>(w + off((kh * kW + kw) * CO + co));
    }
  }
  return act == 1 && s < 0 ? 0 : s;
}

/** Four channels of x at p (multiplier 1), or x's one channel broadcast (multiplier > 1). */
@inline function loadX(p: usize, broadcast: bool): v128 {
  return broadcast ? v128.load32_splat(p) : v128.load(p);
}

/**
 * Eight output channels x four interior output pixels, all 8 accumulators in registers across
 * the taps. xr: pixel 0's input at tap (khLo, 0); ps: bytes to the next pixel's input; wr: the
 * weights of tap (khLo, 0) for these channels, wStep bytes per tap; yp: pixel 0's output, yStep
 * bytes per pixel. broadcast is a constant at each call site, so each caller gets its own loop.
 */
@inline function dwTile8(xr: usize, ps: usize, xrowStep: usize, tapStep: usize, rows: i32, kW: i32,
                         wr: usize, wStep: usize, vb0: v128, vb1: v128, act: i32,
                         yp: usize, yStep: usize, broadcast: bool): void {
  let vacc0x0123 = vb0, vacc0x4567 = vb1, vacc1x0123 = vb0, vacc1x4567 = vb1;
  let vacc2x0123 = vb0, vacc2x4567 = vb1, vacc3x0123 = vb0, vacc3x4567 = vb1;
  for (let r = 0; r < rows; r++) {
    let x0 = xr;
    let wp = wr;
    for (let kw = 0; kw < kW; kw++) {
      const vw0123 = v128.load(wp), vw4567 = v128.load(wp, 16);
      const x1 = x0 + ps, x2 = x1 + ps, x3 = x2 + ps;
      if (broadcast) {
        let vx = loadX(x0, true);
        vacc0x0123 = madd(vx, vw0123, vacc0x0123);
        vacc0x4567 = madd(vx, vw4567, vacc0x4567);
        vx = loadX(x1, true);
        vacc1x0123 = madd(vx, vw0123, vacc1x0123);
        vacc1x4567 = madd(vx, vw4567, vacc1x4567);
        vx = loadX(x2, true);
        vacc2x0123 = madd(vx, vw0123, vacc2x0123);
        vacc2x4567 = madd(vx, vw4567, vacc2x4567);
        vx = loadX(x3, true);
        vacc3x0123 = madd(vx, vw0123, vacc3x0123);
        vacc3x4567 = madd(vx, vw4567, vacc3x4567);
      } else {
        vacc0x0123 = madd(v128.load(x0), vw0123, vacc0x0123);
        vacc0x4567 = madd(v128.load(x0, 16), vw4567, vacc0x4567);
        vacc1x0123 = madd(v128.load(x1), vw0123, vacc1x0123);
        vacc1x4567 = madd(v128.load(x1, 16), vw4567, vacc1x4567);
        vacc2x0123 = madd(v128.load(x2), vw0123, vacc2x0123);
        vacc2x4567 = madd(v128.load(x2, 16), vw4567, vacc2x4567);
        vacc3x0123 = madd(v128.load(x3), vw0123, vacc3x0123);
        vacc3x4567 = madd(v128.load(x3, 16), vw4567, vacc3x4567);
      }
      x0 += tapStep; wp += wStep;
    }
    xr += xrowStep;
    wr += <usize>kW * wStep;
  }
  if (act == 1) {
    const zero = f32x4.splat(0);
    vacc0x0123 = f32x4.max(vacc0x0123, zero); vacc0x4567 = f32x4.max(vacc0x4567, zero);
    vacc1x0123 = f32x4.max(vacc1x0123, zero); vacc1x4567 = f32x4.max(vacc1x4567, zero);
    vacc2x0123 = f32x4.max(vacc2x0123, zero); vacc2x4567 = f32x4.max(vacc2x4567, zero);
    vacc3x0123 = f32x4.max(vacc3x0123, zero); vacc3x4567 = f32x4.max(vacc3x4567, zero);
  }
  const y0 = yp, y1 = y0 + yStep, y2 = y1 + yStep, y3 = y2 + yStep;
  v128.store(y0, vacc0x0123); v128.store(y0, vacc0x4567, 16);
  v128.store(y1, vacc1x0123); v128.store(y1, vacc1x4567, 16);
  v128.store(y2, vacc2x0123); v128.store(y2, vacc2x4567, 16);
  v128.store(y3, vacc3x0123); v128.store(y3, vacc3x4567, 16);
}

/** dwTile8 for four output channels. */
@inline function dwTile4(xr: usize, ps: usize, xrowStep: usize, tapStep: usize, rows: i32, kW: i32,
                         wr: usize, wStep: usize, vb: v128, act: i32,
                         yp: usize, yStep: usize, broadcast: bool): void {
  let vacc0 = vb, vacc1 = vb, vacc2 = vb, vacc3 = vb;
  for (let r = 0; r < rows; r++) {
    let x0 = xr;
    let wp = wr;
    for (let kw = 0; kw < kW; kw++) {
      const vw = v128.load(wp);
      vacc0 = madd(loadX(x0, broadcast), vw, vacc0);
      vacc1 = madd(loadX(x0 + ps, broadcast), vw, vacc1);
      vacc2 = madd(loadX(x0 + 2 * ps, broadcast), vw, vacc2);
      vacc3 = madd(loadX(x0 + 3 * ps, broadcast), vw, vacc3);
      x0 += tapStep; wp += wStep;
    }
    xr += xrowStep;
    wr += <usize>kW * wStep;
  }
  if (act == 1) {
    const zero = f32x4.splat(0);
    vacc0 = f32x4.max(vacc0, zero); vacc1 = f32x4.max(vacc1, zero);
    vacc2 = f32x4.max(vacc2, zero); vacc3 = f32x4.max(vacc3, zero);
  }
  v128.store(yp, vacc0);
  v128.store(yp + yStep, vacc1);
  v128.store(yp + 2 * yStep, vacc2);
  v128.store(yp + 3 * yStep, vacc3);
}

/** Four interior output pixels ow .. ow+3, multiplier 1: tiles of 8 and 4 channels, scalar tail. */
function dwQuad1(a: ConvArgs, xrow: usize, w: usize, bias: usize, yrow: usize, act: i32,
                 khLo: i32, khHi: i32, ow: i32): void {
  const W = a.inW, C = a.inC, kW = a.kW;
  const iw0 = ow * a.strideW - a.padLeft;
  const ps = off(a.strideW * C);             // next output pixel's input, bytes
  const xrowStep = off(a.dilH * W * C), tapStep = off(a.dilW * C), wStep = off(C);
  const yp = yrow + off(ow * C);
  const rows = khHi - khLo;
  const zero = f32x4.splat(0);
  const x0 = xrow + off(iw0 * C) + <usize>khLo * xrowStep, w0 = w + off(khLo * kW * C);
  let c = 0;
  for (; c + 8 <= C; c += 8) {
    dwTile8(x0 + off(c), ps, xrowStep, tapStep, rows, kW, w0 + off(c), wStep,
      bias ? v128.load(bias + off(c)) : zero, bias ? v128.load(bias + off(c), 16) : zero, act,
      yp + off(c), off(C), false);
  }
  for (; c + 4 <= C; c += 4) {
    dwTile4(x0 + off(c), ps, xrowStep, tapStep, rows, kW, w0 + off(c), wStep,
      bias ? v128.load(bias + off(c)) : zero, act, yp + off(c), off(C), false);
  }
  for (; c < C; c++) {
    for (let p = 0; p < 4; p++) {
      store<f32>(yp + off(p * C + c), dwScalar(a, xrow, w, bias, act, khLo, khHi, 0, kW, iw0 + p * a.strideW, c, c));
    }
  }
}

/**
 * Four interior output pixels, multiplier m > 1 (also a plain conv with one input channel):
 * tiles of 8 and 4 output channels of one input channel, the input broadcast; scalar tail.
 */
function dwQuadM(a: ConvArgs, xrow: usize, w: usize, bias: usize, yrow: usize, act: i32,
                 khLo: i32, khHi: i32, ow: i32, m: i32): void {
  const W = a.inW, C = a.inC, CO = a.outC, kW = a.kW;
  const iw0 = ow * a.strideW - a.padLeft;
  const ps = off(a.strideW * C);
  const xrowStep = off(a.dilH * W * C), tapStep = off(a.dilW * C), wStep = off(CO);
  const yp = yrow + off(ow * CO);
  const rows = khHi - khLo;
  const zero = f32x4.splat(0);
  const x0 = xrow + off(iw0 * C) + <usize>khLo * xrowStep, w0 = w + off(khLo * kW * CO);
  for (let ci = 0; ci < C; ci++) {
    let j = 0;
    for (; j + 8 <= m; j += 8) {
      const co = ci * m + j;
      dwTile8(x0 + off(ci), ps, xrowStep, tapStep, rows, kW, w0 + off(co), wStep,
        bias ? v128.load(bias + off(co)) : zero, bias ? v128.load(bias + off(co), 16) : zero, act,
        yp + off(co), off(CO), true);
    }
    for (; j + 4 <= m; j += 4) {
      const co = ci * m + j;
      dwTile4(x0 + off(ci), ps, xrowStep, tapStep, rows, kW, w0 + off(co), wStep,
        bias ? v128.load(bias + off(co)) : zero, act, yp + off(co), off(CO), true);
    }
    for (; j < m; j++) {
      const co = ci * m + j;
      for (let p = 0; p < 4; p++) {
        store<f32>(yp + off(p * CO + co), dwScalar(a, xrow, w, bias, act, khLo, khHi, 0, kW, iw0 + p * a.strideW, ci, co));
      }
    }
  }
}

/**
 * Tap tables for the gather form of backward-input: for every input row ih the (kh, oh) pairs
 * with oh*sh - padTop + kh*dh == ih, and likewise (kw, ow) per input column. Layout at `tab`:
 * counts [H] then pairs [H][kH][2], then counts [W] then pairs [W][kW][2] (i32).
 * Returns the byte size; the host sizes the scratch with depthwiseWorkspaceBytes.
 */
function buildTaps(tab: usize, inSize: i32, outSize: i32, k: i32, s: i32, d: i32, pad: i32): usize {
  const pairs = tab + off(inSize);
  for (let i = 0; i < inSize; i++) {
    let cnt = 0;
    for (let kk = 0; kk < k; kk++) {
      const t = i + pad - kk * d;
      if (t < 0) break;
      if (t % s != 0) continue;
      const o = t / s;
      if (o >= outSize) continue;
      const e = pairs + off((i * k + cnt) * 2);
      store<i32>(e, kk);
      store<i32>(e, o, 4);
      cnt++;
    }
    store<i32>(tab + off(i), cnt);
  }
  return off(inSize + inSize * k * 2);
}

export function depthwiseWorkspaceBytes(H: i32, W: i32, kH: i32, kW: i32): i32 {
  return (H + H * kH * 2 + W + W * kW * 2) * 4;
}

export function depthwiseBackwardInput(args: usize, dy: usize, w: usize, dx: usize, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.inC, Ho = a.outH, Wo = a.outW, CO = a.outC;
  const kH = a.kH, kW = a.kW;
  const m = CO / C;
  const tabH = work;
  const tabW = work + buildTaps(tabH, H, Ho, kH, a.strideH, a.dilH, a.padTop);
  buildTaps(tabW, W, Wo, kW, a.strideW, a.dilW, a.padLeft);
  const pairsH = tabH + off(H), pairsW = tabW + off(W);
  const zero = f32x4.splat(0);
  for (let n = 0; n < N; n++) {
    for (let ih = 0; ih < H; ih++) {
      const nh = load<i32>(tabH + off(ih));
      const ph = pairsH + off(ih * kH * 2);
      for (let iw = 0; iw < W; iw++) {
        const nw = load<i32>(tabW + off(iw));
        const pw = pairsW + off(iw * kW * 2);
        const dxp = dx + off(((n * H + ih) * W + iw) * C);
        if (m == 1) {
          let c = 0;
          for (; c + 8 <= C; c += 8) {
            let acc0 = zero, acc1 = zero;
            for (let i = 0; i < nh; i++) {
              const kh = load<i32>(ph + off(2 * i)), oh = load<i32>(ph + off(2 * i + 1));
              const dyrow = dy + off((n * Ho + oh) * Wo * C + c);
              const wrow = w + off(kh * kW * C + c);
              for (let j = 0; j < nw; j++) {
                const kw = load<i32>(pw + off(2 * j)), ow = load<i32>(pw + off(2 * j + 1));
                const gp = dyrow + off(ow * C), wp = wrow + off(kw * C);
                acc0 = madd(v128.load(gp), v128.load(wp), acc0);
                acc1 = madd(v128.load(gp, 16), v128.load(wp, 16), acc1);
              }
            }
            v128.store(dxp + off(c), acc0);
            v128.store(dxp + off(c), acc1, 16);
          }
          for (; c + 4 <= C; c += 4) {
            let acc = zero;
            for (let i = 0; i < nh; i++) {
              const kh = load<i32>(ph + off(2 * i)), oh = load<i32>(ph + off(2 * i + 1));
              const dyrow = dy + off((n * Ho + oh) * Wo * C + c);
              const wrow = w + off(kh * kW * C + c);
              for (let j = 0; j < nw; j++) {
                const kw = load<i32>(pw + off(2 * j)), ow = load<i32>(pw + off(2 * j + 1));
                acc = madd(v128.load(dyrow + off(ow * C)), v128.load(wrow + off(kw * C)), acc);
              }
            }
            v128.store(dxp + off(c), acc);
          }
          for (; c < C; c++) {
            let s: f32 = 0;
            for (let i = 0; i < nh; i++) {
              const kh = load<i32>(ph + off(2 * i)), oh = load<i32>(ph + off(2 * i + 1));
              for (let j = 0; j < nw; j++) {
                const kw = load<i32>(pw + off(2 * j)), ow = load<i32>(pw + off(2 * j + 1));
                s += load<f32>(dy + off(((n * Ho + oh) * Wo + ow) * C + c)) * load<f32>(w + off((kh * kW + kw) * C + c));
              }
            }
            store<f32>(dxp + off(c), s);
          }
        } else {
          // dx[c] = sum over taps and j of dy[c*m + j] * w[tap, c*m + j]: vector over output
          // channels, then each lane is added into the input channel it belongs to.
          zeroFloats(dxp, C);
          let co = 0;
          for (; co + 4 <= CO; co += 4) {
            let acc = zero;
            for (let i = 0; i < nh; i++) {
              const kh = load<i32>(ph + off(2 * i)), oh = load<i32>(ph + off(2 * i + 1));
              const dyrow = dy + off((n * Ho + oh) * Wo * CO + co);
              const wrow = w + off(kh * kW * CO + co);
              for (let j = 0; j < nw; j++) {
                const kw = load<i32>(pw + off(2 * j)), ow = load<i32>(pw + off(2 * j + 1));
                acc = madd(v128.load(dyrow + off(ow * CO)), v128.load(wrow + off(kw * CO)), acc);
              }
            }
            const p0 = dxp + off(co / m), p1 = dxp + off((co + 1) / m), p2 = dxp + off((co + 2) / m), p3 = dxp + off((co + 3) / m);
            store<f32>(p0, load<f32>(p0) + f32x4.extract_lane(acc, 0));
            store<f32>(p1, load<f32>(p1) + f32x4.extract_lane(acc, 1));
            store<f32>(p2, load<f32>(p2) + f32x4.extract_lane(acc, 2));
            store<f32>(p3, load<f32>(p3) + f32x4.extract_lane(acc, 3));
          }
          for (; co < CO; co++) {
            let s: f32 = 0;
            for (let i = 0; i < nh; i++) {
              const kh = load<i32>(ph + off(2 * i)), oh = load<i32>(ph + off(2 * i + 1));
              for (let j = 0; j < nw; j++) {
                const kw = load<i32>(pw + off(2 * j)), ow = load<i32>(pw + off(2 * j + 1));
                s += load<f32>(dy + off(((n * Ho + oh) * Wo + ow) * CO + co)) * load<f32>(w + off((kh * kW + kw) * CO + co));
              }
            }
            const p = dxp + off(co / m);
            store<f32>(p, load<f32>(p) + s);
          }
        }
      }
    }
  }
}

export function depthwiseBackwardFilter(args: usize, x: usize, dy: usize, dw: usize): void {
  depthwiseBackwardFilterRange(args, x, dy, dw, 0, changetype<ConvArgs>(args).outC);
}

/**
 * Output channels co0 .. co1 of depthwiseBackwardFilter (for threads: co0 and co1 multiples of 8,
 * or co1 = outC, so every channel takes the same vector/scalar path as on one thread).
 */
export function depthwiseBackwardFilterRange(args: usize, x: usize, dy: usize, dw: usize, co0: i32, co1: i32): void {
  const a = changetype<ConvArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.inC, Ho = a.outH, Wo = a.outW, CO = a.outC;
  const kH = a.kH, kW = a.kW, sh = a.strideH, sw = a.strideW, dh = a.dilH, dwl = a.dilW;
  const m = CO / C;
  for (let t = 0; t < kH * kW; t++) memory.fill(dw + off(t * CO + co0), 0, off(co1 - co0));
  const zero = f32x4.splat(0);
  // For each output row and tap, one pass over the valid output columns with the channel tile's
  // sums in registers: the row of x and dy stay in L1 while dw is touched once per pass.
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const ih0 = oh * sh - a.padTop;
      const khLo = ih0 < 0 ? ceilDiv(-ih0, dh) : 0;
      const khHi = min(kH, ceilDiv(H - ih0, dh));
      const dyrow = dy + off((n * Ho + oh) * Wo * CO);
      for (let kh = khLo; kh < khHi; kh++) {
        const xrow = x + off((n * H + ih0 + kh * dh) * W * C);
        for (let kw = 0; kw < kW; kw++) {
          // Valid ow: 0 <= ow*sw - padLeft + kw*dwl < W.
          const shift = kw * dwl - a.padLeft;
          const owLo = max(0, ceilDiv(-shift, sw));
          const owHi = min(Wo, ceilDiv(W - shift, sw));
          if (owLo >= owHi) continue;
          const wp = dw + off((kh * kW + kw) * CO);
          const xStep = off(sw * C), gStep = off(CO);
          let co = co0;
          if (m == 1) {
            for (; co + 8 <= co1; co += 8) {
              let acc0 = zero, acc1 = zero;
              let xp = xrow + off((owLo * sw + shift) * C + co);
              let gp = dyrow + off(owLo * CO + co);
              for (let ow = owLo; ow < owHi; ow++) {
                acc0 = madd(v128.load(xp), v128.load(gp), acc0);
                acc1 = madd(v128.load(xp, 16), v128.load(gp, 16), acc1);
                xp += xStep; gp += gStep;
              }
              v128.store(wp + off(co), f32x4.add(v128.load(wp + off(co)), acc0));
              v128.store(wp + off(co), f32x4.add(v128.load(wp + off(co), 16), acc1), 16);
            }
          }
          for (; co + 4 <= co1; co += 4) {
            let acc = zero;
            let xp = xrow + off((owLo * sw + shift) * C);
            let gp = dyrow + off(owLo * CO + co);
            for (let ow = owLo; ow < owHi; ow++) {
              const xv = m == 1 ? v128.load(xp + off(co)) : gatherX(xp, co, m);
              acc = madd(xv, v128.load(gp), acc);
              xp += xStep; gp += gStep;
            }
            v128.store(wp + off(co), f32x4.add(v128.load(wp + off(co)), acc));
          }
          for (; co < co1; co++) {
            let s: f32 = 0;
            const ci = co / m;
            for (let ow = owLo; ow < owHi; ow++) {
              s += load<f32>(xrow + off((ow * sw + shift) * C + ci)) * load<f32>(dyrow + off(ow * CO + co));
            }
            store<f32>(wp + off(co), load<f32>(wp + off(co)) + s);
          }
        }
      }
    }
  }
}

/**
 * out[kh, kw, co] = w[kH-1-kh, kW-1-kw, co]: with it, a stride-1 depthwise backward-input is the
 * depthwise forward of dy (padding (k-1)*dilation - pad), the fast 4-pixel path included.
 */
export function flipKernel(w: usize, out: usize, kH: i32, kW: i32, CO: i32): void {
  for (let kh = 0; kh < kH; kh++) {
    for (let kw = 0; kw < kW; kw++) {
      copyFloats(out + off((kh * kW + kw) * CO), w + off(((kH - 1 - kh) * kW + (kW - 1 - kw)) * CO), CO);
    }
  }
}

/** y[r, c] += bias[c] for rows x C (conv2dTranspose's bias). */
export function addChannelBias(y: usize, rows: i32, C: i32, bias: usize): void {
  for (let r = 0; r < rows; r++) {
    const p = y + off(r * C);
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(p + off(c), f32x4.add(v128.load(p + off(c)), v128.load(bias + off(c))));
    for (; c < C; c++) store<f32>(p + off(c), load<f32>(p + off(c)) + load<f32>(bias + off(c)));
  }
}

// ---- Winograd F(2x2, 3x3) --------------------------------------------------------------------
// For 3x3 kernels at stride 1, dilation 1, one group: each 2x2 output tile is A^T [ (G g G^T) .*
// (B^T d B) ] A, so the 36 multiply-adds per (tile, ci, co) of the direct form become 16, done as
// 16 GEMMs (one per transformed position e) of V[e] [tiles x C] by U[e] [C x CO]. The transforms
// use only 0, +-1 and +-1/2, so rounding stays close to the direct form. Tiles go in chunks:
// V holds [tiles][16][C] and M [tiles][16][CO], so each GEMM reads/writes them with a row stride.

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
 * y = conv2d(x, w) (+ bias, relu) for a 3x3 kernel, stride 1, dilation 1, one group, any padding,
 * with U from winogradWeights. V and Mb hold tilesPerChunk*16*C and tilesPerChunk*16*CO floats.
 */
export function conv2dWinograd(args: usize, x: usize, U: usize, bias: usize, y: usize, act: i32,
                               V: usize, Mb: usize, tilesPerChunk: i32, work: usize): void {
  const a = changetype<ConvArgs>(args);
  const C = a.inC, CO = a.outC;
  const T = a.batch * ((a.outH + 1) >> 1) * ((a.outW + 1) >> 1);
  for (let t0 = 0; t0 < T; t0 += tilesPerChunk) {
    const tc = min(tilesPerChunk, T - t0);
    winoInput(a, x, V, t0, tc);
    for (let e = 0; e < 16; e++) {
      gemm(0, 0, tc, CO, C, V + off(e * C), 16 * C, U + (<usize>e * C * CO << 2), CO, Mb + off(e * CO), 16 * CO,
        0, 0, 0, work);
    }
    winoOutput(a, Mb, bias, y, act, t0, tc);
  }
}

/** V[r][4i+j][c] = (B^T d B)[i][j] for the 4x4 input patch d of tile t0+r (zeros outside x). */
function winoInput(a: ConvArgs, x: usize, V: usize, t0: i32, tc: i32): void {
  const H = a.inH, W = a.inW, C = a.inC;
  const tH = (a.outH + 1) >> 1, tW = (a.outW + 1) >> 1;
  let tw = t0 % tW;
  let t = t0 / tW;
  let th = t % tH;
  let n = t / tH;
  const zero = f32x4.splat(0);
  const rowB = off(W * C), colB = off(C), eB = off(C);
  for (let r = 0; r < tc; r++) {
    const r0 = 2 * th - a.padTop, c0 = 2 * tw - a.padLeft;
    let rowMask = 0, colMask = 0;
    for (let i = 0; i < 4; i++) {
      if (<u32>(r0 + i) < <u32>H) rowMask |= 1 << i;
      if (<u32>(c0 + i) < <u32>W) colMask |= 1 << i;
    }
    const base = x + off(((n * H + r0) * W + c0) * C);
    const vt = V + (<usize>r * 16 * C << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const bc = base + off(c), vc = vt + off(c);
      // Pass 1, per column j: (B^T d)[.][j], B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
      for (let j = 0; j < 4; j++) {
        const okc = (colMask >> j) & 1;
        const pj = bc + <usize>j * colB;
        const d0 = okc & rowMask ? v128.load(pj) : zero;
        const d1 = okc & (rowMask >> 1) ? v128.load(pj + rowB) : zero;
        const d2 = okc & (rowMask >> 2) ? v128.load(pj + 2 * rowB) : zero;
        const d3 = okc & (rowMask >> 3) ? v128.load(pj + 3 * rowB) : zero;
        const q = vc + <usize>j * eB;
        v128.store(q, f32x4.sub(d0, d2));
        v128.store(q + 4 * eB, f32x4.add(d1, d2));
        v128.store(q + 8 * eB, f32x4.sub(d2, d1));
        v128.store(q + 12 * eB, f32x4.sub(d1, d3));
      }
      // Pass 2, per row i: (. B)[i][.].
      for (let i = 0; i < 4; i++) {
        const q = vc + <usize>(4 * i) * eB;
        const s0 = v128.load(q), s1 = v128.load(q + eB), s2 = v128.load(q + 2 * eB), s3 = v128.load(q + 3 * eB);
        v128.store(q, f32x4.sub(s0, s2));
        v128.store(q + eB, f32x4.add(s1, s2));
        v128.store(q + 2 * eB, f32x4.sub(s2, s1));
        v128.store(q + 3 * eB, f32x4.sub(s1, s3));
      }
    }
    for (; c < C; c++) {
      const bc = base + off(c), vc = vt + off(c);
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
    if (++tw == tW) { tw = 0; if (++th == tH) { th = 0; n++; } }
  }
}

/** y tile = A^T m A (+ bias, relu), A^T = [1 1 1 0; 0 1 -1 -1]; the bottom/right of odd sizes clipped. */
function winoOutput(a: ConvArgs, Mb: usize, bias: usize, y: usize, act: i32, t0: i32, tc: i32): void {
  const Ho = a.outH, Wo = a.outW, CO = a.outC;
  const tH = (Ho + 1) >> 1, tW = (Wo + 1) >> 1;
  let tw = t0 % tW;
  let t = t0 / tW;
  let th = t % tH;
  let n = t / tH;
  const zero = f32x4.splat(0);
  const eB = off(CO), rowB = off(Wo * CO);
  for (let r = 0; r < tc; r++) {
    const oh = 2 * th, ow = 2 * tw;
    const row1 = oh + 1 < Ho, col1 = ow + 1 < Wo;
    const mt = Mb + (<usize>r * 16 * CO << 2);
    const y00 = y + off(((n * Ho + oh) * Wo + ow) * CO);
    let c = 0;
    for (; c + 4 <= CO; c += 4) {
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
      const vb = bias ? v128.load(bias + off(c)) : zero;
      let y0 = f32x4.add(vb, f32x4.add(f32x4.add(s00, s01), s02));
      let y1 = f32x4.add(vb, f32x4.sub(f32x4.sub(s01, s02), s03));
      let y2 = f32x4.add(vb, f32x4.add(f32x4.add(s10, s11), s12));
      let y3 = f32x4.add(vb, f32x4.sub(f32x4.sub(s11, s12), s13));
      if (act == 1) { y0 = f32x4.max(y0, zero); y1 = f32x4.max(y1, zero); y2 = f32x4.max(y2, zero); y3 = f32x4.max(y3, zero); }
      const q = y00 + off(c);
      v128.store(q, y0);
      if (col1) v128.store(q + eB, y1);
      if (row1) {
        v128.store(q + rowB, y2);
        if (col1) v128.store(q + rowB + eB, y3);
      }
    }
    for (; c < CO; c++) {
      const p = mt + off(c);
      const s00 = load<f32>(p) + load<f32>(p + 4 * eB) + load<f32>(p + 8 * eB);
      const s10 = load<f32>(p + 4 * eB) - load<f32>(p + 8 * eB) - load<f32>(p + 12 * eB);
      const s01 = load<f32>(p + eB) + load<f32>(p + 5 * eB) + load<f32>(p + 9 * eB);
      const s11 = load<f32>(p + 5 * eB) - load<f32>(p + 9 * eB) - load<f32>(p + 13 * eB);
      const s02 = load<f32>(p + 2 * eB) + load<f32>(p + 6 * eB) + load<f32>(p + 10 * eB);
      const s12 = load<f32>(p + 6 * eB) - load<f32>(p + 10 * eB) - load<f32>(p + 14 * eB);
      const s03 = load<f32>(p + 3 * eB) + load<f32>(p + 7 * eB) + load<f32>(p + 11 * eB);
      const s13 = load<f32>(p + 7 * eB) - load<f32>(p + 11 * eB) - load<f32>(p + 15 * eB);
      const b: f32 = bias ? load<f32>(bias + off(c)) : 0;
      let y0 = b + (s00 + s01 + s02), y1 = b + (s01 - s02 - s03);
      let y2 = b + (s10 + s11 + s12), y3 = b + (s11 - s12 - s13);
      if (act == 1) { y0 = max(y0, <f32>0); y1 = max(y1, <f32>0); y2 = max(y2, <f32>0); y3 = max(y3, <f32>0); }
      const q = y00 + off(c);
      store<f32>(q, y0);
      if (col1) store<f32>(q + eB, y1);
      if (row1) {
        store<f32>(q + rowB, y2);
        if (col1) store<f32>(q + rowB + eB, y3);
      }
    }
    if (++tw == tW) { tw = 0; if (++th == tH) { th = 0; n++; } }
  }
}
