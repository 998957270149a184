// Batch-norm statistics for the BatchNormalization layer: per-channel mean and variance of a batch
// (one pass, f64 sums), and the Keras moving-statistics update. Channels-last: x is [rows, c],
// rows = N*H*W.

import { BN_TILE, promoteHigh, addF64x4 } from './shared';

/**
 * Per-channel mean and biased variance of x [rows, c] in one pass over x (f64 accumulation, rows
 * in order, so the result depends only on the data). Each channel is shifted by its value in the
 * first row before summing: var = (S2 - S1*S1/n) / n with S1 = sum(x - x0), S2 = sum((x - x0)^2).
 * The shift keeps the subtraction from cancelling when |mean| >> std (x0 is within a few std of
 * the mean), which an unshifted E[x^2] - E[x]^2 would not. `scratch` holds 3*c f64.
 * Channels go through f64x2 lanes: the same f64 operations, in the same order, as scalar.
 */
export function bnMoments(x: usize, rows: i32, c: i32, mean: usize, variance: usize, scratch: usize): void {
  const s1 = scratch;
  const s2 = scratch + (<usize>c << 3);
  const shift = scratch + (<usize>c << 4);
  if (rows <= 0) {
    for (let j = 0; j < c; j++) { store<f32>(mean + (<usize>j << 2), NaN); store<f32>(variance + (<usize>j << 2), NaN); }
    return;
  }
  for (let j = 0; j < c; j++) {
    store<f64>(s1 + (<usize>j << 3), 0);
    store<f64>(s2 + (<usize>j << 3), 0);
    store<f64>(shift + (<usize>j << 3), <f64>load<f32>(x + (<usize>j << 2)));
  }
  // Tiles of BN_TILE rows: each channel's sum over the tile is formed in registers (the tile stays
  // in L1 while the channel loop walks it), then added to S1/S2 in scratch: one scratch update
  // per tile instead of per row. The order is fixed, so results still depend only on the data.
  const c4 = c & ~3;
  const rowBytes = <usize>c << 2;
  for (let r0 = 0; r0 < rows; r0 += BN_TILE) {
    const tile = x + <usize>r0 * rowBytes;
    const tileEnd = tile + <usize>min(BN_TILE, rows - r0) * rowBytes;
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>j << 3;
      const k01 = v128.load(shift + o), k23 = v128.load(shift + o, 16);
      let a01 = f64x2.splat(0), a23 = f64x2.splat(0), q01 = f64x2.splat(0), q23 = f64x2.splat(0);
      for (let p = tile + (<usize>j << 2); p < tileEnd; p += rowBytes) {
        const v = v128.load(p);
        const d01 = f64x2.sub(f64x2.promote_low_f32x4(v), k01);
        const d23 = f64x2.sub(promoteHigh(v), k23);
        a01 = f64x2.add(a01, d01); q01 = f64x2.add(q01, f64x2.mul(d01, d01));
        a23 = f64x2.add(a23, d23); q23 = f64x2.add(q23, f64x2.mul(d23, d23));
      }
      addF64x4(s1 + o, a01, a23);
      addF64x4(s2 + o, q01, q23);
    }
    for (; j < c; j++) {
      const o = <usize>j << 3;
      const k = load<f64>(shift + o);
      let a: f64 = 0, q: f64 = 0;
      for (let p = tile + (<usize>j << 2); p < tileEnd; p += rowBytes) {
        const d = <f64>load<f32>(p) - k;
        a += d; q += d * d;
      }
      store<f64>(s1 + o, load<f64>(s1 + o) + a);
      store<f64>(s2 + o, load<f64>(s2 + o) + q);
    }
  }
  const n = <f64>rows;
  for (let j = 0; j < c; j++) {
    const o = <usize>j << 3;
    const a = load<f64>(s1 + o);
    store<f32>(mean + (<usize>j << 2), <f32>(load<f64>(shift + o) + a / n));
    store<f32>(variance + (<usize>j << 2), <f32>(max<f64>(0, load<f64>(s2 + o) - a * a / n) / n));
  }
}

/**
 * Keras moving statistics: running = running*momentum + batch*(1-momentum); the running variance
 * takes the unbiased batch variance (biased * rows / (rows - 1)).
 */
export function bnUpdateMoving(movingMean: usize, movingVar: usize, mean: usize, variance: usize, c: i32,
                               momentum: f32, rows: i32): void {
  const keep = <f32>1 - momentum;
  const unbias = <f32>(<f64>rows / <f64>(rows - 1));
  for (let j = 0; j < c; j++) {
    const o = <usize>j << 2;
    store<f32>(movingMean + o, load<f32>(movingMean + o) * momentum + load<f32>(mean + o) * keep);
    store<f32>(movingVar + o, load<f32>(movingVar + o) * momentum + load<f32>(variance + o) * unbias * keep);
  }
}
