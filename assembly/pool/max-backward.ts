// Max pooling gradient over NHWC images, with padding, vectorised over channels.
// dx = gradient of maxPool: each output's gradient goes to the FIRST position of its window, in
// row-major (h, then w) order, whose value equals the output (the first max on ties; the first
// NaN when the window holds one). Overlapping windows add up, in output order.
//
// Windows that cannot overlap (kH <= strideH and kW <= strideW: 2x2 stride 2) own their pixels,
// so they write each pixel's final gradient once, directly (no zero fill, no read of dx): g + 0
// at the max (the bits of 0 + g, a scatter into a zero fill), and 0 elsewhere; pixels no window
// covers (gaps, rows/columns past the last window) are zeroed as the walk passes them. Overlapping windows add into dx; their input
// rows are zeroed just before the first window reaching them (still in cache then), and the
// additions run in the same order as a plain scatter, so the sums are the same bits.
import { off } from '../simd';
import { PoolArgs, lo, hi, fullFrom, fullTo, put, zeroCols } from './window';

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
      // 0 + g, as a scatter into a zero fill gives (-0 becomes +0).
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
