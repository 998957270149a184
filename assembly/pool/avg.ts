// Average pooling forward and backward over NHWC images, with padding (the padding is left out
// of each window's count), vectorised over channels.
import { off } from '../simd';
import { PoolArgs, lo, hi, fullFrom, fullTo, put, zeroCols, poolForward } from './window';

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
  poolForward(args, x, y, avgRunDispatch, NaN); // an empty window's mean is 0 / 0
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
 * g / count + 0, the bits of adding it into a zero fill.
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
