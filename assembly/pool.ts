// Pooling kernels over NHWC images, vectorised over channels (contiguous in NHWC): max and
// average pooling forward/backward with padding, global average / max pooling forward/backward.
//
// Layout of the window kernels: for each output pixel, the window clipped to the image is R x Q
// pixels. R, Q in 2..3 (2x2 and 3x3 pools and their clipped border windows) take unrolled code,
// other windows a loop; the channel loop runs inside, over 16 channels at a time for 2x2 windows
// and 4 at a time for larger ones (measured fastest on each), then a scalar loop over the last
// C % 4 channels.
//
// Exact max without f32x4.max: engines lower f32x4.max (NaN-propagating, -0 < +0) to ~8
// instructions on x86, so window maxima reduce the lanes' bit patterns with three one-instruction
// integer reductions instead and combine them at the end (see `maxOf`). The result is what a chain
// of f32x4.max gives, bit for bit, except for the payload of a NaN result.

/** Geometry of one pooling, 12 i32 written by the host (src/ops/pool.ts). */
@unmanaged class PoolArgs {
  batch: i32; inH: i32; inW: i32; C: i32;
  outH: i32; outW: i32; kH: i32; kW: i32;
  strideH: i32; strideW: i32; padTop: i32; padLeft: i32;
}

@inline function off(i: i32): usize { return <usize>i << 2; }

/** The rows/columns of the window that fall inside the image: [lo, hi). */
@inline function lo(o: i32, s: i32, pad: i32): i32 { return max(0, o * s - pad); }
@inline function hi(o: i32, s: i32, pad: i32, k: i32, size: i32): i32 { return min(size, o * s - pad + k); }

// Each output row is walked as: the windows clipped by the left edge one by one, a run of
// full-width windows (one call for the whole run, so the window shape is a constant of the
// unrolled code), then the windows clipped by the right edge.

/** The first output column whose window starts inside the image (padLeft >= 0). */
@inline function fullFrom(a: PoolArgs): i32 { return min(a.outW, (a.padLeft + a.strideW - 1) / a.strideW); }
/** One past the last output column whose window ends inside the image (>= from). */
@inline function fullTo(a: PoolArgs, from: i32): i32 {
  const last = a.inW + a.padLeft - a.kW;
  return last < 0 ? from : max(from, min(a.outW, last / a.strideW + 1));
}

// ---- exact max of a window --------------------------------------------------------------------
// Over the bit patterns of the window's values (as i32 lanes): top = signed max, bot = signed min,
// un = unsigned max. Non-negative floats order like their bits as signed ints and sit above every
// negative float, so if the window holds any value >= +0, top is its max (+0 beats -0, and a
// positive NaN beats everything, as in f32x4.max). Otherwise all values are <= -0, and the float
// closest to zero has the smallest signed pattern: bot (-0 = 0x80000000 is the smallest of all).
// A negative NaN (0xff800001..0xffffffff) is the unsigned maximum whenever present: un > -inf.

@inline function maxOf(top: v128, bot: v128, un: v128): v128 {
  const m = v128.bitselect(top, bot, i32x4.ge_s(top, i32x4.splat(0)));
  return v128.bitselect(un, m, i32x4.gt_u(un, i32x4.splat(0xff800000)));
}

/** Max over an R x Q window (constants after inlining, 1..3) of the four lanes at q. */
@inline function maxWin(q: usize, rs: usize, cs: usize, R: i32, Q: i32): v128 {
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
function maxWinAny(q: usize, rs: usize, cs: usize, R: i32, Q: i32): v128 {
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
@inline function maxScalar(p: usize, rs: usize, cs: usize, R: i32, Q: i32): f32 {
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

/** Fills C outputs with v (a window wholly in the padding; the host's geometry never has one). */
function fillOut(yp: usize, C: i32, v: f32): void {
  for (let c = 0; c < C; c++) store<f32>(yp + off(c), v);
}

export function maxPoolForward(args: usize, x: usize, y: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C), step = off(a.strideW * C);
  const f0 = fullFrom(a), f1 = fullTo(a, f0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), R = hi(oh, a.strideH, a.padTop, a.kH, H) - h0;
      const xr = x + off((n * H + h0) * W * C), yr = y + off((n * Ho + oh) * Wo * C);
      for (let ow = 0; ow < Wo; ow++) {
        if (ow == f0 && f1 > f0) {
          if (R > 0) maxRunDispatch(xr + <usize>(f0 * a.strideW - a.padLeft) * cs, rs, cs, step, yr + off(f0 * C), C, f1 - f0, R, a.kW);
          else for (; ow < f1; ow++) fillOut(yr + off(ow * C), C, -Infinity);
          ow = f1 - 1;
          continue;
        }
        const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
        if (R <= 0 || Q <= 0) fillOut(yr + off(ow * C), C, -Infinity);
        else maxRunDispatch(xr + <usize>w0 * cs, rs, cs, 0, yr + off(ow * C), C, 1, R, Q);
      }
    }
  }
}

// ---- max pooling gradient -----------------------------------------------------------------------
// dx = gradient of maxPool: each output's gradient goes to the FIRST position of its window, in
// row-major (h, then w) order, whose value equals the output (the first max on ties; the first
// NaN when the window holds one). Overlapping windows add up, in output order.
//
// Windows that cannot overlap (kH <= strideH and kW <= strideW: 2x2 stride 2) own their pixels,
// so they write each pixel's final gradient once, directly (no zero fill, no read of dx): g + 0
// at the max, as 0 + g was, and 0 elsewhere; pixels no window covers (gaps, rows/columns past the
// last window) are zeroed as the walk passes them. Overlapping windows add into dx; their input
// rows are zeroed just before the first window reaching them (still in cache then), and the
// additions run in the same order as a plain scatter, so the sums are the same bits.

/** Writes (ACC = false) or adds (ACC = true) v at p. */
@inline function put(p: usize, v: v128, ACC: bool): void {
  v128.store(p, ACC ? f32x4.add(v128.load(p), v) : v);
}

/**
 * One position of a window for four lanes: `rest` is g in the lanes whose gradient is not yet
 * placed (0 in the others); the position takes it where x == y. Returns what remains. The last
 * position takes all that remains without looking at x: y (not NaN) equals one of the window's
 * values, so the lanes still holding g are the ones whose max is there (a quarter of the loads
 * of x saved on 2x2 pools).
 */
@inline function hitAt(q: usize, d: usize, y: v128, rest: v128, ACC: bool, LAST: bool): v128 {
  if (LAST) { put(d, rest, ACC); return rest; }
  const e = f32x4.eq(v128.load(q), y);
  put(d, v128.and(rest, e), ACC);
  return v128.andnot(rest, e);
}

/** Gradient of one R x Q window (1..3, constants after inlining) for four lanes without NaN in y. */
@inline function maxBackWin(q: usize, d: usize, rs: usize, cs: usize, y: v128, g: v128, R: i32, Q: i32, ACC: bool): void {
  const n = R * Q;
  let rest = hitAt(q, d, y, g, ACC, n == 1);
  if (Q > 1) rest = hitAt(q + cs, d + cs, y, rest, ACC, n == 2);
  if (Q > 2) rest = hitAt(q + 2 * cs, d + 2 * cs, y, rest, ACC, n == 3);
  if (R > 1) {
    const r = q + rs, e = d + rs;
    rest = hitAt(r, e, y, rest, ACC, n == Q + 1);
    if (Q > 1) rest = hitAt(r + cs, e + cs, y, rest, ACC, n == 4);
    if (Q > 2) rest = hitAt(r + 2 * cs, e + 2 * cs, y, rest, ACC, n == 6);
  }
  if (R > 2) {
    const r = q + 2 * rs, e = d + 2 * rs;
    rest = hitAt(r, e, y, rest, ACC, Q == 1);
    if (Q > 1) rest = hitAt(r + cs, e + cs, y, rest, ACC, Q == 2);
    if (Q > 2) rest = hitAt(r + 2 * cs, e + 2 * cs, y, rest, ACC, true);
  }
}

/** Any window, four lanes, y may hold NaN (then the first NaN of the window takes the gradient). */
function maxBackWinAny(q: usize, d: usize, rs: usize, cs: usize, y: v128, g: v128, R: i32, Q: i32, acc: bool): void {
  const yNaN = f32x4.ne(y, y);
  let done = i32x4.splat(0);
  for (let r = 0; r < R; r++) {
    let p: usize = <usize>r * rs;
    for (let w = 0; w < Q; w++) {
      const xv = v128.load(q + p);
      const hit = v128.andnot(v128.or(f32x4.eq(xv, y), v128.and(yNaN, f32x4.ne(xv, xv))), done);
      const v = v128.and(g, hit);
      v128.store(d + p, acc ? f32x4.add(v128.load(d + p), v) : v);
      done = v128.or(done, hit);
      p += cs;
    }
  }
}

/** Scalar gradient of channel c (the last C % 4 channels) into zeroed or accumulated dx. */
@inline function maxBackScalar(p: usize, d: usize, rs: usize, cs: usize, yv: f32, g: f32, R: i32, Q: i32): void {
  for (let r = 0; r < R; r++) {
    for (let w = 0; w < Q; w++) {
      const o = <usize>r * rs + <usize>w * cs;
      const xv = load<f32>(p + o);
      if (xv == yv || (yv != yv && xv != xv)) {
        store<f32>(d + o, load<f32>(d + o) + g);
        return;
      }
    }
  }
}

/** The gradient of one overlapping window, added into dx: all C channels. */
@inline function maxBackPixel(p: usize, d: usize, rs: usize, cs: usize, yp: usize, gp: usize, C: i32, R: i32, Q: i32): void {
  const C4 = C & ~3;
  // A NaN output (rare) sends the whole window to the general code, keeping calls and branches
  // out of the channel loop below.
  let nan = i32x4.splat(0);
  for (let c = 0; c < C4; c += 4) { const y = v128.load(yp + off(c)); nan = v128.or(nan, f32x4.ne(y, y)); }
  if (v128.any_true(nan)) { maxBackPixelAny(p, d, rs, cs, yp, gp, C, R, Q, true); return; }
  for (let c = 0; c < C4; c += 4) {
    maxBackWin(p + off(c), d + off(c), rs, cs, v128.load(yp + off(c)), v128.load(gp + off(c)), R, Q, true);
  }
  if (C4 < C) maxBackTail(p, d, rs, cs, yp, gp, C4, C, R, Q, true);
}

/** The last C % 4 channels, one at a time, into zeroed (!acc: zeroed here) or accumulated dx. */
function maxBackTail(p: usize, d: usize, rs: usize, cs: usize, yp: usize, gp: usize, c: i32, C: i32, R: i32, Q: i32, acc: bool): void {
  for (; c < C; c++) {
    if (!acc) for (let r = 0; r < R; r++) for (let w = 0; w < Q; w++) store<f32>(d + off(c) + <usize>r * rs + <usize>w * cs, 0);
    maxBackScalar(p + off(c), d + off(c), rs, cs, load<f32>(yp + off(c)), load<f32>(gp + off(c)), R, Q);
  }
}

/** Any window, any channels, y may hold NaN: written (!acc, into any dx) or added. */
function maxBackPixelAny(p: usize, d: usize, rs: usize, cs: usize, yp: usize, gp: usize, C: i32, R: i32, Q: i32, acc: bool): void {
  const zero = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const g = acc ? v128.load(gp + off(c)) : f32x4.add(v128.load(gp + off(c)), zero);
    maxBackWinAny(p + off(c), d + off(c), rs, cs, v128.load(yp + off(c)), g, R, Q, acc);
  }
  if (c < C) maxBackTail(p, d, rs, cs, yp, gp, c, C, R, Q, acc);
}

/** `count` overlapping windows of one output row, `step` bytes apart in x and dx. */
@inline function maxBackRun(p: usize, d: usize, rs: usize, cs: usize, step: usize, yp: usize, gp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  for (let i = 0; i < count; i++) {
    maxBackPixel(p, d, rs, cs, yp, gp, C, R, Q);
    p += step; d += step; yp += off(C); gp += off(C);
  }
}

function maxBackRunAny(p: usize, d: usize, rs: usize, cs: usize, step: usize, yp: usize, gp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  for (let i = 0; i < count; i++) {
    maxBackPixelAny(p, d, rs, cs, yp, gp, C, R, Q, true);
    p += step; d += step; yp += off(C); gp += off(C);
  }
}

function maxBackRunDispatch(p: usize, d: usize, rs: usize, cs: usize, step: usize, yp: usize, gp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  switch (R >= 2 && R <= 3 && Q >= 2 && Q <= 3 ? R * 4 + Q : 0) {
    case 10: maxBackRun(p, d, rs, cs, step, yp, gp, C, count, 2, 2); break;
    case 11: maxBackRun(p, d, rs, cs, step, yp, gp, C, count, 2, 3); break;
    case 14: maxBackRun(p, d, rs, cs, step, yp, gp, C, count, 3, 2); break;
    case 15: maxBackRun(p, d, rs, cs, step, yp, gp, C, count, 3, 3); break;
    default: maxBackRunAny(p, d, rs, cs, step, yp, gp, C, count, R, Q);
  }
}

// Own windows run one window row at a time, all windows of an output row per pass (fewer
// concurrent memory streams than whole windows: up to 2x faster on 2x2 pools). What is left of
// the gradient after row r of a window waits in dx at the window's first pixel of row r + 1,
// which the next pass reads and then overwrites with its final value.

/**
 * Row r of `count` own windows (Q = 1..3, FIRST: r = 0, LAST: r = R - 1), vector channels. The
 * window's last pixel takes what remains (see hitAt).
 */
@inline function ownRun(q: usize, d: usize, rs: usize, cs: usize, step: usize, yp: usize, gp: usize, C: i32, count: i32, Q: i32, FIRST: bool, LAST: bool): void {
  const zero = f32x4.splat(0);
  const C4 = C & ~3;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < C4; c += 4) {
      const y = v128.load(yp + off(c)), qc = q + off(c), dc = d + off(c);
      // 0 + g, as the zero-filled sum had it (-0 becomes +0).
      let rest = FIRST ? f32x4.add(v128.load(gp + off(c)), zero) : v128.load(dc);
      if (Q > 1) rest = hitAt(qc, dc, y, rest, false, false);
      if (Q > 2) rest = hitAt(qc + cs, dc + cs, y, rest, false, false);
      const last = dc + <usize>(Q - 1) * cs;
      if (LAST) v128.store(last, rest);
      else v128.store(dc + rs, hitAt(qc + <usize>(Q - 1) * cs, last, y, rest, false, false));
    }
    q += step; d += step; yp += off(C); gp += off(C);
  }
}

function ownRunAny(q: usize, d: usize, rs: usize, cs: usize, step: usize, yp: usize, gp: usize, C: i32, count: i32, Q: i32, first: bool, last: bool): void {
  const zero = f32x4.splat(0);
  const C4 = C & ~3;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < C4; c += 4) {
      const y = v128.load(yp + off(c));
      let rest = first ? f32x4.add(v128.load(gp + off(c)), zero) : v128.load(d + off(c));
      const n = last ? Q - 1 : Q;
      for (let w = 0; w < n; w++) rest = hitAt(q + <usize>w * cs + off(c), d + <usize>w * cs + off(c), y, rest, false, false);
      v128.store(last ? d + <usize>(Q - 1) * cs + off(c) : d + rs + off(c), rest);
    }
    q += step; d += step; yp += off(C); gp += off(C);
  }
}

function ownRunDispatch(q: usize, d: usize, rs: usize, cs: usize, step: usize, yp: usize, gp: usize, C: i32, count: i32, Q: i32, first: bool, last: bool): void {
  switch (Q <= 3 ? Q * 4 + (first ? 1 : 0) + (last ? 2 : 0) : 0) {
    case 4: ownRun(q, d, rs, cs, step, yp, gp, C, count, 1, false, false); break;
    case 5: ownRun(q, d, rs, cs, step, yp, gp, C, count, 1, true, false); break;
    case 6: ownRun(q, d, rs, cs, step, yp, gp, C, count, 1, false, true); break;
    case 7: ownRun(q, d, rs, cs, step, yp, gp, C, count, 1, true, true); break;
    case 8: ownRun(q, d, rs, cs, step, yp, gp, C, count, 2, false, false); break;
    case 9: ownRun(q, d, rs, cs, step, yp, gp, C, count, 2, true, false); break;
    case 10: ownRun(q, d, rs, cs, step, yp, gp, C, count, 2, false, true); break;
    case 11: ownRun(q, d, rs, cs, step, yp, gp, C, count, 2, true, true); break;
    case 12: ownRun(q, d, rs, cs, step, yp, gp, C, count, 3, false, false); break;
    case 13: ownRun(q, d, rs, cs, step, yp, gp, C, count, 3, true, false); break;
    case 14: ownRun(q, d, rs, cs, step, yp, gp, C, count, 3, false, true); break;
    case 15: ownRun(q, d, rs, cs, step, yp, gp, C, count, 3, true, true); break;
    default: ownRunAny(q, d, rs, cs, step, yp, gp, C, count, Q, first, last);
  }
}

/** Zeroes columns [w0, w1) of rows [h0, h1) of one image of dx. */
function zeroCols(dxn: usize, rs: usize, cs: usize, h0: i32, h1: i32, w0: i32, w1: i32): void {
  if (w0 < w1) for (let r = h0; r < h1; r++) memory.fill(dxn + <usize>r * rs + <usize>w0 * cs, 0, <usize>(w1 - w0) * cs);
}

/** One output row of own windows: the gaps zeroed, then the window rows in passes. */
function maxBackOwnRow(a: PoolArgs, xn: usize, dxn: usize, yr: usize, gr: usize, h0: i32, h1: i32): void {
  const W = a.inW, C = a.C, Wo = a.outW, R = h1 - h0;
  const rs = off(W * C), cs = off(C), step = off(a.strideW * C);
  const f0 = fullFrom(a), f1 = fullTo(a, f0);
  let zw = 0;
  for (let ow = 0; ow < Wo; ow++) {
    const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W);
    if (w1 <= w0) continue;
    zeroCols(dxn, rs, cs, h0, h1, zw, w0);
    zw = w1;
  }
  zeroCols(dxn, rs, cs, h0, h1, zw, W);
  // A NaN output (rare) sends the row's windows to the general code.
  let nan = i32x4.splat(0);
  let c = 0;
  for (; c + 4 <= Wo * C; c += 4) { const v = v128.load(yr + off(c)); nan = v128.or(nan, f32x4.ne(v, v)); }
  let slow = v128.any_true(nan);
  for (; c < Wo * C; c++) { const v = load<f32>(yr + off(c)); if (v != v) slow = true; }
  for (let ow = 0; ow < Wo; ow++) {
    const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
    if (Q <= 0) continue;
    const pix = <usize>h0 * rs + <usize>w0 * cs;
    if (slow) maxBackPixelAny(xn + pix, dxn + pix, rs, cs, yr + off(ow * C), gr + off(ow * C), C, R, Q, false);
    else if ((C & 3) != 0) maxBackTail(xn + pix, dxn + pix, rs, cs, yr + off(ow * C), gr + off(ow * C), C & ~3, C, R, Q, false);
  }
  if (slow) return;
  for (let r = 0; r < R; r++) {
    const xr = xn + <usize>(h0 + r) * rs, dr = dxn + <usize>(h0 + r) * rs;
    const first = r == 0, last = r == R - 1;
    for (let ow = 0; ow < Wo; ow++) {
      if (ow == f0 && f1 > f0) {
        const o = <usize>(f0 * a.strideW - a.padLeft) * cs;
        ownRunDispatch(xr + o, dr + o, rs, cs, step, yr + off(f0 * C), gr + off(f0 * C), C, f1 - f0, a.kW, first, last);
        ow = f1 - 1;
        continue;
      }
      const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
      if (Q <= 0) continue;
      ownRunDispatch(xr + <usize>w0 * cs, dr + <usize>w0 * cs, rs, cs, 0, yr + off(ow * C), gr + off(ow * C), C, 1, Q, first, last);
    }
  }
}

export function maxPoolBackward(args: usize, x: usize, y: usize, dy: usize, dx: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C), step = off(a.strideW * C);
  const own = a.kH <= a.strideH && a.kW <= a.strideW;
  const f0 = fullFrom(a), f1 = fullTo(a, f0);
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * H * W * C), dxn = dx + off(n * H * W * C);
    let zh = 0; // rows [0, zh) of dx are zeroed or written
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H), R = h1 - h0;
      if (R <= 0) continue;
      const yr = y + off((n * Ho + oh) * Wo * C), gr = dy + off((n * Ho + oh) * Wo * C);
      if (own) {
        if (zh < h0) memory.fill(dxn + <usize>zh * rs, 0, <usize>(h0 - zh) * rs);
        zh = h1;
        maxBackOwnRow(a, xn, dxn, yr, gr, h0, h1);
        continue;
      }
      if (zh < h1) { memory.fill(dxn + <usize>zh * rs, 0, <usize>(h1 - zh) * rs); zh = h1; }
      const xr = xn + <usize>h0 * rs, dr = dxn + <usize>h0 * rs;
      for (let ow = 0; ow < Wo; ow++) {
        if (ow == f0 && f1 > f0) {
          const o = <usize>(f0 * a.strideW - a.padLeft) * cs;
          maxBackRunDispatch(xr + o, dr + o, rs, cs, step, yr + off(f0 * C), gr + off(f0 * C), C, f1 - f0, R, a.kW);
          ow = f1 - 1;
          continue;
        }
        const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
        if (Q <= 0) continue;
        maxBackRunDispatch(xr + <usize>w0 * cs, dr + <usize>w0 * cs, rs, cs, 0, yr + off(ow * C), gr + off(ow * C), C, 1, R, Q);
      }
    }
    if (zh < H) memory.fill(dxn + <usize>zh * rs, 0, <usize>(H - zh) * rs);
  }
}

// ---- average pooling ----------------------------------------------------------------------------

/** Sum over an R x Q window (1..3) of the four lanes at q, from 0 in row-major order. */
@inline function sumWin(q: usize, rs: usize, cs: usize, R: i32, Q: i32): v128 {
  let s = f32x4.add(f32x4.splat(0), v128.load(q));
  if (Q > 1) s = f32x4.add(s, v128.load(q + cs));
  if (Q > 2) s = f32x4.add(s, v128.load(q + 2 * cs));
  if (R > 1) {
    const r = q + rs;
    s = f32x4.add(s, v128.load(r));
    if (Q > 1) s = f32x4.add(s, v128.load(r + cs));
    if (Q > 2) s = f32x4.add(s, v128.load(r + 2 * cs));
  }
  if (R > 2) {
    const r = q + 2 * rs;
    s = f32x4.add(s, v128.load(r));
    if (Q > 1) s = f32x4.add(s, v128.load(r + cs));
    if (Q > 2) s = f32x4.add(s, v128.load(r + 2 * cs));
  }
  return s;
}

function sumWinAny(q: usize, rs: usize, cs: usize, R: i32, Q: i32): v128 {
  let s = f32x4.splat(0);
  for (let r = 0; r < R; r++) {
    let p = q + <usize>r * rs;
    for (let w = 0; w < Q; w++) { s = f32x4.add(s, v128.load(p)); p += cs; }
  }
  return s;
}

@inline function sumScalar(p: usize, rs: usize, cs: usize, R: i32, Q: i32): f32 {
  let s: f32 = 0;
  for (let r = 0; r < R; r++) {
    for (let w = 0; w < Q; w++) s += load<f32>(p + <usize>r * rs + <usize>w * cs);
  }
  return s;
}

@inline function avgPixel(p: usize, rs: usize, cs: usize, yp: usize, C: i32, R: i32, Q: i32): void {
  const count = <f32>(R * Q), vcount = f32x4.splat(count);
  let c = 0;
  if (R * Q <= 4) {
    for (; c + 16 <= C; c += 16) {
      const q = p + off(c), o = yp + off(c);
      const s0 = sumWin(q, rs, cs, R, Q), s1 = sumWin(q + 16, rs, cs, R, Q);
      const s2 = sumWin(q + 32, rs, cs, R, Q), s3 = sumWin(q + 48, rs, cs, R, Q);
      v128.store(o, f32x4.div(s0, vcount)); v128.store(o, f32x4.div(s1, vcount), 16);
      v128.store(o, f32x4.div(s2, vcount), 32); v128.store(o, f32x4.div(s3, vcount), 48);
    }
  }
  for (; c + 4 <= C; c += 4) v128.store(yp + off(c), f32x4.div(sumWin(p + off(c), rs, cs, R, Q), vcount));
  if (c < C) avgTail(p, rs, cs, yp, c, C, R, Q);
}

function avgTail(p: usize, rs: usize, cs: usize, yp: usize, c: i32, C: i32, R: i32, Q: i32): void {
  const count = <f32>(R * Q);
  for (; c < C; c++) store<f32>(yp + off(c), sumScalar(p + off(c), rs, cs, R, Q) / count);
}

@inline function avgRun(p: usize, rs: usize, cs: usize, step: usize, yp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  for (let i = 0; i < count; i++) { avgPixel(p, rs, cs, yp, C, R, Q); p += step; yp += off(C); }
}

function avgRunAny(p: usize, rs: usize, cs: usize, step: usize, yp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  const vcount = f32x4.splat(<f32>(R * Q));
  for (let i = 0; i < count; i++) {
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(yp + off(c), f32x4.div(sumWinAny(p + off(c), rs, cs, R, Q), vcount));
    if (c < C) avgTail(p, rs, cs, yp, c, C, R, Q);
    p += step; yp += off(C);
  }
}

function avgRunDispatch(p: usize, rs: usize, cs: usize, step: usize, yp: usize, C: i32, count: i32, R: i32, Q: i32): void {
  switch (R >= 2 && R <= 3 && Q >= 2 && Q <= 3 ? R * 4 + Q : 0) {
    case 10: avgRun(p, rs, cs, step, yp, C, count, 2, 2); break;
    case 11: avgRun(p, rs, cs, step, yp, C, count, 2, 3); break;
    case 14: avgRun(p, rs, cs, step, yp, C, count, 3, 2); break;
    case 15: avgRun(p, rs, cs, step, yp, C, count, 3, 3); break;
    default: avgRunAny(p, rs, cs, step, yp, C, count, R, Q);
  }
}

/** Average over the window's positions inside the image (padding excluded from the count). */
export function avgPoolForward(args: usize, x: usize, y: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C), step = off(a.strideW * C);
  const f0 = fullFrom(a), f1 = fullTo(a, f0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), R = hi(oh, a.strideH, a.padTop, a.kH, H) - h0;
      const xr = x + off((n * H + h0) * W * C), yr = y + off((n * Ho + oh) * Wo * C);
      for (let ow = 0; ow < Wo; ow++) {
        if (ow == f0 && f1 > f0) {
          if (R > 0) avgRunDispatch(xr + <usize>(f0 * a.strideW - a.padLeft) * cs, rs, cs, step, yr + off(f0 * C), C, f1 - f0, R, a.kW);
          else for (; ow < f1; ow++) fillOut(yr + off(ow * C), C, NaN);
          ow = f1 - 1;
          continue;
        }
        const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
        if (R <= 0 || Q <= 0) fillOut(yr + off(ow * C), C, NaN); // 0 / 0
        else avgRunDispatch(xr + <usize>w0 * cs, rs, cs, 0, yr + off(ow * C), C, 1, R, Q);
      }
    }
  }
}

/** Writes (ACC = false) or adds v at the R x Q window (1..3, constants after inlining) at d. */
@inline function spreadWin(d: usize, rs: usize, cs: usize, v: v128, R: i32, Q: i32, ACC: bool): void {
  put(d, v, ACC);
  if (Q > 1) put(d + cs, v, ACC);
  if (Q > 2) put(d + 2 * cs, v, ACC);
  if (R > 1) {
    const e = d + rs;
    put(e, v, ACC);
    if (Q > 1) put(e + cs, v, ACC);
    if (Q > 2) put(e + 2 * cs, v, ACC);
  }
  if (R > 2) {
    const e = d + 2 * rs;
    put(e, v, ACC);
    if (Q > 1) put(e + cs, v, ACC);
    if (Q > 2) put(e + 2 * cs, v, ACC);
  }
}

/**
 * dx over one window: g / count added to every pixel (ACC), or written (own windows) as
 * g / count + 0, which is what adding it to the zero fill gave.
 */
@inline function avgBackPixel(d: usize, rs: usize, cs: usize, gp: usize, C: i32, R: i32, Q: i32, ACC: bool): void {
  const count = <f32>(R * Q), vcount = f32x4.splat(count), zero = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    let g = f32x4.div(v128.load(gp + off(c)), vcount);
    if (!ACC) g = f32x4.add(g, zero);
    spreadWin(d + off(c), rs, cs, g, R, Q, ACC);
  }
  if (c < C) avgBackTail(d, rs, cs, gp, c, C, R, Q, ACC);
}

function avgBackTail(d: usize, rs: usize, cs: usize, gp: usize, c: i32, C: i32, R: i32, Q: i32, acc: bool): void {
  const count = <f32>(R * Q);
  for (; c < C; c++) {
    let g = load<f32>(gp + off(c)) / count;
    if (!acc) g += 0;
    for (let r = 0; r < R; r++) {
      for (let w = 0; w < Q; w++) {
        const o = d + off(c) + <usize>r * rs + <usize>w * cs;
        store<f32>(o, acc ? load<f32>(o) + g : g);
      }
    }
  }
}

function avgBackPixelAny(d: usize, rs: usize, cs: usize, gp: usize, C: i32, R: i32, Q: i32, acc: bool): void {
  const count = <f32>(R * Q), vcount = f32x4.splat(count), zero = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    let g = f32x4.div(v128.load(gp + off(c)), vcount);
    if (!acc) g = f32x4.add(g, zero);
    for (let r = 0; r < R; r++) {
      let o = d + off(c) + <usize>r * rs;
      for (let w = 0; w < Q; w++) { v128.store(o, acc ? f32x4.add(v128.load(o), g) : g); o += cs; }
    }
  }
  if (c < C) avgBackTail(d, rs, cs, gp, c, C, R, Q, acc);
}

@inline function avgBackRun(d: usize, rs: usize, cs: usize, step: usize, gp: usize, C: i32, count: i32, R: i32, Q: i32, ACC: bool): void {
  for (let i = 0; i < count; i++) { avgBackPixel(d, rs, cs, gp, C, R, Q, ACC); d += step; gp += off(C); }
}

function avgBackRunAny(d: usize, rs: usize, cs: usize, step: usize, gp: usize, C: i32, count: i32, R: i32, Q: i32, acc: bool): void {
  for (let i = 0; i < count; i++) { avgBackPixelAny(d, rs, cs, gp, C, R, Q, acc); d += step; gp += off(C); }
}

function avgBackRunDispatch(d: usize, rs: usize, cs: usize, step: usize, gp: usize, C: i32, count: i32, R: i32, Q: i32, acc: bool): void {
  switch (R >= 2 && R <= 3 && Q >= 2 && Q <= 3 ? R * 4 + Q + (acc ? 16 : 0) : 0) {
    case 10: avgBackRun(d, rs, cs, step, gp, C, count, 2, 2, false); break;
    case 11: avgBackRun(d, rs, cs, step, gp, C, count, 2, 3, false); break;
    case 14: avgBackRun(d, rs, cs, step, gp, C, count, 3, 2, false); break;
    case 15: avgBackRun(d, rs, cs, step, gp, C, count, 3, 3, false); break;
    case 26: avgBackRun(d, rs, cs, step, gp, C, count, 2, 2, true); break;
    case 27: avgBackRun(d, rs, cs, step, gp, C, count, 2, 3, true); break;
    case 30: avgBackRun(d, rs, cs, step, gp, C, count, 3, 2, true); break;
    case 31: avgBackRun(d, rs, cs, step, gp, C, count, 3, 3, true); break;
    default: avgBackRunAny(d, rs, cs, step, gp, C, count, R, Q, acc);
  }
}

export function avgPoolBackward(args: usize, dy: usize, dx: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C), step = off(a.strideW * C);
  const own = a.kH <= a.strideH && a.kW <= a.strideW;
  const f0 = fullFrom(a), f1 = fullTo(a, f0);
  for (let n = 0; n < N; n++) {
    const dxn = dx + off(n * H * W * C);
    let zh = 0; // rows [0, zh) of dx are zeroed or written
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H), R = h1 - h0;
      if (R <= 0) continue;
      const top = own ? h0 : h1;
      if (zh < top) memory.fill(dxn + <usize>zh * rs, 0, <usize>(top - zh) * rs);
      zh = max(zh, h1);
      const gr = dy + off((n * Ho + oh) * Wo * C), dr = dxn + <usize>h0 * rs;
      let zw = 0; // own: columns [0, zw) of rows h0..h1 are written
      for (let ow = 0; ow < Wo; ow++) {
        if (ow == f0 && f1 > f0) {
          const w0 = f0 * a.strideW - a.padLeft;
          if (own) zeroCols(dxn, rs, cs, h0, h1, zw, w0);
          avgBackRunDispatch(dr + <usize>w0 * cs, rs, cs, step, gr + off(f0 * C), C, f1 - f0, R, a.kW, !own);
          // own: the gaps between the run's windows (kW < strideW)
          if (own && a.kW < a.strideW) for (let i = f0; i < f1 - 1; i++) zeroCols(dxn, rs, cs, h0, h1, i * a.strideW - a.padLeft + a.kW, (i + 1) * a.strideW - a.padLeft);
          zw = (f1 - 1) * a.strideW - a.padLeft + a.kW;
          ow = f1 - 1;
          continue;
        }
        const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W), Q = w1 - w0;
        if (Q <= 0) continue;
        if (own) zeroCols(dxn, rs, cs, h0, h1, zw, w0);
        zw = w1;
        avgBackRunDispatch(dr + <usize>w0 * cs, rs, cs, 0, gr + off(ow * C), C, 1, R, Q, !own);
      }
      if (own) zeroCols(dxn, rs, cs, h0, h1, zw, W);
    }
    if (zh < H) memory.fill(dxn + <usize>zh * rs, 0, <usize>(H - zh) * rs);
  }
}

// ---- global pooling: [N, HW, C] -> [N, C] ----------------------------------------------------

export function globalAvgPoolForward(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), yn = y + off(n * C);
    memory.fill(yn, 0, off(C));
    // Sum image rows into y in place: streams x once, y (one row of C) stays in L1.
    for (let i = 0; i < HW; i++) {
      const p = xn + off(i * C);
      let c = 0;
      for (; c + 4 <= C; c += 4) v128.store(yn + off(c), f32x4.add(v128.load(yn + off(c)), v128.load(p + off(c))));
      for (; c < C; c++) store<f32>(yn + off(c), load<f32>(yn + off(c)) + load<f32>(p + off(c)));
    }
    let c = 0;
    const vcount = f32x4.splat(<f32>HW);
    for (; c + 4 <= C; c += 4) v128.store(yn + off(c), f32x4.div(v128.load(yn + off(c)), vcount));
    for (; c < C; c++) store<f32>(yn + off(c), load<f32>(yn + off(c)) / <f32>HW);
  }
}

export function globalAvgPoolBackward(dy: usize, dx: usize, N: i32, HW: i32, C: i32): void {
  const vcount = f32x4.splat(<f32>HW);
  const row = off(C);
  for (let n = 0; n < N; n++) {
    const gn = dy + off(n * C), dxn = dx + off(n * HW * C);
    if (HW <= 0) continue;
    // The first pixel's row, then copies of it (doubling: log2(HW) copies).
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(dxn + off(c), f32x4.div(v128.load(gn + off(c)), vcount));
    for (; c < C; c++) store<f32>(dxn + off(c), load<f32>(gn + off(c)) / <f32>HW);
    for (let k = 1; k < HW; k <<= 1) memory.copy(dxn + <usize>k * row, dxn, <usize>min(k, HW - k) * row);
  }
}

// Global max pooling walks the image in chunks of about 16 KB (all channels of a chunk stay in
// L1; a whole image column of one channel block would hit the same few cache sets when C * 4 is
// a large power of two), keeping each channel's running max in y.
@inline function chunkOf(C: i32): i32 { return max(8, min(64, 4096 / max(C, 1))); }

export function globalMaxPoolForward(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  const C4 = C & ~3, rowBytes = off(C), chunk = chunkOf(C);
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), yn = y + off(n * C);
    if (HW <= 0) { fillOut(yn, C, -Infinity); continue; }
    for (let i0 = 0; i0 < HW; i0 += chunk) {
      const i1 = min(HW, i0 + chunk);
      for (let c = 0; c < C4; c += 4) {
        let p = xn + <usize>i0 * rowBytes + off(c);
        // The chunk's pixels and the max so far (exact: see maxOf), in any order.
        const v0 = i0 == 0 ? v128.load(p) : v128.load(yn + off(c));
        let top = v0, bot = v0, un = v0;
        for (let i = i0; i < i1; i++) {
          const v = v128.load(p);
          top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v);
          p += rowBytes;
        }
        v128.store(yn + off(c), maxOf(top, bot, un));
      }
    }
    for (let c = C4; c < C; c++) {
      let m: f32 = -Infinity;
      for (let i = 0; i < HW; i++) {
        const v = load<f32>(xn + off(i * C + c));
        if (v > m || v != v) m = v;
        if (m != m) break;
      }
      store<f32>(yn + off(c), m);
    }
  }
}

/**
 * Each channel's gradient goes to its first (row-major) position equal to the max (the first NaN
 * when the max is NaN), as g; 0 elsewhere. The gradient not yet placed waits in dx at the last
 * pixel, which keeps it: no earlier pixel matching means the last one holds the max.
 */
export function globalMaxPoolBackward(x: usize, y: usize, dy: usize, dx: usize, N: i32, HW: i32, C: i32): void {
  const C4 = C & ~3, rowBytes = off(C), chunk = chunkOf(C);
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), dxn = dx + off(n * HW * C);
    if (HW <= 0) continue;
    const lastRow = dxn + <usize>(HW - 1) * rowBytes;
    memory.copy(lastRow, dy + off(n * C), off(C4));
    for (let i0 = 0; i0 < HW - 1; i0 += chunk) {
      const i1 = min(HW - 1, i0 + chunk);
      for (let c = 0; c < C4; c += 4) {
        const m = v128.load(y + off(n * C + c)), mNaN = f32x4.ne(m, m);
        let rest = v128.load(lastRow + off(c));
        let p = <usize>i0 * rowBytes + off(c);
        if (v128.any_true(mNaN)) {
          for (let i = i0; i < i1; i++) {
            const v = v128.load(xn + p);
            const hit = v128.or(f32x4.eq(v, m), v128.and(mNaN, f32x4.ne(v, v)));
            v128.store(dxn + p, v128.and(rest, hit));
            rest = v128.andnot(rest, hit);
            p += rowBytes;
          }
        } else {
          for (let i = i0; i < i1; i++) {
            const hit = f32x4.eq(v128.load(xn + p), m);
            v128.store(dxn + p, v128.and(rest, hit));
            rest = v128.andnot(rest, hit);
            p += rowBytes;
          }
        }
        v128.store(lastRow + off(c), rest);
      }
    }
    for (let c = C4; c < C; c++) {
      const m = load<f32>(y + off(n * C + c));
      const isNaN = m != m;
      let found = false;
      for (let i = 0; i < HW; i++) {
        const p = off(i * C + c);
        const v = load<f32>(xn + p);
        if (!found && (v == m || (isNaN && v != v))) {
          store<f32>(dxn + p, load<f32>(dy + off(n * C + c)));
          found = true;
        } else {
          store<f32>(dxn + p, 0);
        }
      }
    }
  }
}
