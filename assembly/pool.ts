// Pooling kernels over NHWC images, vectorised over channels (contiguous in NHWC): max and
// average pooling forward/backward with padding, global average / max pooling forward/backward.
//
// Layout of the window kernels: for each output pixel, the window clipped to the image is R x Q
// pixels (R, Q = 1..3 take unrolled code, larger windows a loop); the channel loop runs inside,
// over 16 channels at a time for windows of <= 4 pixels (2x2 pools) and 4 at a time for larger
// ones (measured fastest on each), then a scalar loop over the last C % 4 channels.
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
  for (; c < C; c++) store<f32>(yp + off(c), maxScalar(p + off(c), rs, cs, R, Q));
}

function maxPixelAny(p: usize, rs: usize, cs: usize, yp: usize, C: i32, R: i32, Q: i32): void {
  let c = 0;
  for (; c + 4 <= C; c += 4) v128.store(yp + off(c), maxWinAny(p + off(c), rs, cs, R, Q));
  for (; c < C; c++) store<f32>(yp + off(c), maxScalar(p + off(c), rs, cs, R, Q));
}

export function maxPoolForward(args: usize, x: usize, y: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), R = hi(oh, a.strideH, a.padTop, a.kH, H) - h0;
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
        const yp = y + off(((n * Ho + oh) * Wo + ow) * C);
        const p = x + off(((n * H + h0) * W + w0) * C);
        if (R <= 0 || Q <= 0) { // a window wholly in the padding: max of nothing
          for (let c = 0; c < C; c++) store<f32>(yp + off(c), -Infinity);
          continue;
        }
        switch (R <= 3 && Q <= 3 ? R * 4 + Q : 0) {
          case 5: maxPixel(p, rs, cs, yp, C, 1, 1); break;
          case 6: maxPixel(p, rs, cs, yp, C, 1, 2); break;
          case 7: maxPixel(p, rs, cs, yp, C, 1, 3); break;
          case 9: maxPixel(p, rs, cs, yp, C, 2, 1); break;
          case 10: maxPixel(p, rs, cs, yp, C, 2, 2); break;
          case 11: maxPixel(p, rs, cs, yp, C, 2, 3); break;
          case 13: maxPixel(p, rs, cs, yp, C, 3, 1); break;
          case 14: maxPixel(p, rs, cs, yp, C, 3, 2); break;
          case 15: maxPixel(p, rs, cs, yp, C, 3, 3); break;
          default: maxPixelAny(p, rs, cs, yp, C, R, Q);
        }
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
// so each window writes its pixels' final gradients directly (one pass over dx, no zero fill):
// g + 0 where the max is, 0 elsewhere, as 0 + g was. Uncovered pixels (gaps, the rows/columns
// past the last window) are zeroed as the walk passes them. Overlapping windows add into dx;
// their input rows are zeroed just before the first window reaching them (in cache), and the
// additions run in the same order as a plain scatter, so the sums are the same bits.

/** Writes (ACC = false) or adds (ACC = true) v at p. */
@inline function put(p: usize, v: v128, ACC: bool): void {
  v128.store(p, ACC ? f32x4.add(v128.load(p), v) : v);
}

/** One position of a window for four lanes: the hits (x == y and not yet taken) get g. */
@inline function hitAt(q: usize, d: usize, y: v128, g: v128, done: v128, ACC: bool, LAST: bool): v128 {
  const e = v128.andnot(f32x4.eq(v128.load(q), y), done);
  put(d, v128.and(g, e), ACC);
  return LAST ? done : v128.or(done, e);
}

/** Gradient of one R x Q window (1..3, constants after inlining) for four lanes without NaN in y. */
@inline function maxBackWin(q: usize, d: usize, rs: usize, cs: usize, y: v128, g: v128, R: i32, Q: i32, ACC: bool): void {
  let done = f32x4.eq(v128.load(q), y);
  put(d, v128.and(g, done), ACC);
  const n = R * Q;
  if (Q > 1) done = hitAt(q + cs, d + cs, y, g, done, ACC, n == 2);
  if (Q > 2) done = hitAt(q + 2 * cs, d + 2 * cs, y, g, done, ACC, n == 3);
  if (R > 1) {
    const r = q + rs, e = d + rs;
    done = hitAt(r, e, y, g, done, ACC, n == Q + 1);
    if (Q > 1) done = hitAt(r + cs, e + cs, y, g, done, ACC, n == 4);
    if (Q > 2) done = hitAt(r + 2 * cs, e + 2 * cs, y, g, done, ACC, n == 6);
  }
  if (R > 2) {
    const r = q + 2 * rs, e = d + 2 * rs;
    done = hitAt(r, e, y, g, done, ACC, Q == 1);
    if (Q > 1) done = hitAt(r + cs, e + cs, y, g, done, ACC, Q == 2);
    if (Q > 2) done = hitAt(r + 2 * cs, e + 2 * cs, y, g, done, ACC, true);
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

/** The gradient of one output pixel's window: all C channels. */
@inline function maxBackPixel(p: usize, d: usize, rs: usize, cs: usize, yp: usize, gp: usize, C: i32, R: i32, Q: i32, ACC: bool): void {
  const zero = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const y = v128.load(yp + off(c));
    // Writing (not adding): 0 + g as the zero-filled sum had it (-0 becomes +0).
    const g = ACC ? v128.load(gp + off(c)) : f32x4.add(v128.load(gp + off(c)), zero);
    if (v128.any_true(f32x4.ne(y, y))) maxBackWinAny(p + off(c), d + off(c), rs, cs, y, g, R, Q, ACC);
    else maxBackWin(p + off(c), d + off(c), rs, cs, y, g, R, Q, ACC);
  }
  for (; c < C; c++) {
    if (!ACC) for (let r = 0; r < R; r++) for (let w = 0; w < Q; w++) store<f32>(d + off(c) + <usize>r * rs + <usize>w * cs, 0);
    maxBackScalar(p + off(c), d + off(c), rs, cs, load<f32>(yp + off(c)), load<f32>(gp + off(c)), R, Q);
  }
}

function maxBackPixelAny(p: usize, d: usize, rs: usize, cs: usize, yp: usize, gp: usize, C: i32, R: i32, Q: i32, acc: bool): void {
  const zero = f32x4.splat(0);
  let c = 0;
  for (; c + 4 <= C; c += 4) {
    const g = acc ? v128.load(gp + off(c)) : f32x4.add(v128.load(gp + off(c)), zero);
    maxBackWinAny(p + off(c), d + off(c), rs, cs, v128.load(yp + off(c)), g, R, Q, acc);
  }
  for (; c < C; c++) {
    if (!acc) for (let r = 0; r < R; r++) for (let w = 0; w < Q; w++) store<f32>(d + off(c) + <usize>r * rs + <usize>w * cs, 0);
    maxBackScalar(p + off(c), d + off(c), rs, cs, load<f32>(yp + off(c)), load<f32>(gp + off(c)), R, Q);
  }
}

@inline function maxBackDispatch(p: usize, d: usize, rs: usize, cs: usize, yp: usize, gp: usize, C: i32, R: i32, Q: i32, ACC: bool): void {
  switch (R <= 3 && Q <= 3 ? R * 4 + Q : 0) {
    case 5: maxBackPixel(p, d, rs, cs, yp, gp, C, 1, 1, ACC); break;
    case 6: maxBackPixel(p, d, rs, cs, yp, gp, C, 1, 2, ACC); break;
    case 7: maxBackPixel(p, d, rs, cs, yp, gp, C, 1, 3, ACC); break;
    case 9: maxBackPixel(p, d, rs, cs, yp, gp, C, 2, 1, ACC); break;
    case 10: maxBackPixel(p, d, rs, cs, yp, gp, C, 2, 2, ACC); break;
    case 11: maxBackPixel(p, d, rs, cs, yp, gp, C, 2, 3, ACC); break;
    case 13: maxBackPixel(p, d, rs, cs, yp, gp, C, 3, 1, ACC); break;
    case 14: maxBackPixel(p, d, rs, cs, yp, gp, C, 3, 2, ACC); break;
    case 15: maxBackPixel(p, d, rs, cs, yp, gp, C, 3, 3, ACC); break;
    default: maxBackPixelAny(p, d, rs, cs, yp, gp, C, R, Q, ACC);
  }
}

export function maxPoolBackward(args: usize, x: usize, y: usize, dy: usize, dx: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C);
  const own = a.kH <= a.strideH && a.kW <= a.strideW;
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * H * W * C), dxn = dx + off(n * H * W * C);
    let zh = 0; // rows [0, zh) of dx are zeroed or written
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H), R = h1 - h0;
      if (R <= 0) continue;
      const top = own ? h0 : h1;
      if (zh < top) { memory.fill(dxn + <usize>zh * rs, 0, <usize>(top - zh) * rs); zh = top; }
      let zw = 0; // own: columns [0, zw) of rows h0..h1 are written
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W), Q = w1 - w0;
        if (Q <= 0) continue;
        const o = off(((n * Ho + oh) * Wo + ow) * C);
        const pix = <usize>h0 * rs + <usize>w0 * cs;
        if (own) {
          if (zw < w0) for (let r = h0; r < h1; r++) memory.fill(dxn + <usize>r * rs + <usize>zw * cs, 0, <usize>(w0 - zw) * cs);
          zw = w1;
          maxBackDispatch(xn + pix, dxn + pix, rs, cs, y + o, dy + o, C, R, Q, false);
        } else {
          maxBackDispatch(xn + pix, dxn + pix, rs, cs, y + o, dy + o, C, R, Q, true);
        }
      }
      if (own) {
        if (zw < W) for (let r = h0; r < h1; r++) memory.fill(dxn + <usize>r * rs + <usize>zw * cs, 0, <usize>(W - zw) * cs);
        zh = h1;
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
  for (; c < C; c++) store<f32>(yp + off(c), sumScalar(p + off(c), rs, cs, R, Q) / count);
}

function avgPixelAny(p: usize, rs: usize, cs: usize, yp: usize, C: i32, R: i32, Q: i32): void {
  const count = <f32>(R * Q), vcount = f32x4.splat(count);
  let c = 0;
  for (; c + 4 <= C; c += 4) v128.store(yp + off(c), f32x4.div(sumWinAny(p + off(c), rs, cs, R, Q), vcount));
  for (; c < C; c++) store<f32>(yp + off(c), sumScalar(p + off(c), rs, cs, R, Q) / count);
}

/** Average over the window's positions inside the image (padding excluded from the count). */
export function avgPoolForward(args: usize, x: usize, y: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), R = hi(oh, a.strideH, a.padTop, a.kH, H) - h0;
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
        const yp = y + off(((n * Ho + oh) * Wo + ow) * C);
        const p = x + off(((n * H + h0) * W + w0) * C);
        if (R <= 0 || Q <= 0) { // a window wholly in the padding: 0 / 0
          for (let c = 0; c < C; c++) store<f32>(yp + off(c), NaN);
          continue;
        }
        switch (R <= 3 && Q <= 3 ? R * 4 + Q : 0) {
          case 5: avgPixel(p, rs, cs, yp, C, 1, 1); break;
          case 6: avgPixel(p, rs, cs, yp, C, 1, 2); break;
          case 7: avgPixel(p, rs, cs, yp, C, 1, 3); break;
          case 9: avgPixel(p, rs, cs, yp, C, 2, 1); break;
          case 10: avgPixel(p, rs, cs, yp, C, 2, 2); break;
          case 11: avgPixel(p, rs, cs, yp, C, 2, 3); break;
          case 13: avgPixel(p, rs, cs, yp, C, 3, 1); break;
          case 14: avgPixel(p, rs, cs, yp, C, 3, 2); break;
          case 15: avgPixel(p, rs, cs, yp, C, 3, 3); break;
          default: avgPixelAny(p, rs, cs, yp, C, R, Q);
        }
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
  for (; c < C; c++) {
    let g = load<f32>(gp + off(c)) / count;
    if (!ACC) g += 0;
    for (let r = 0; r < R; r++) {
      for (let w = 0; w < Q; w++) {
        const o = d + off(c) + <usize>r * rs + <usize>w * cs;
        store<f32>(o, ACC ? load<f32>(o) + g : g);
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

@inline function avgBackDispatch(d: usize, rs: usize, cs: usize, gp: usize, C: i32, R: i32, Q: i32, ACC: bool): void {
  switch (R <= 3 && Q <= 3 ? R * 4 + Q : 0) {
    case 5: avgBackPixel(d, rs, cs, gp, C, 1, 1, ACC); break;
    case 6: avgBackPixel(d, rs, cs, gp, C, 1, 2, ACC); break;
    case 7: avgBackPixel(d, rs, cs, gp, C, 1, 3, ACC); break;
    case 9: avgBackPixel(d, rs, cs, gp, C, 2, 1, ACC); break;
    case 10: avgBackPixel(d, rs, cs, gp, C, 2, 2, ACC); break;
    case 11: avgBackPixel(d, rs, cs, gp, C, 2, 3, ACC); break;
    case 13: avgBackPixel(d, rs, cs, gp, C, 3, 1, ACC); break;
    case 14: avgBackPixel(d, rs, cs, gp, C, 3, 2, ACC); break;
    case 15: avgBackPixel(d, rs, cs, gp, C, 3, 3, ACC); break;
    default: avgBackPixelAny(d, rs, cs, gp, C, R, Q, ACC);
  }
}

export function avgPoolBackward(args: usize, dy: usize, dx: usize): void {
  const a = changetype<PoolArgs>(args);
  const N = a.batch, H = a.inH, W = a.inW, C = a.C, Ho = a.outH, Wo = a.outW;
  const rs = off(W * C), cs = off(C);
  const own = a.kH <= a.strideH && a.kW <= a.strideW;
  for (let n = 0; n < N; n++) {
    const dxn = dx + off(n * H * W * C);
    let zh = 0;
    for (let oh = 0; oh < Ho; oh++) {
      const h0 = lo(oh, a.strideH, a.padTop), h1 = hi(oh, a.strideH, a.padTop, a.kH, H), R = h1 - h0;
      if (R <= 0) continue;
      const top = own ? h0 : h1;
      if (zh < top) { memory.fill(dxn + <usize>zh * rs, 0, <usize>(top - zh) * rs); zh = top; }
      let zw = 0;
      for (let ow = 0; ow < Wo; ow++) {
        const w0 = lo(ow, a.strideW, a.padLeft), w1 = hi(ow, a.strideW, a.padLeft, a.kW, W), Q = w1 - w0;
        if (Q <= 0) continue;
        const gp = dy + off(((n * Ho + oh) * Wo + ow) * C);
        const d = dxn + <usize>h0 * rs + <usize>w0 * cs;
        if (own && zw < w0) for (let r = h0; r < h1; r++) memory.fill(dxn + <usize>r * rs + <usize>zw * cs, 0, <usize>(w0 - zw) * cs);
        zw = w1;
        if (own) avgBackDispatch(d, rs, cs, gp, C, R, Q, false);
        else avgBackDispatch(d, rs, cs, gp, C, R, Q, true);
      }
      if (own) {
        if (zw < W) for (let r = h0; r < h1; r++) memory.fill(dxn + <usize>r * rs + <usize>zw * cs, 0, <usize>(W - zw) * cs);
        zh = h1;
      }
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
  for (let n = 0; n < N; n++) {
    const gn = dy + off(n * C), dxn = dx + off(n * HW * C);
    if (HW <= 0) continue;
    // The first pixel's row, then copies of it.
    let c = 0;
    for (; c + 4 <= C; c += 4) v128.store(dxn + off(c), f32x4.div(v128.load(gn + off(c)), vcount));
    for (; c < C; c++) store<f32>(dxn + off(c), load<f32>(gn + off(c)) / <f32>HW);
    for (let i = 1; i < HW; i++) memory.copy(dxn + off(i * C), dxn, off(C));
  }
}

export function globalMaxPoolForward(x: usize, y: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), yn = y + off(n * C);
    let c = 0;
    // Four lanes at a time down the whole image (accumulators in registers; see maxOf).
    for (; c + 4 <= C; c += 4) {
      if (HW <= 0) { v128.store(yn + off(c), f32x4.splat(-Infinity)); continue; }
      let p = xn + off(c);
      const v0 = v128.load(p);
      let top = v0, bot = v0, un = v0;
      for (let i = 1; i < HW; i++) {
        p += off(C);
        const v = v128.load(p);
        top = i32x4.max_s(top, v); bot = i32x4.min_s(bot, v); un = i32x4.max_u(un, v);
      }
      v128.store(yn + off(c), maxOf(top, bot, un));
    }
    for (; c < C; c++) {
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

/** Each channel's gradient goes to its first (row-major) position equal to the max. */
export function globalMaxPoolBackward(x: usize, y: usize, dy: usize, dx: usize, N: i32, HW: i32, C: i32): void {
  for (let n = 0; n < N; n++) {
    const xn = x + off(n * HW * C), dxn = dx + off(n * HW * C);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const m = v128.load(y + off(n * C + c)), g = v128.load(dy + off(n * C + c));
      const mNaN = f32x4.ne(m, m);
      let done = i32x4.splat(0);
      let p = off(c);
      for (let i = 0; i < HW; i++) {
        const v = v128.load(xn + p);
        const hit = v128.andnot(v128.or(f32x4.eq(v, m), v128.and(mNaN, f32x4.ne(v, v))), done);
        v128.store(dxn + p, v128.and(g, hit));
        done = v128.or(done, hit);
        p += off(C);
      }
    }
    for (; c < C; c++) {
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
