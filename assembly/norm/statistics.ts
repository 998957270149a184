// Layer-norm and group-norm statistics: the mean (as hi + lo) and rstd of every normalised set,
// from f64 sums of values shifted by the set's first value (so |mean| >> std does not cancel).
import { addShiftedMoments, promoteHigh } from '../batch-norm/shared';
import { storeStats, hsum2 } from './shared';

/** Statistics of each row of x [rows, cols] (contiguous sets); stats: 3*rows f32. */
export function layerNormMoments(x: usize, rows: i32, cols: i32, eps: f32, stats: usize): void {
  const c4 = cols & ~3;
  const m = <f64>cols;
  for (let r = 0; r < rows; r++) {
    const row = x + <usize>r * (<usize>cols << 2);
    const k = <f64>load<f32>(row);
    const kv = f64x2.splat(k);
    let a01 = f64x2.splat(0), a23 = f64x2.splat(0), q01 = f64x2.splat(0), q23 = f64x2.splat(0);
    let j = 0;
    for (; j < c4; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      const d01 = f64x2.sub(f64x2.promote_low_f32x4(v), kv);
      const d23 = f64x2.sub(promoteHigh(v), kv);
      a01 = f64x2.add(a01, d01); q01 = f64x2.add(q01, f64x2.mul(d01, d01));
      a23 = f64x2.add(a23, d23); q23 = f64x2.add(q23, f64x2.mul(d23, d23));
    }
    let a = hsum2(a01, a23), q = hsum2(q01, q23);
    for (; j < cols; j++) {
      const d = <f64>load<f32>(row + (<usize>j << 2)) - k;
      a += d; q += d * d;
    }
    storeStats(stats, r, k, a, q, m, eps);
  }
}

/**
 * Statistics of each (sample, group) of x [n, spatial, c]: a group is `c / groups` consecutive
 * channels over the sample's `spatial` positions (PyTorch GroupNorm on NHWC). Per-channel f64 sums
 * over the sample's positions (shared with bnMoments), every channel of a group shifted by the
 * group's first value, then summed per group. stats: 3*n*groups f32; scratch: 3*c f64.
 */
export function groupNormMoments(x: usize, n: i32, spatial: i32, c: i32, groups: i32, eps: f32, stats: usize,
                                 scratch: usize): void {
  const s1 = scratch;
  const s2 = scratch + (<usize>c << 3);
  const shift = scratch + (<usize>c << 4);
  const cg = c / groups;
  const m = <f64>spatial * <f64>cg;
  const sampleBytes = <usize>spatial * (<usize>c << 2);
  for (let s = 0; s < n; s++) {
    const xs = x + <usize>s * sampleBytes;
    for (let j = 0; j < c; j++) {
      const o = <usize>j << 3;
      store<f64>(s1 + o, 0);
      store<f64>(s2 + o, 0);
      store<f64>(shift + o, <f64>load<f32>(xs + (<usize>(j - j % cg) << 2)));
    }
    addShiftedMoments(xs, spatial, c, shift, s1, s2);
    for (let g = 0; g < groups; g++) {
      let a: f64 = 0, q: f64 = 0;
      for (let j = g * cg; j < (g + 1) * cg; j++) {
        a += load<f64>(s1 + (<usize>j << 3));
        q += load<f64>(s2 + (<usize>j << 3));
      }
      storeStats(stats, s * groups + g, load<f64>(shift + (<usize>(g * cg) << 3)), a, q, m, eps);
    }
  }
}
