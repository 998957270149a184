// Grouped convolution forward without im2col, for small groups (a few input and output channels
// each, as in ResNeXt and RegNet): vectorised over a group's output channels with each input value
// broadcast, four interior output pixels at a time so each weight vector serves four pixels.
// Every output sums the bias, then its taps in (kh, kw, input channel) order on every path: the
// order of im2col + GEMM, and independent of how the rows are split over threads.
import { Activation } from '../activation';
import { off, madd } from '../simd';
import { ConvArgs, ceilDiv } from './args';
import { storeQuad } from './tile-store';

/** y = grouped conv2d(x, w) (+ bias, then relu when act == Activation.Relu); outC / groups % 4 == 0. */
export function groupedForward(args: usize, x: usize, w: usize, bias: usize, y: usize, act: i32): void {
  const a = changetype<ConvArgs>(args);
  const imgIn = <usize>a.inH * a.inW * a.inC << 2, imgOut = <usize>a.outH * a.outW * a.outC << 2;
  for (let n = 0; n < a.batch; n++) groupedImage(a, x + <usize>n * imgIn, w, bias, y + <usize>n * imgOut, act);
}

function groupedImage(a: ConvArgs, x: usize, w: usize, bias: usize, y: usize, act: i32): void {
  const H = a.inH, W = a.inW, Wo = a.outW, CO = a.outC, C = a.inC;
  const kH = a.kH, kW = a.kW, sh = a.strideH, sw = a.strideW, dh = a.dilH, dw = a.dilW;
  // Output columns [owA, owB) have all kW taps inside the image.
  const owA = max(0, min(Wo, ceilDiv(a.padLeft, sw)));
  const last = W - 1 + a.padLeft - (kW - 1) * dw;
  const owB = max(owA, last < 0 ? 0 : min(Wo, last / sw + 1));
  for (let oh = 0; oh < a.outH; oh++) {
    const ih0 = oh * sh - a.padTop;
    const khLo = ih0 < 0 ? ceilDiv(-ih0, dh) : 0;
    const khHi = min(kH, ceilDiv(H - ih0, dh));
    // x at (ih0, 0): rows outside the image are never read (kh in [khLo, khHi)).
    const xrow = x + off(ih0 * W * C);
    const yrow = y + off(oh * Wo * CO);
    let ow = 0;
    for (; ow < owA; ow++) groupedPixel(a, xrow, w, bias, yrow, act, khLo, khHi, ow);
    for (; ow + 4 <= owB; ow += 4) groupedQuad(a, xrow, w, bias, yrow, act, khLo, khHi, ow);
    for (; ow < Wo; ow++) groupedPixel(a, xrow, w, bias, yrow, act, khLo, khHi, ow);
  }
}

/**
 * One output pixel, taps clipped to the image: eight output channels at a time (two independent
 * sums in flight, the pixel path being latency-bound), then four.
 */
function groupedPixel(a: ConvArgs, xrow: usize, w: usize, bias: usize, yrow: usize, act: i32,
                      khLo: i32, khHi: i32, ow: i32): void {
  const W = a.inW, C = a.inC, CO = a.outC, G = a.groups;
  const Cg = C / G, Og = CO / G;
  const iw0 = ow * a.strideW - a.padLeft;
  const kwLo = iw0 < 0 ? ceilDiv(-iw0, a.dilW) : 0;
  const kwHi = min(a.kW, ceilDiv(W - iw0, a.dilW));
  const xrowStep = off(a.dilH * W * C);
  const yp = yrow + off(ow * CO);
  const zero = f32x4.splat(0);
  for (let g = 0; g < G; g++) {
    const xg = xrow + off((iw0 + kwLo * a.dilW) * C + g * Cg) + <usize>khLo * xrowStep;
    let j = 0;
    for (; j + 8 <= Og; j += 8) {
      const co = g * Og + j;
      groupedPixelTile(a, xg, w, co, khLo, khHi, kwLo, kwHi, bias ? v128.load(bias + off(co)) : zero,
        bias ? v128.load(bias + off(co), 16) : zero, act, yp + off(co), true);
    }
    for (; j < Og; j += 4) {
      const co = g * Og + j;
      groupedPixelTile(a, xg, w, co, khLo, khHi, kwLo, kwHi, bias ? v128.load(bias + off(co)) : zero, zero, act, yp + off(co), false);
    }
  }
}

/** Output channels co .. co+7 (wide) or co .. co+3 of one pixel over taps [khLo,khHi) x [kwLo,kwHi). */
@inline function groupedPixelTile(a: ConvArgs, xg: usize, w: usize, co: i32, khLo: i32, khHi: i32, kwLo: i32, kwHi: i32,
                                  vb0: v128, vb1: v128, act: i32, yp: usize, wide: bool): void {
  const C = a.inC, CO = a.outC, kW = a.kW, Cg = C / a.groups;
  const xrowStep = off(a.dilH * a.inW * C), tapStep = off(a.dilW * C), ciStep = off(CO);
  let acc0 = vb0, acc1 = vb1;
  let xr = xg;
  for (let kh = khLo; kh < khHi; kh++) {
    let xp = xr;
    for (let kw = kwLo; kw < kwHi; kw++) {
      let wp = w + off((kh * kW + kw) * Cg * CO + co);
      for (let ci = 0; ci < Cg; ci++) {
        const v = v128.load32_splat(xp + off(ci));
        acc0 = madd(v, v128.load(wp), acc0);
        if (wide) acc1 = madd(v, v128.load(wp, 16), acc1);
        wp += ciStep;
      }
      xp += tapStep;
    }
    xr += xrowStep;
  }
  if (act == Activation.Relu) { const zero = f32x4.splat(0); acc0 = f32x4.max(acc0, zero); acc1 = f32x4.max(acc1, zero); }
  v128.store(yp, acc0);
  if (wide) v128.store(yp, acc1, 16);
}

/** Four interior output pixels ow .. ow+3: tiles of 8 output channels of a group, then of 4. */
function groupedQuad(a: ConvArgs, xrow: usize, w: usize, bias: usize, yrow: usize, act: i32,
                     khLo: i32, khHi: i32, ow: i32): void {
  const W = a.inW, C = a.inC, CO = a.outC, kW = a.kW, G = a.groups;
  const Cg = C / G, Og = CO / G;
  const iw0 = ow * a.strideW - a.padLeft;
  const ps = off(a.strideW * C);
  const xrowStep = off(a.dilH * W * C), tapStep = off(a.dilW * C);
  const yp = yrow + off(ow * CO);
  const rows = khHi - khLo;
  const zero = f32x4.splat(0);
  const x0 = xrow + off(iw0 * C) + <usize>khLo * xrowStep, w0 = w + off(khLo * kW * Cg * CO);
  for (let g = 0; g < G; g++) {
    const xg = x0 + off(g * Cg);
    let j = 0;
    for (; j + 8 <= Og; j += 8) {
      const co = g * Og + j;
      groupedTile(xg, ps, xrowStep, tapStep, rows, kW, Cg, w0 + off(co), off(CO),
        bias ? v128.load(bias + off(co)) : zero, bias ? v128.load(bias + off(co), 16) : zero, act, yp + off(co), off(CO), true);
    }
    for (; j < Og; j += 4) {
      const co = g * Og + j;
      groupedTile(xg, ps, xrowStep, tapStep, rows, kW, Cg, w0 + off(co), off(CO),
        bias ? v128.load(bias + off(co)) : zero, zero, act, yp + off(co), off(CO), false);
    }
  }
}

/**
 * Eight output channels (wide) or four x four pixels, the accumulators in registers over all taps.
 * xr: pixel 0's input at tap (first row, 0), channel 0 of the group; ps: bytes to the next pixel's
 * input; wr: the weights of (first row, 0, channel 0) for these outputs, ciStep bytes per input
 * channel (taps and channels follow each other in w, so one pointer walks them all). wide is a
 * constant at each call site, so each caller gets its own loop.
 */
@inline function groupedTile(xr: usize, ps: usize, xrowStep: usize, tapStep: usize, rows: i32, kW: i32, Cg: i32,
                             wr: usize, ciStep: usize, vb0: v128, vb1: v128, act: i32, yp: usize, yStep: usize, wide: bool): void {
  let a00 = vb0, a01 = vb1, a10 = vb0, a11 = vb1, a20 = vb0, a21 = vb1, a30 = vb0, a31 = vb1;
  let wp = wr;
  for (let r = 0; r < rows; r++) {
    let xk = xr;
    for (let kw = 0; kw < kW; kw++) {
      let xp = xk;
      for (let ci = 0; ci < Cg; ci++) {
        const w0 = v128.load(wp);
        const v0 = v128.load32_splat(xp), v1 = v128.load32_splat(xp + ps);
        const v2 = v128.load32_splat(xp + (ps << 1)), v3 = v128.load32_splat(xp + (ps << 1) + ps);
        a00 = madd(v0, w0, a00); a10 = madd(v1, w0, a10); a20 = madd(v2, w0, a20); a30 = madd(v3, w0, a30);
        if (wide) {
          const w1 = v128.load(wp, 16);
          a01 = madd(v0, w1, a01); a11 = madd(v1, w1, a11); a21 = madd(v2, w1, a21); a31 = madd(v3, w1, a31);
        }
        xp += 4; wp += ciStep;
      }
      xk += tapStep;
    }
    xr += xrowStep;
  }
  storeQuad(yp, yStep, a00, a10, a20, a30, act);
  if (wide) storeQuad(yp + 16, yStep, a01, a11, a21, a31, act);
}
