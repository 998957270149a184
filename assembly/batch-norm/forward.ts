// Batch-norm forward over the channel (last) axis of x [rows, C]:
//   y = (x - mean) * gamma * invstd + beta,  invstd = 1 / sqrt(variance + eps).
// Two entry points over one row loop: bnForward (the BatchNormalization layer) also returns invstd
// for its backward pass; batchNormForward (ops.batchNorm) takes gamma and beta as optional.

import { invStd } from './shared';

/**
 * out[r, j] = (x[r, j] - mean[j]) * s[j] + beta[j] for every row r, where s[j] = gamma[j] * invstd[j]
 * (gamma 0: s = invstd) and beta 0 adds nothing. Vector and scalar channels do the same operations.
 */
@inline function normalizeRows(x: usize, rows: i32, C: i32, mean: usize, gamma: usize, invstd: usize, beta: usize,
                               out: usize): void {
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes;
    const yr = out + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const s = gamma ? f32x4.mul(v128.load(gamma + o), v128.load(invstd + o)) : v128.load(invstd + o);
      let v = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), s);
      if (beta) v = f32x4.add(v, v128.load(beta + o));
      v128.store(yr + o, v);
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const s = gamma ? load<f32>(gamma + o) * load<f32>(invstd + o) : load<f32>(invstd + o);
      let v = (load<f32>(xr + o) - load<f32>(mean + o)) * s;
      if (beta) v += load<f32>(beta + o);
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
  normalizeRows(x, rows, c, mean, gamma, invstd, beta, out);
}

/** The op's forward: gamma / beta may be 0 (1 and 0). scratch: C floats (the per-channel scale). */
export function batchNormForward(x: usize, mean: usize, variance: usize, gamma: usize, beta: usize,
                                 out: usize, rows: i32, C: i32, eps: f32, scratch: usize): void {
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const s = invStd(variance, o, eps);
    store<f32>(scratch + o, gamma ? load<f32>(gamma + o) * s : s);
  }
  normalizeRows(x, rows, C, mean, 0, scratch, beta, out);
}
