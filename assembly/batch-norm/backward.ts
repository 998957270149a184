// Batch-norm gradients over the channel (last) axis of x [rows, C]. Two kernels, because the two
// callers differentiate different functions and each keeps its own summation order (and bits):
// - bnBackward (the BatchNormalization layer): in training the mean and variance are the batch's
//   own, so dx is the closed form through them; sums in f64 over tiles of rows, as bnMoments.
// - batchNormBackward (ops.batchNorm): mean and variance are inputs, so it returns their
//   gradients separately for autograd to carry back; f32 sums over rows in order.
import { BN_TILE, promoteHigh, addF64x4, invStd } from './shared';

/**
 * The layer's backward (gradients of bnForward). dbeta = sum g, dgamma = sum g * xhat. With `training` the mean and
 * variance are the batch's own, so dx = gamma*invstd/rows * (rows*g - dbeta - xhat*dgamma);
 * otherwise they are constants and dx = g * gamma * invstd. `scratch` holds 2*c f64.
 * Vector paths do per lane exactly the scalar operations (no FMA), so results do not change.
 */
export function bnBackward(x: usize, g: usize, rows: i32, c: i32, mean: usize, invstd: usize, gamma: usize,
                           dx: usize, dgamma: usize, dbeta: usize, training: i32, scratch: usize): void {
  const sg = scratch;
  const sgx = scratch + (<usize>c << 3);
  for (let j = 0; j < c; j++) { store<f64>(sg + (<usize>j << 3), 0); store<f64>(sgx + (<usize>j << 3), 0); }
  // Sums over rows in tiles of BN_TILE rows, as in bnMoments (register partials per tile).
  const c4 = c & ~3;
  const rowBytes = <usize>c << 2;
  for (let r0 = 0; r0 < rows; r0 += BN_TILE) {
    const tileOff = <usize>r0 * rowBytes;
    const tileEnd = tileOff + <usize>min(BN_TILE, rows - r0) * rowBytes;
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>j << 2;
      const o8 = <usize>j << 3;
      const m = v128.load(mean + o), is = v128.load(invstd + o);
      let a01 = f64x2.splat(0), a23 = f64x2.splat(0), q01 = f64x2.splat(0), q23 = f64x2.splat(0);
      for (let p = tileOff + o; p < tileEnd; p += rowBytes) {
        const gv = v128.load(g + p);
        const xhat = f32x4.mul(f32x4.sub(v128.load(x + p), m), is);
        const g01 = f64x2.promote_low_f32x4(gv), g23 = promoteHigh(gv);
        const x01 = f64x2.promote_low_f32x4(xhat), x23 = promoteHigh(xhat);
        a01 = f64x2.add(a01, g01); q01 = f64x2.add(q01, f64x2.mul(g01, x01));
        a23 = f64x2.add(a23, g23); q23 = f64x2.add(q23, f64x2.mul(g23, x23));
      }
      addF64x4(sg + o8, a01, a23);
      addF64x4(sgx + o8, q01, q23);
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      const m = load<f32>(mean + o), is = load<f32>(invstd + o);
      let a: f64 = 0, q: f64 = 0;
      for (let p = tileOff + o; p < tileEnd; p += rowBytes) {
        const gv = <f64>load<f32>(g + p);
        a += gv;
        q += gv * <f64>((load<f32>(x + p) - m) * is);
      }
      store<f64>(sg + (<usize>j << 3), load<f64>(sg + (<usize>j << 3)) + a);
      store<f64>(sgx + (<usize>j << 3), load<f64>(sgx + (<usize>j << 3)) + q);
    }
  }
  for (let j = 0; j < c; j++) {
    store<f32>(dbeta + (<usize>j << 2), <f32>load<f64>(sg + (<usize>j << 3)));
    store<f32>(dgamma + (<usize>j << 2), <f32>load<f64>(sgx + (<usize>j << 3)));
  }
  const vec = (c & 3) == 0;
  if (training) {
    const inv = <f32>1 / <f32>rows;
    const vinv = f32x4.splat(inv);
    for (let i = 0; i < rows; i++) {
      const base = <usize>i * <usize>c << 2;
      if (vec) {
        for (let j = 0; j < c; j += 4) {
          const o = <usize>j << 2;
          const is = v128.load(invstd + o);
          const xhat = f32x4.mul(f32x4.sub(v128.load(x + base + o), v128.load(mean + o)), is);
          const t = f32x4.sub(v128.load(g + base + o),
            f32x4.mul(f32x4.add(v128.load(dbeta + o), f32x4.mul(xhat, v128.load(dgamma + o))), vinv));
          v128.store(dx + base + o, f32x4.mul(f32x4.mul(v128.load(gamma + o), is), t));
        }
        continue;
      }
      for (let j = 0; j < c; j++) {
        const o = <usize>j << 2;
        const is = load<f32>(invstd + o);
        const xhat = (load<f32>(x + base + o) - load<f32>(mean + o)) * is;
        const t = load<f32>(g + base + o) - (load<f32>(dbeta + o) + xhat * load<f32>(dgamma + o)) * inv;
        store<f32>(dx + base + o, load<f32>(gamma + o) * is * t);
      }
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const base = <usize>i * <usize>c << 2;
      if (vec) {
        for (let j = 0; j < c; j += 4) {
          const o = <usize>j << 2;
          v128.store(dx + base + o, f32x4.mul(f32x4.mul(v128.load(g + base + o), v128.load(gamma + o)), v128.load(invstd + o)));
        }
        continue;
      }
      for (let j = 0; j < c; j++) {
        const o = <usize>j << 2;
        store<f32>(dx + base + o, load<f32>(g + base + o) * load<f32>(gamma + o) * load<f32>(invstd + o));
      }
    }
  }
}

/**
 * The op's backward: from the output gradient g, writes any of (pointer 0 = skip):
 *   gx     = g * gamma * invstd                                   [rows, C]
 *   gMean  = -sum_r(g) * gamma * invstd                           [C]
 *   gVar   = -0.5 * sum_r(g * (x - mean)) * gamma * invstd^3      [C]
 *   gGamma = sum_r(g * (x - mean)) * invstd                       [C]
 *   gBeta  = sum_r(g)                                             [C]
 * with invstd = 1 / sqrt(var + eps); gamma may be 0 (1). scratch: 3*C floats.
 */
export function batchNormBackward(x: usize, mean: usize, variance: usize, gamma: usize, g: usize,
                                  rows: i32, C: i32, eps: f32,
                                  gx: usize, gMean: usize, gVar: usize, gGamma: usize, gBeta: usize,
                                  scratch: usize): void {
  const cBytes = <usize>C << 2;
  const invstd = scratch;           // gamma * invstd when used for gx
  const sumG = scratch + cBytes;
  const sumGXc = scratch + 2 * cBytes;
  memory.fill(sumG, 0, 2 * cBytes);
  const rowBytes = cBytes;
  const needSums = gMean | gVar | gGamma | gBeta;
  if (needSums) {
    for (let r = 0; r < rows; r++) {
      const xr = x + <usize>r * rowBytes;
      const gr = g + <usize>r * rowBytes;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const vg = v128.load(gr + o);
        v128.store(sumG + o, f32x4.add(v128.load(sumG + o), vg));
        const xc = f32x4.sub(v128.load(xr + o), v128.load(mean + o));
        v128.store(sumGXc + o, f32x4.add(v128.load(sumGXc + o), f32x4.mul(vg, xc)));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        const vg = load<f32>(gr + o);
        store<f32>(sumG + o, load<f32>(sumG + o) + vg);
        store<f32>(sumGXc + o, load<f32>(sumGXc + o) + vg * (load<f32>(xr + o) - load<f32>(mean + o)));
      }
    }
  }
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2;
    const is = invStd(variance, o, eps);
    const gm: f32 = gamma ? load<f32>(gamma + o) : 1;
    if (gMean) store<f32>(gMean + o, -load<f32>(sumG + o) * gm * is);
    if (gVar) store<f32>(gVar + o, <f32>-0.5 * load<f32>(sumGXc + o) * gm * is * is * is);
    if (gGamma) store<f32>(gGamma + o, load<f32>(sumGXc + o) * is);
    if (gBeta) store<f32>(gBeta + o, load<f32>(sumG + o));
    store<f32>(invstd + o, gm * is);
  }
  if (gx) {
    for (let r = 0; r < rows; r++) {
      const gr = g + <usize>r * rowBytes;
      const xr = gx + <usize>r * rowBytes;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        v128.store(xr + o, f32x4.mul(v128.load(gr + o), v128.load(invstd + o)));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        store<f32>(xr + o, load<f32>(gr + o) * load<f32>(invstd + o));
      }
    }
  }
}
