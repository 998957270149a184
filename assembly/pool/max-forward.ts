// Max pooling forward over NHWC images, with padding, vectorised over channels.
import { off } from '../simd';
import { poolForward } from './window';
import { maxWin, maxWinAny, maxScalar } from './exact-max';

/** One output pixel: y[c] = max over the R x Q window at p, for all C channels. */
@inline function maxPixel(p: usize, rs: usize, cs: usize, yp: usize, C: i32, R: i32, Q: i32): void {
  let c = 0;
  if (R * Q <= 4) {
    for (; c + 16 <= C; c += 16) {
      const q = p + off(c), o = yp + off(c);
      const m0 = maxWin(q, rs, cs, R, Q), m1 = maxWin(q + 16, rs, cs, R, Q);
      const m2 = maxWin(q + 32, rs, cs, R, Q), m3 = maxWin(q + 48, rs, cs, R, Q);
      v128.store(o, m0); v128.store(o, m1, 16); v128.store(o, m2, 32); v128.store(o, m3, 48);
    }
  }
  for (; c + 4 <= C; c += 4) v128.store(yp + off(c), maxWin(p + off(c), rs, cs, R, Q));
  if (c < C) maxTail(p, rs, cs, yp, c, C, R, Q);
}

function maxTail(p: usize, rs: usize, cs: usize, yp: usize, c: i32, C: i32, R: i32, Q: i32): void {
  for (; c < C; c++) store<f32>(yp + off(c), maxScalar(p + off(c), rs, cs, R, Q));
}

/** `count` windows of one output row, R x Q each, `step` bytes apart in x. */
@inline function maxRun(p: usize, rs: usize, cs: usize, step: usize, yp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  for (let i = 0; i < count; i++) { maxPixel(p, rs, cs, yp, C, R, Q); p += step; yp += off(C); }
}

function maxRunAny(p: usize, rs: usize, cs: usize, step: usize, yp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  for (let i = 0; i < count; i++) {
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(yp + off(c), maxWinAny(p + off(c), rs, cs, R, Q));
    if (c < C) maxTail(p, rs, cs, yp, c, C, R, Q);
    p += step; yp += off(C);
  }
}

function maxRunDispatch(p: usize, rs: usize, cs: usize, step: usize, yp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  switch (R >= 2 && R <= 3 && Q >= 2 && Q <= 3 ? R * 4 + Q : 0) {
    case 10: maxRun(p, rs, cs, step, yp, C, count, 2, 2); break;
    case 11: maxRun(p, rs, cs, step, yp, C, count, 2, 3); break;
    case 14: maxRun(p, rs, cs, step, yp, C, count, 3, 2); break;
    case 15: maxRun(p, rs, cs, step, yp, C, count, 3, 3); break;
    default: maxRunAny(p, rs, cs, step, yp, C, count, R, Q);
  }
}

export function maxPoolForward(args: usize, x: usize, y: usize): void {
  poolForward(args, x, y, maxRunDispatch, -Infinity);
}
