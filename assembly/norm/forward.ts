// Layer-norm and group-norm forward: y = xhat * gamma + beta with xhat = ((x - hi) - lo) * rstd
// (statistics from ./statistics). gamma / beta may be 0 (1 and 0). The backward recomputes xhat
// with the same operations.
import { STAT_STRIDE, channelStats } from './shared';

/** y for each row of x [rows, cols] with the row's statistics; gamma, beta: [cols]. */
export function layerNormForward(x: usize, rows: i32, cols: i32, stats: usize, gamma: usize, beta: usize, out: usize): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const sp = stats + <usize>r * (STAT_STRIDE << 2);
    const hi = load<f32>(sp), lo = load<f32>(sp, 4), rs = load<f32>(sp, 8);
    normalizeRow(x + <usize>r * rowBytes, out + <usize>r * rowBytes, cols,
      f32x4.splat(hi), f32x4.splat(lo), f32x4.splat(rs), 0, hi, lo, rs, gamma, beta);
  }
}

/**
 * y for x [n, spatial, c] with the statistics of each (sample, group); gamma, beta: [c].
 * scratch: 3*c f32 (the sample's hi, lo and rstd per channel).
 */
export function groupNormForward(x: usize, n: i32, spatial: i32, c: i32, groups: i32, stats: usize, gamma: usize,
                                 beta: usize, out: usize, scratch: usize): void {
  const rowBytes = <usize>c << 2;
  for (let s = 0; s < n; s++) {
    channelStats(stats, s, c, groups, scratch);
    const base = <usize>s * <usize>spatial * rowBytes;
    for (let r = 0; r < spatial; r++) {
      const o = base + <usize>r * rowBytes;
      normalizeRow(x + o, out + o, c, f32x4.splat(0), f32x4.splat(0), f32x4.splat(0), scratch, 0, 0, 0, gamma, beta);
    }
  }
}

/**
 * One row of c values: out = ((x - hi) - lo) * rs * gamma + beta. The statistics are the splats
 * (hiV, loV, rsV; scalars hi, lo, rs for the tail) when `perChannel` is 0, else per-channel
 * vectors at perChannel (as channelStats writes them).
 */
@inline function normalizeRow(x: usize, out: usize, c: i32, hiV: v128, loV: v128, rsV: v128, perChannel: usize,
                              hi: f32, lo: f32, rs: f32, gamma: usize, beta: usize): void {
  const cBytes = <usize>c << 2;
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    let h = hiV, l = loV, s = rsV;
    if (perChannel) {
      h = v128.load(perChannel + o); l = v128.load(perChannel + cBytes + o); s = v128.load(perChannel + 2 * cBytes + o);
    }
    let v = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), h), l), s);
    if (gamma) v = f32x4.mul(v, v128.load(gamma + o));
    if (beta) v = f32x4.add(v, v128.load(beta + o));
    v128.store(out + o, v);
  }
  for (; j < c; j++) {
    const o = <usize>j << 2;
    let h = hi, l = lo, s = rs;
    if (perChannel) { h = load<f32>(perChannel + o); l = load<f32>(perChannel + cBytes + o); s = load<f32>(perChannel + 2 * cBytes + o); }
    let v = ((load<f32>(x + o) - h) - l) * s;
    if (gamma) v *= load<f32>(gamma + o);
    if (beta) v += load<f32>(beta + o);
    store<f32>(out + o, v);
  }
}
