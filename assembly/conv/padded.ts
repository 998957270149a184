// The zero-padded image the padded conv paths work on (depthwiseForward with a workspace,
// conv2dBackwardFilterSingle): its size, its place in the caller's workspace, and the copy into it.
import { off, copyFloats, zeroFloats } from '../simd';
import { ConvArgs } from './args';

// `work` of the padded paths (depthwiseForward with work, conv2dBackwardFilterSingle): a head of
// PAD_ARGS_BYTES (depthwiseForward: the padded geometry's ConvArgs; conv2dBackwardFilterSingle: its
// tap table from PAD_TAPS), then one zero-padded image [paddedH, paddedW, inC].
export const PAD_ARGS_BYTES: usize = 64;
export const PAD_TAPS: usize = 0;

/** Rows and columns of an image padded so that every output pixel's taps fall inside it. */
@inline export function paddedH(a: ConvArgs): i32 { return (a.outH - 1) * a.strideH + (a.kH - 1) * a.dilH + 1; }
@inline export function paddedW(a: ConvArgs): i32 { return (a.outW - 1) * a.strideW + (a.kW - 1) * a.dilW + 1; }

/** Bytes before the padded image in `work`: the larger of the args copy and the tap table, 16-byte aligned. */
@inline export function paddedHead(a: ConvArgs): usize {
  return (max<usize>(PAD_ARGS_BYTES, PAD_TAPS + off(a.kH * a.kW)) + 15) & ~15;
}
@inline export function paddedImage(work: usize, a: ConvArgs): usize { return work + paddedHead(a); }

/** buf [Hp, Wp, C] = image x [H, W, C] placed at (padTop, padLeft), zeros around it. */
export function padImage(a: ConvArgs, x: usize, buf: usize, Hp: i32, Wp: i32): void {
  const H = a.inH, W = a.inW, C = a.inC;
  const lo = min(max(a.padLeft, 0), Wp), hi = min(max(a.padLeft + W, 0), Wp);
  const rowBytes = off(Wp * C);
  for (let r = 0; r < Hp; r++) {
    const dst = buf + <usize>r * rowBytes;
    const ih = r - a.padTop;
    if (<u32>ih >= <u32>H || hi <= lo) { zeroFloats(dst, Wp * C); continue; }
    zeroFloats(dst, lo * C);
    copyFloats(dst + off(lo * C), x + off((ih * W + lo - a.padLeft) * C), (hi - lo) * C);
    zeroFloats(dst + off(hi * C), (Wp - hi) * C);
  }
}
