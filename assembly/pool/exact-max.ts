// The exact maximum of a pooling window without f32x4.max: engines lower f32x4.max
// (NaN-propagating, -0 < +0) to ~8 instructions on x86, so window maxima reduce the lanes' bit
// patterns with three one-instruction integer reductions instead and combine them at the end
// (see `maxOf`). The result is what a chain of f32x4.max gives, bit for bit, except for the
// payload of a NaN result.
import { off } from '../simd';

// Over the bit patterns of the window's values (as i32 lanes): top = signed max, bot = signed min,
// un = unsigned max. Non-negative floats order like their bits as signed ints and sit above every
// negative float, so if the window holds any value >= +0, top is its max (+0 beats -0, and a
// positive NaN beats everything, as in f32x4.max). Otherwise all values are <= -0, and the float
// closest to zero has the smallest signed pattern: bot (-0 = 0x80000000 is the smallest of all).
// A negative NaN (0xff800001..0xffffffff) is the unsigned maximum whenever present: un > -inf.

@inline export function maxOf(top: v128, bot: v128, un: v128): v128 {
  const m = v128.bitselect(top, bot, i32x4.ge_s(top, i32x4.splat(0)));
  return v128.bitselect(un, m, i32x4.gt_u(un, i32x4.splat(0xff800000)));
}

/** Max over an R x Q window (constants after inlining, 1..3) of the four lanes at q. */
@inline export function maxWin(q: usize, rs: usize, cs: usize, R: i32, Q: i32): v128 {
  let v = v128.load(q);
  let top = v, bot = v, un = v;
  if (Q > 1) { v = v128.load(q + cs); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v); }
  if (Q > 2) { v = v128.load(q + 2 * cs); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v); }
  if (R > 1) {
    const r = q + rs;
    v = v128.load(r); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v);
    if (Q > 1) { v = v128.load(r + cs); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v); }
    if (Q > 2) { v = v128.load(r + 2 * cs); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v); }
  }
  if (R > 2) {
    const r = q + 2 * rs;
    v = v128.load(r); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v);
    if (Q > 1) { v = v128.load(r + cs); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v); }
    if (Q > 2) { v = v128.load(r + 2 * cs); top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v); }
  }
  return maxOf(top, bot, un);
}

/** The same for any window size (R, Q >= 1). */
export function maxWinAny(q: usize, rs: usize, cs: usize, R: i32, Q: i32): v128 {
  const v0 = v128.load(q);
  let top = v0, bot = v0, un = v0;
  for (let r = 0; r < R; r++) {
    let p = q + <usize>r * rs;
    for (let w = 0; w < Q; w++) {
      const v = v128.load(p);
      top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v);
      p += cs;
    }
  }
  return maxOf(top, bot, un);
}

/** Scalar max of channel c (the last C % 4 channels): the first NaN, else the first maximum. */
@inline export function maxScalar(p: usize, rs: usize, cs: usize, R: i32, Q: i32): f32 {
  let m: f32 = -Infinity;
  for (let r = 0; r < R; r++) {
    for (let w = 0; w < Q; w++) {
      const v = load<f32>(p + <usize>r * rs + <usize>w * cs);
      if (v > m || v != v) m = v;
      if (m != m) return m;
    }
  }
  return m;
}
