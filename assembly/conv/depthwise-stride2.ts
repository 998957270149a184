// Depthwise forward for stride-2, undilated kernel rows of any width (multiplier 1): four channels
// x four interior output pixels. Pixel q reads input columns 2q + kw, so the even taps of the four
// pixels read one window of four columns two apart and the odd taps another; each window slides by
// one column per tap, so a kernel row of kW taps loads kW + 6 input vectors instead of 4 kW. Each
// accumulator still receives the bias, then the taps kernel row by kernel row, left to right: the
// sums and their bits are those of the generic tile in depthwise.ts.
import { madd } from '../simd';
import { storeQuad } from './tile-store';

/**
 * Four channels x four output pixels, stride 2. xr: pixel 0's input at tap (first row, 0); c4:
 * bytes per input (and output) pixel; xrowStep: bytes to the next kernel row's input; rows: kernel
 * rows; kW: taps per row; wr: the weights of tap (first row, 0) for these channels; vb: the bias;
 * yp: pixel 0's output. Reads columns 0 .. max(kW + 5, 6) of each row, all inside the interior.
 */
@inline export function dwTile4Slide2(xr: usize, c4: usize, xrowStep: usize, rows: i32, kW: i32, wr: usize, vb: v128,
                                      act: i32, yp: usize): void {
  let a0 = vb, a1 = vb, a2 = vb, a3 = vb;
  const c4x2 = c4 << 1;
  for (let r = 0; r < rows; r++) {
    // Even window: columns 0, 2, 4 (+ 6 loaded at the tap); odd window: 1, 3, 5 (+ 7).
    let e0 = v128.load(xr), e1 = v128.load(xr + c4x2), e2 = v128.load(xr + (c4x2 << 1));
    let o0 = v128.load(xr + c4), o1 = v128.load(xr + c4 * 3), o2 = v128.load(xr + c4 * 5);
    let pe = xr + c4 * 6, po = xr + c4 * 7;
    let wp = wr;
    let kw = 0;
    for (; kw + 2 <= kW; kw += 2) {
      const e3 = v128.load(pe), we = v128.load(wp);
      a0 = madd(e0, we, a0); a1 = madd(e1, we, a1); a2 = madd(e2, we, a2); a3 = madd(e3, we, a3);
      e0 = e1; e1 = e2; e2 = e3;
      const o3 = v128.load(po), wo = v128.load(wp + c4);
      a0 = madd(o0, wo, a0); a1 = madd(o1, wo, a1); a2 = madd(o2, wo, a2); a3 = madd(o3, wo, a3);
      o0 = o1; o1 = o2; o2 = o3;
      pe += c4x2; po += c4x2; wp += c4x2;
    }
    if (kw < kW) {
      const e3 = v128.load(pe), we = v128.load(wp);
      a0 = madd(e0, we, a0); a1 = madd(e1, we, a1); a2 = madd(e2, we, a2); a3 = madd(e3, we, a3);
    }
    xr += xrowStep;
    wr += c4 * kW;
  }
  storeQuad(yp, c4, a0, a1, a2, a3, act);
}
