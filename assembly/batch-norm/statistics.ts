// Batch-norm statistics for the BatchNormalization layer: per-channel mean and variance of a batch
// (one pass, f64 sums), and the Keras moving-statistics update. Channels-last: x is [rows, c],
// rows = N*H*W.

import { addShiftedMoments } from './shared';

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
  addShiftedMoments(x, rows, c, shift, s1, s2);
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
