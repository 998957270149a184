// Depthwise convolution gradients: backward-input as a gather over tap tables, backward-filter per
// output-channel range (for threads), and the kernel flip that turns a stride-1 backward-input
// into a depthwise forward.
import { off, madd, copyFloats, zeroFloats } from '../simd';
import { ConvArgs, ceilDiv } from './args';

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

/**
 * Depthwise backward-filter for output channels co0 .. co1 (0 .. outC for the whole gradient;
 * for threads, co0 and co1 multiples of 8 or co1 = outC, so every channel takes the same
 * vector/scalar path as on one thread).
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
