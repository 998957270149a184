// Grouped convolution forward without im2col, for small groups (a few input and output channels
// each, as in ResNeXt and RegNet): vectorised over a group's output channels with each input value
// broadcast, four interior output pixels at a time so each weight vector serves four pixels.
// Every output sums the bias, then its taps in (kh, kw, input channel) order on every path: the
// order of im2col + GEMM, and independent of how the rows are split over threads.
import { Activation } from '../activation';
import { off, madd } from '../simd';
import { ConvArgs, ceilDiv } from './args';

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

/** One output pixel, taps clipped to the image: four output channels at a time. */
function groupedPixel(a: ConvArgs, xrow: usize, w: usize, bias: usize, yrow: usize, act: i32,
                      khLo: i32, khHi: i32, ow: i32): void {
  const W = a.inW, C = a.inC, CO = a.outC, kW = a.kW, G = a.groups;
  const Cg = C / G, Og = CO / G;
  const iw0 = ow * a.strideW - a.padLeft;
  const kwLo = iw0 < 0 ? ceilDiv(-iw0, a.dilW) : 0;
  const kwHi = min(kW, ceilDiv(W - iw0, a.dilW));
  const xrowStep = off(a.dilH * W * C), tapStep = off(a.dilW * C), ciStep = off(CO);
  const yp = yrow + off(ow * CO);
  const zero = f32x4.splat(0);
  for (let g = 0; g < G; g++) {
    const xg = xrow + off((iw0 + kwLo * a.dilW) * C + g * Cg) + <usize>khLo * xrowStep;
    for (let j = 0; j < Og; j += 4) {
      const co = g * Og + j;
      let acc = bias ? v128.load(bias + off(co)) : zero;
      let xr = xg;
      for (let kh = khLo; kh < khHi; kh++) {
        let xp = xr;
        for (let kw = kwLo; kw < kwHi; kw++) {
          let wp = w + off((kh * kW + kw) * Cg * CO + co);
          for (let ci = 0; ci < Cg; ci++) {
            acc = madd(v128.load32_splat(xp + off(ci)), v128.load(wp), acc);
            wp += ciStep;
          }
          xp += tapStep;
        }
        xr += xrowStep;
      }
      if (act == Activation.Relu) acc = f32x4.max(acc, zero);
      v128.store(yp + off(co), acc);
    }
  }
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
      groupedTile8(xg, ps, xrowStep, tapStep, rows, kW, Cg, w0 + off(co), off(CO),
        bias ? v128.load(bias + off(co)) : zero, bias ? v128.load(bias + off(co), 16) : zero, act, yp + off(co), off(CO));
    }
    for (; j < Og; j += 4) {
      const co = g * Og + j;
      groupedTile4(xg, ps, xrowStep, tapStep, rows, kW, Cg, w0 + off(co), off(CO),
        bias ? v128.load(bias + off(co)) : zero, act, yp + off(co), off(CO));
    }
  }
}

/**
 * Eight output channels x four pixels, the 8 accumulators in registers over all taps. xr: pixel
 * 0's input at tap (first row, 0), channel 0 of the group; ps: bytes to the next pixel's input;
 * wr: the weights of (first row, 0, channel 0) for these outputs, ciStep bytes per input channel
 * (taps and channels follow each other in w, so one pointer walks them all).
 */
@inline function groupedTile8(xr: usize, ps: usize, xrowStep: usize, tapStep: usize, rows: i32, kW: i32, Cg: i32,
                              wr: usize, ciStep: usize, vb0: v128, vb1: v128, act: i32, yp: usize, yStep: usize): void {
  let a00 = vb0, a01 = vb1, a10 = vb0, a11 = vb1, a20 = vb0, a21 = vb1, a30 = vb0, a31 = vb1;
  let wp = wr;
  for (let r = 0; r < rows; r++) {
    let xk = xr;
    for (let kw = 0; kw < kW; kw++) {
      let xp = xk;
      for (let ci = 0; ci < Cg; ci++) {
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        let v = v128.load32_splat(xp);
        a00 = madd(v, w0, a00); a01 = madd(v, w1, a01);
        v = v128.load32_splat(xp + ps);
        a10 = madd(v, w0, a10); a11 = madd(v, w1, a11);
        v = v128.load32_splat(xp + (ps << 1));
        a20 = madd(v, w0, a20); a21 = madd(v, w1, a21);
        v = v128.load32_splat(xp + (ps << 1) + ps);
        a30 = madd(v, w0, a30); a31 = madd(v, w1, a31);
        xp += 4; wp += ciStep;
      }
      xk += tapStep;
    }
    xr += xrowStep;
  }
  if (act == Activation.Relu) {
    const zero = f32x4.splat(0);
    a00 = f32x4.max(a00, zero); a01 = f32x4.max(a01, zero); a10 = f32x4.max(a10, zero); a11 = f32x4.max(a11, zero);
    a20 = f32x4.max(a20, zero); a21 = f32x4.max(a21, zero); a30 = f32x4.max(a30, zero); a31 = f32x4.max(a31, zero);
  }
  v128.store(yp, a00); v128.store(yp, a01, 16);
  yp += yStep; v128.store(yp, a10); v128.store(yp, a11, 16);
  yp += yStep; v128.store(yp, a20); v128.store(yp, a21, 16);
  yp += yStep; v128.store(yp, a30); v128.store(yp, a31, 16);
}

/** groupedTile8 for four output channels. */
@inline function groupedTile4(xr: usize, ps: usize, xrowStep: usize, tapStep: usize, rows: i32, kW: i32, Cg: i32,
                              wr: usize, ciStep: usize, vb: v128, act: i32, yp: usize, yStep: usize): void {
  let a0 = vb, a1 = vb, a2 = vb, a3 = vb;
  let wp = wr;
  for (let r = 0; r < rows; r++) {
    let xk = xr;
    for (let kw = 0; kw < kW; kw++) {
      let xp = xk;
      for (let ci = 0; ci < Cg; ci++) {
        const wv = v128.load(wp);
        a0 = madd(v128.load32_splat(xp), wv, a0);
        a1 = madd(v128.load32_splat(xp + ps), wv, a1);
        a2 = madd(v128.load32_splat(xp + (ps << 1)), wv, a2);
        a3 = madd(v128.load32_splat(xp + (ps << 1) + ps), wv, a3);
        xp += 4; wp += ciStep;
      }
      xk += tapStep;
    }
    xr += xrowStep;
  }
  if (act == Activation.Relu) {
    const zero = f32x4.splat(0);
    a0 = f32x4.max(a0, zero); a1 = f32x4.max(a1, zero); a2 = f32x4.max(a2, zero); a3 = f32x4.max(a3, zero);
  }
  v128.store(yp, a0);
  v128.store(yp + yStep, a1);
  v128.store(yp + (yStep << 1), a2);
  v128.store(yp + (yStep << 1) + yStep, a3);
}
