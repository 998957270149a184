// Depthwise convolution forward (groups == inC, outC = inC * multiplier), vectorised over channels.
// Weights [kH, kW, 1, C*m]: output channel co = c*m + j reads input channel c = co / m.
// The m == 1 paths keep a tile of 8 channels in registers over the whole window; m > 1 paths
// vectorise over output channels with the input value broadcast (or gathered when m % 4 != 0).
import { Activation } from '../activation';
import { off, madd } from '../simd';
import { ConvArgs, ceilDiv } from './args';
import { PAD_ARGS_BYTES, paddedH, paddedW, paddedHead, paddedImage, padImage } from './padded';
import { storeQuad } from './tile-store';
import { isK3Row, dwTile4K3, dwTile4Slide } from './depthwise-3x3';
import { dwTile4Slide2 } from './depthwise-stride2';
import { siluRun } from '../elementwise/silu-lanes';

/**
 * Depthwise forward (any multiplier m). Output columns whose window row lies wholly inside the
 * image go four at a time, so each weight vector loaded serves four pixels; the border columns
 * go one at a time with the taps clipped. With `work` (depthwisePaddedBytes of the geometry), each
 * image is first copied into a zero-padded buffer covering every tap, so every pixel takes the
 * four-at-a-time path: on small maps (28x28: 14% of the pixels are border, and a border pixel
 * costs ~3x an interior one) that is faster than the clipped path; padding zeros add 0 * w terms,
 * as an im2col conv (and PyTorch's) does.
 */
export function depthwiseForward(args: usize, x: usize, w: usize, bias: usize, y: usize, act: i32, work: usize,
                                 unrolled: i32): void {
  const a = changetype<ConvArgs>(args);
  const imgIn = <usize>a.inH * a.inW * a.inC << 2, imgOut = <usize>a.outH * a.outW * a.outC << 2;
  if (work == 0) {
    for (let n = 0; n < a.batch; n++) dwForwardImage(a, x + <usize>n * imgIn, w, bias, y + <usize>n * imgOut, act, unrolled);
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
    dwForwardImage(p, buf, w, bias, y + <usize>n * imgOut, act, unrolled);
  }
}

/**
 * Bytes of `work` for the padded paths (depthwiseForward with work, conv2dBackwardFilterSingle):
 * the head and one padded image.
 */
export function depthwisePaddedBytes(args: usize): i32 {
  const a = changetype<ConvArgs>(args);
  return <i32>paddedHead(a) + paddedH(a) * paddedW(a) * a.inC * 4;
}

/** One image of depthwiseForward: x and y point at the image's input and output. */
function dwForwardImage(a: ConvArgs, x: usize, w: usize, bias: usize, y: usize, act: i32, unrolled: i32): void {
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
    if (m == 1) for (; ow + 4 <= owB; ow += 4) dwQuad1(a, xrow, w, bias, yrow, act, khLo, khHi, ow, unrolled);
    else for (; ow + 4 <= owB; ow += 4) dwQuadM(a, xrow, w, bias, yrow, act, khLo, khHi, ow, m);
    for (; ow < Wo; ow++) dwPixel(a, xrow, w, bias, yrow, act, khLo, khHi, ow, m);
    // Silu on the row just stored, while it is in cache (the tiles store silu's input).
    if (act == Activation.Silu) siluRun(yrow, yrow, Wo * CO);
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
      if (act == Activation.Relu) { acc0 = f32x4.max(acc0, zero); acc1 = f32x4.max(acc1, zero); }
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
      if (act == Activation.Relu) acc = f32x4.max(acc, zero);
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
      if (act == Activation.Relu) acc = f32x4.max(acc, zero);
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
  return act == Activation.Relu && s < 0 ? 0 : s;
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
  if (act == Activation.Relu) {
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
  storeQuad(yp, yStep, vacc0, vacc1, vacc2, vacc3, act);
}

/** Four interior output pixels ow .. ow+3, multiplier 1: tiles of 8 and 4 channels, scalar tail. */
function dwQuad1(a: ConvArgs, xrow: usize, w: usize, bias: usize, yrow: usize, act: i32,
                 khLo: i32, khHi: i32, ow: i32, unrolled: i32): void {
  const W = a.inW, C = a.inC, kW = a.kW;
  const iw0 = ow * a.strideW - a.padLeft;
  const ps = off(a.strideW * C);             // next output pixel's input, bytes
  const xrowStep = off(a.dilH * W * C), tapStep = off(a.dilW * C), wStep = off(C);
  const yp = yrow + off(ow * C);
  const rows = khHi - khLo;
  const zero = f32x4.splat(0);
  const x0 = xrow + off(iw0 * C) + <usize>khLo * xrowStep, w0 = w + off(khLo * kW * C);
  let c = 0;
  if (unrolled && a.strideW == 2 && a.dilW == 1 && kW != 3) {
    // Three-tap rows keep dwTile4K3 below (faster there than the sliding windows).
    for (; c + 4 <= C; c += 4) {
      const vb = bias ? v128.load(bias + off(c)) : zero;
      dwTile4Slide2(x0 + off(c), off(C), xrowStep, rows, kW, w0 + off(c), vb, act, yp + off(c));
    }
  } else if (unrolled && isK3Row(kW, a.strideW, a.dilW)) {
    const stride2 = a.strideW == 2;
    for (; c + 4 <= C; c += 4) {
      const vb = bias ? v128.load(bias + off(c)) : zero;
      if (stride2) dwTile4K3(x0 + off(c), off(C), xrowStep, rows, w0 + off(c), vb, act, yp + off(c), true);
      else dwTile4K3(x0 + off(c), off(C), xrowStep, rows, w0 + off(c), vb, act, yp + off(c), false);
    }
  } else if (unrolled && a.strideW == 1 && a.dilW == 1) {
    for (; c + 4 <= C; c += 4) {
      const vb = bias ? v128.load(bias + off(c)) : zero;
      dwTile4Slide(x0 + off(c), off(C), xrowStep, rows, kW, w0 + off(c), vb, act, yp + off(c));
    }
  }
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
