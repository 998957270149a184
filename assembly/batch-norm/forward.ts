// Batch-norm forward over the channel (last) axis of x [rows, C]:
//   y = (x - mean) * gamma * invstd + beta,  invstd = 1 / sqrt(variance + eps).
// Three entry points over one row loop: bnForward (the BatchNormalization layer) also returns invstd
// for its backward pass; batchNormForward (ops.batchNorm) takes gamma and beta as optional;
// batchNormConcatRows (an imported graph's inference BatchNormalization) reads its channels from
// several NHWC sources (a Concat it replaces) and may apply relu, as the separate Relu would.

import { invStd } from './shared';

/**
 * out[r, j] = (x[r, j] - mean[j]) * s[j] + beta[j] for every row r, where s[j] = gamma[j] * invstd[j]
 * (gamma 0: s = invstd) and beta 0 adds nothing, then max(., 0) when relu. Rows of x and out are
 * xStride and outStride floats apart. Vector and scalar channels do the same operations.
 */
@inline function normalizeRows(x: usize, xStride: i32, rows: i32, C: i32, mean: usize, gamma: usize, invstd: usize,
                               beta: usize, out: usize, outStride: i32, relu: bool): void {
  const xRowBytes = <usize>xStride << 2;
  const outRowBytes = <usize>outStride << 2;
  const zero = f32x4.splat(0);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * xRowBytes;
    const yr = out + <usize>r * outRowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const s = gamma ? f32x4.mul(v128.load(gamma + o), v128.load(invstd + o)) : v128.load(invstd + o);
      let v = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), s);
      if (beta) v = f32x4.add(v, v128.load(beta + o));
      if (relu) v = f32x4.max(v, zero);
      v128.store(yr + o, v);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const s = gamma ? load<f32>(gamma + o) * load<f32>(invstd + o) : load<f32>(invstd + o);
      let v = (load<f32>(xr + o) - load<f32>(mean + o)) * s;
      if (beta) v += load<f32>(beta + o);
      if (relu) v = max<f32>(v, 0);
      store<f32>(yr + o, v);
    }
  }
}

/** The layer's forward: out = gamma * (x - mean) * invstd + beta, with invstd written to `invstd`. */
export function bnForward(x: usize, rows: i32, c: i32, mean: usize, variance: usize, gamma: usize, beta: usize,
                          eps: f32, out: usize, invstd: usize): void {
  for (let j = 0; j < c; j++) {
    const o = <usize>j << 2;
    store<f32>(invstd + o, invStd(variance, o, eps));
  }
  normalizeRows(x, c, rows, c, mean, gamma, invstd, beta, out, c, false);
}

/** The op's forward: gamma / beta may be 0 (1 and 0). scratch: C floats (the per-channel scale). */
export function batchNormForward(x: usize, mean: usize, variance: usize, gamma: usize, beta: usize,
                                 out: usize, rows: i32, C: i32, eps: f32, scratch: usize): void {
  batchNormScale(variance, gamma, C, eps, scratch);
  normalizeRows(x, C, rows, C, mean, 0, scratch, beta, out, C, false);
}

/** scale[c] = gamma[c] / sqrt(variance[c] + eps) (gamma 0: 1 / sqrt(...)): batchNormForward's per-channel factor. */
export function batchNormScale(variance: usize, gamma: usize, C: i32, eps: f32, scale: usize): void {
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const s = invStd(variance, o, eps);
    store<f32>(scale + o, gamma ? load<f32>(gamma + o) * s : s);
  }
}

/**
 * Rows [r0, r1) of the batch norm (with batchNormScale's `scale`) of the channel-wise concatenation
 * of `count` NHWC sources, written to out [rows, outC]: sources holds `count` pairs of i32 (data
 * pointer, channels); source j's channels follow source j-1's. relu != 0 applies max(., 0).
 * Each element's operations are batchNormForward's (then the Relu kernel's), so a Concat ->
 * BatchNormalization -> Relu chain run as this one pass gives the bits of the three ops.
 */
export function batchNormConcatRows(sources: usize, count: i32, r0: i32, r1: i32, mean: usize, scale: usize,
                                    beta: usize, out: usize, outC: i32, relu: i32): void {
  let offset = 0;
  for (let j = 0; j < count; j++) {
    const x = <usize>load<i32>(sources + (<usize>j << 3));
    const c = load<i32>(sources + (<usize>j << 3) + 4);
    const o = <usize>offset << 2;
    normalizeRows(x + ((<usize>r0 * <usize>c) << 2), c, r1 - r0, c, mean + o, 0, scale + o, beta ? beta + o : 0,
                  out + ((<usize>r0 * <usize>outC + <usize>offset) << 2), outC, relu != 0);
    offset += c;
  }
}
