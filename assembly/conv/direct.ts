// Direct (no im2col, no GEMM) backward-filter for convolutions with one input channel, over a
// zero-padded copy of each image, with tiles of dw held in registers.
import { off, madd } from '../simd';
import { ConvArgs } from './args';
import { PAD_TAPS, paddedH, paddedW, paddedImage, padImage } from './padded';

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
