// What the layer-norm and group-norm kernels share: the saved statistics of one normalised set
// (a layer-norm row, or one sample's group) and the f64 horizontal sums.
//
// Statistics are three f32 per set: the mean as an unevaluated sum hi + lo (hi = f32(mean),
// lo = f32(mean - hi)) and rstd = 1 / sqrt(var + eps). x - mean is computed as (x - hi) - lo:
// x - hi is exact when x is within a factor 2 of hi (Sterbenz), so values offset by a large
// constant (|mean| >> std) keep the precision of their spread, not of their magnitude.

/** f32 per normalised set in the statistics array. */
export const STAT_STRIDE = 3;

/** Writes the statistics of set i from f64 sums s1 = sum(x - shift), s2 = sum((x - shift)^2) over m values. */
@inline export function storeStats(stats: usize, i: i32, shift: f64, s1: f64, s2: f64, m: f64, eps: f32): void {
  const mean = shift + s1 / m;
  const variance = max<f64>(0, s2 - s1 * s1 / m) / m;
  const hi = <f32>mean;
  const p = stats + <usize>i * (STAT_STRIDE << 2);
  store<f32>(p, hi);
  store<f32>(p, <f32>(mean - <f64>hi), 4);
  store<f32>(p, <f32>(1 / Math.sqrt(variance + <f64>eps)), 8);
}

/**
 * The statistics of sample s spread per channel: scratch[j] = hi, scratch[c + j] = lo,
 * scratch[2c + j] = rstd of channel j's group.
 */
@inline export function channelStats(stats: usize, s: i32, c: i32, groups: i32, scratch: usize): void {
  const cg = c / groups;
  const cBytes = <usize>c << 2;
  for (let j = 0; j < c; j++) {
    const sp = stats + <usize>(s * groups + j / cg) * (STAT_STRIDE << 2);
    const o = scratch + (<usize>j << 2);
    store<f32>(o, load<f32>(sp));
    store<f32>(o + cBytes, load<f32>(sp, 4));
    store<f32>(o + 2 * cBytes, load<f32>(sp, 8));
  }
}

/** Sum of the two f64 lanes of a plus those of b. */
@inline export function hsum2(a: v128, b: v128): f64 {
  return (f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1)) + (f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1));
}
