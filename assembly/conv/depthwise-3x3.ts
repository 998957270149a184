// Depthwise forward for three-tap kernel rows (kW == 3, multiplier 1, undilated columns), stride 1
// or 2: four channels x four interior output pixels, the taps unrolled and each input column
// loaded once per kernel row and applied to every output pixel it feeds. Each accumulator still
// receives the bias, then the taps kernel row by kernel row, left to right: the sums and their bits
// are those of the generic tile in depthwise.ts.
import { madd } from '../simd';
import { storeQuad } from './tile-store';

/** Whether dwTile4K3 handles this kernel row: three taps, stride 1 or 2, undilated. */
@inline export function isK3Row(kW: i32, strideW: i32, dilW: i32): bool {
  return kW == 3 && dilW == 1 && (strideW == 1 || strideW == 2);
}

/**
 * Four channels x four output pixels. xr: pixel 0's input at tap (first row, 0); c4: bytes per
 * input (and output) pixel; xrowStep: bytes to the next kernel row's input; rows: kernel rows;
 * wr: the weights of tap (first row, 0) for these channels; vb: the bias; yp: pixel 0's output.
 */
@inline export function dwTile4K3(xr: usize, c4: usize, xrowStep: usize, rows: i32, wr: usize, vb: v128,
                                  act: i32, yp: usize, stride2: bool): void {
  let a0 = vb, a1 = vb, a2 = vb, a3 = vb;
  const c4x2 = c4 << 1;
  for (let r = 0; r < rows; r++) {
    const wa = v128.load(wr), wb = v128.load(wr + c4), wc = v128.load(wr + c4x2);
    let p = xr;
    if (stride2) {
      // Pixel q reads columns 2q, 2q+1, 2q+2.
      let x = v128.load(p); a0 = madd(x, wa, a0); p += c4;
      x = v128.load(p); a0 = madd(x, wb, a0); p += c4;
      x = v128.load(p); a0 = madd(x, wc, a0); a1 = madd(x, wa, a1); p += c4;
      x = v128.load(p); a1 = madd(x, wb, a1); p += c4;
      x = v128.load(p); a1 = madd(x, wc, a1); a2 = madd(x, wa, a2); p += c4;
      x = v128.load(p); a2 = madd(x, wb, a2); p += c4;
      x = v128.load(p); a2 = madd(x, wc, a2); a3 = madd(x, wa, a3); p += c4;
      x = v128.load(p); a3 = madd(x, wb, a3); p += c4;
      x = v128.load(p); a3 = madd(x, wc, a3);
    } else {
      // Pixel q reads columns q, q+1, q+2.
      let x = v128.load(p); a0 = madd(x, wa, a0); p += c4;
      x = v128.load(p); a0 = madd(x, wb, a0); a1 = madd(x, wa, a1); p += c4;
      x = v128.load(p); a0 = madd(x, wc, a0); a1 = madd(x, wb, a1); a2 = madd(x, wa, a2); p += c4;
      x = v128.load(p); a1 = madd(x, wc, a1); a2 = madd(x, wb, a2); a3 = madd(x, wa, a3); p += c4;
      x = v128.load(p); a2 = madd(x, wc, a2); a3 = madd(x, wb, a3); p += c4;
      x = v128.load(p); a3 = madd(x, wc, a3);
    }
    xr += xrowStep;
    wr += c4 * 3;
  }
  storeQuad(yp, c4, a0, a1, a2, a3, act);
}

/**
 * Four channels x four output pixels of a kernel row of any width, stride 1, undilated: a window
 * of four input columns slides along the row, one new column and one weight vector per tap. The
 * same arguments and order of sums as dwTile4K3.
 */
@inline export function dwTile4Slide(xr: usize, c4: usize, xrowStep: usize, rows: i32, kW: i32, wr: usize, vb: v128,
                                     act: i32, yp: usize): void {
  let a0 = vb, a1 = vb, a2 = vb, a3 = vb;
  for (let r = 0; r < rows; r++) {
    let x0 = v128.load(xr), x1 = v128.load(xr + c4), x2 = v128.load(xr + (c4 << 1));
    let p = xr + c4 * 3;
    let wp = wr;
    for (let kw = 0; kw < kW; kw++) {
      const x3 = v128.load(p), w = v128.load(wp);
      a0 = madd(x0, w, a0); a1 = madd(x1, w, a1); a2 = madd(x2, w, a2); a3 = madd(x3, w, a3);
      x0 = x1; x1 = x2; x2 = x3;
      p += c4; wp += c4;
    }
    xr += xrowStep;
    wr += c4 * kW;
  }
  storeQuad(yp, c4, a0, a1, a2, a3, act);
}
