// What the window pooling kernels share: the PoolArgs geometry block, the clipped window of an
// output pixel, the run of full windows in an output row, the forward walk, and the writers of dx.
//
// Layout of the window kernels: for each output pixel, the window clipped to the image is R x Q
// pixels. R, Q in 2..3 (2x2 and 3x3 pools and their clipped border windows) take unrolled code,
// other windows a loop; the channel loop runs inside, over 16 channels at a time for 2x2 windows
// and 4 at a time for larger ones (the fastest on each), then a scalar loop over the last
// C % 4 channels.
import { off } from '../simd';

/** Geometry of one pooling, 12 i32 written by the host (src/ops/pool.ts). */
@unmanaged export class PoolArgs {
  batch: i32; inH: i32; inW: i32; C: i32;
  outH: i32; outW: i32; kH: i32; kW: i32;
  strideH: i32; strideW: i32; padTop: i32; padLeft: i32;
}

/** The rows/columns of the window that fall inside the image: [lo, hi). */
@inline export function lo(o: i32, s: i32, pad: i32): i32 { return max(0, o * s - pad); }
@inline export function hi(o: i32, s: i32, pad: i32, k: i32, size: i32): i32 { return min(size, o * s - pad + k); }

// Each output row is walked as: the windows clipped by the left edge one by one, a run of
// full-width windows (one call for the whole run, so the window shape is a constant of the
// unrolled code), then the windows clipped by the right edge.

/** The first output column whose window starts inside the image (padLeft >= 0). */
@inline export function fullFrom(a: PoolArgs): i32 { return min(a.outW, (a.padLeft + a.strideW - 1) / a.strideW); }
/** One past the last output column whose window ends inside the image (>= from). */
@inline export function fullTo(a: PoolArgs, from: i32): i32 {
  const last = a.inW + a.padLeft - a.kW;
  return last < 0 ? from : max(from, min(a.outW, last / a.strideW + 1));
}

/** A pooling kind's forward over `count` windows of one output row, R x Q pixels each, `step` bytes apart in x. */
export type ForwardRun = (p: usize, rs: usize, cs: usize, step: usize, yp: usize, C: i32, count: i32, R: i32, Q: i32) => void;

/** The forward walk every window kernel takes; a window wholly in the padding outputs `empty`. */
export function poolForward(args: usize, x: usize, y: usize, run: ForwardRun, empty: f32): void {
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
          if (R > 0) run(xr + <usize>(f0 * a.strideW - a.padLeft) * cs, rs, cs, step, yr + off(f0 * C), C, f1 - f0, R, a.kW);
          else for (; ow < f1; ow++) fillOut(yr + off(ow * C), C, empty);
          ow = f1 - 1;
          continue;
        }
        const w0 = lo(ow, a.strideW, a.padLeft), Q = hi(ow, a.strideW, a.padLeft, a.kW, W) - w0;
        if (R <= 0 || Q <= 0) fillOut(yr + off(ow * C), C, empty);
        else run(xr + <usize>w0 * cs, rs, cs, 0, yr + off(ow * C), C, 1, R, Q);
      }
    }
  }
}

/** Fills C outputs with v (a window wholly in the padding; the host's geometry never has one). */
export function fillOut(yp: usize, C: i32, v: f32): void {
  for (let c = 0; c < C; c++) store<f32>(yp + off(c), v);
}

/** Writes (ACC = false) or adds (ACC = true) v at p. */
@inline export function put(p: usize, v: v128, ACC: bool): void {
  v128.store(p, ACC ? f32x4.add(v128.load(p), v) : v);
}

/** Zeroes columns [w0, w1) of rows [h0, h1) of one image of dx. */
export function zeroCols(dxn: usize, rs: usize, cs: usize, h0: i32, h1: i32, w0: i32, w1: i32): void {
  if (w0 < w1) for (let r = h0; r < h1; r++) memory.fill(dxn + <usize>r * rs + <usize>w0 * cs, 0, <usize>(w1 - w0) * cs);
}
