// Layer-norm and group-norm gradients. With xhat = ((x - hi) - lo) * rstd (as the forward) and
// dxhat = g * gamma, over each normalised set of m values:
//   dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))
//   dgamma[j] = sum g * xhat,  dbeta[j] = sum g   (over every value of channel j)
// Sums in f64: per channel over tiles of rows (as the batch-norm kernels), per set over its values.
// gamma may be 0 (1); dgamma / dbeta may be 0 (not wanted).
import { BN_TILE, promoteHigh, addF64x4 } from '../batch-norm/shared';
import { STAT_STRIDE, channelStats, hsum2 } from './shared';

/**
 * sg[j] += sum_r g[r, j] and sgx[j] += sum_r g[r, j] * xhat[r, j] over the rows of [rows, c].
 * The statistics are per channel (f32 vectors hi, lo, rstd at `perChannel`, as channelStats) or,
 * when perChannel is 0, per row (row r's entry of `stats`).
 */
@inline function addGradSums(x: usize, g: usize, rows: i32, c: i32, stats: usize, perChannel: usize, sg: usize, sgx: usize): void {
  const c4 = c & ~3;
  const rowBytes = <usize>c << 2;
  const cBytes = rowBytes;
  for (let r0 = 0; r0 < rows; r0 += BN_TILE) {
    const r1 = min(BN_TILE, rows - r0) + r0;
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>j << 2;
      let hi = f32x4.splat(0), lo = hi, rs = hi;
      if (perChannel) { hi = v128.load(perChannel + o); lo = v128.load(perChannel + cBytes + o); rs = v128.load(perChannel + 2 * cBytes + o); }
      let a01 = f64x2.splat(0), a23 = f64x2.splat(0), q01 = f64x2.splat(0), q23 = f64x2.splat(0);
      for (let r = r0; r < r1; r++) {
        if (!perChannel) {
          const sp = stats + <usize>r * (STAT_STRIDE << 2);
          hi = v128.load32_splat(sp); lo = v128.load32_splat(sp + 4); rs = v128.load32_splat(sp + 8);
        }
        const p = <usize>r * rowBytes + o;
        const gv = v128.load(g + p);
        const xhat = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + p), hi), lo), rs);
        const g01 = f64x2.promote_low_f32x4(gv), g23 = promoteHigh(gv);
        a01 = f64x2.add(a01, g01); q01 = f64x2.add(q01, f64x2.mul(g01, f64x2.promote_low_f32x4(xhat)));
        a23 = f64x2.add(a23, g23); q23 = f64x2.add(q23, f64x2.mul(g23, promoteHigh(xhat)));
      }
      addF64x4(sg + (<usize>j << 3), a01, a23);
      addF64x4(sgx + (<usize>j << 3), q01, q23);
    }
    for (; j < c; j++) {
      const o = <usize>j << 2;
      let a: f64 = 0, q: f64 = 0;
      for (let r = r0; r < r1; r++) {
        const sp = perChannel ? 0 : stats + <usize>r * (STAT_STRIDE << 2);
        const hi = perChannel ? load<f32>(perChannel + o) : load<f32>(sp);
        const lo = perChannel ? load<f32>(perChannel + cBytes + o) : load<f32>(sp, 4);
        const rs = perChannel ? load<f32>(perChannel + 2 * cBytes + o) : load<f32>(sp, 8);
        const p = <usize>r * rowBytes + o;
        const gv = <f64>load<f32>(g + p);
        a += gv;
        q += gv * <f64>(((load<f32>(x + p) - hi) - lo) * rs);
      }
      store<f64>(sg + (<usize>j << 3), load<f64>(sg + (<usize>j << 3)) + a);
      store<f64>(sgx + (<usize>j << 3), load<f64>(sgx + (<usize>j << 3)) + q);
    }
  }
}

/**
 * dx for one row of c values: rstd * ((g * gamma - ca) - xhat * cb), with (hi, lo, rstd, ca, cb)
 * splats of scalars (perChannel 0) or per-channel f32 vectors at perChannel (5 planes of c).
 */
@inline function gradRow(x: usize, g: usize, dx: usize, c: i32, gamma: usize, perChannel: usize,
                         hi: f32, lo: f32, rs: f32, ca: f32, cb: f32): void {
  const cBytes = <usize>c << 2;
  const hiS = f32x4.splat(hi), loS = f32x4.splat(lo), rsS = f32x4.splat(rs), caS = f32x4.splat(ca), cbS = f32x4.splat(cb);
  let j = 0;
  for (; j + 4 <= c; j += 4) {
    const o = <usize>j << 2;
    let h = hiS, l = loS, s = rsS, a = caS, b = cbS;
    if (perChannel) {
      const q = perChannel + o;
      h = v128.load(q); l = v128.load(q + cBytes); s = v128.load(q + 2 * cBytes); a = v128.load(q + 3 * cBytes); b = v128.load(q + 4 * cBytes);
    }
    const xhat = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(x + o), h), l), s);
    let dxhat = v128.load(g + o);
    if (gamma) dxhat = f32x4.mul(dxhat, v128.load(gamma + o));
    v128.store(dx + o, f32x4.mul(s, f32x4.sub(f32x4.sub(dxhat, a), f32x4.mul(xhat, b))));
  }
  for (; j < c; j++) {
    const o = <usize>j << 2;
    let h = hi, l = lo, s = rs, a = ca, b = cb;
    if (perChannel) {
      const q = perChannel + o;
      h = load<f32>(q); l = load<f32>(q + cBytes); s = load<f32>(q + 2 * cBytes); a = load<f32>(q + 3 * cBytes); b = load<f32>(q + 4 * cBytes);
    }
    const xhat = ((load<f32>(x + o) - h) - l) * s;
    let dxhat = load<f32>(g + o);
    if (gamma) dxhat *= load<f32>(gamma + o);
    store<f32>(dx + o, s * ((dxhat - a) - xhat * b));
  }
}

/** Zeroes n f64 at p. */
@inline function zeroF64(p: usize, n: i32): void { memory.fill(p, 0, <usize>n << 3); }

/** Stores n f64 at src as f32 at dst (dst 0: nothing). */
@inline function storeF32(dst: usize, src: usize, n: i32): void {
  if (!dst) return;
  for (let j = 0; j < n; j++) store<f32>(dst + (<usize>j << 2), <f32>load<f64>(src + (<usize>j << 3)));
}

/** Gradients of layerNormForward for x, g [rows, cols]. scratch: 2*cols f64. */
export function layerNormBackward(x: usize, g: usize, rows: i32, cols: i32, stats: usize, gamma: usize,
                                  dx: usize, dgamma: usize, dbeta: usize, scratch: usize): void {
  const rowBytes = <usize>cols << 2;
  if (dgamma | dbeta) {
    const sg = scratch, sgx = scratch + (<usize>cols << 3);
    zeroF64(scratch, 2 * cols);
    addGradSums(x, g, rows, cols, stats, 0, sg, sgx);
    storeF32(dbeta, sg, cols);
    storeF32(dgamma, sgx, cols);
  }
  if (!dx) return;
  const c4 = cols & ~3;
  const m = <f64>cols;
  for (let r = 0; r < rows; r++) {
    const sp = stats + <usize>r * (STAT_STRIDE << 2);
    const hi = load<f32>(sp), lo = load<f32>(sp, 4), rs = load<f32>(sp, 8);
    const hiS = f32x4.splat(hi), loS = f32x4.splat(lo), rsS = f32x4.splat(rs);
    const xr = x + <usize>r * rowBytes, gr = g + <usize>r * rowBytes;
    let a01 = f64x2.splat(0), a23 = f64x2.splat(0), q01 = f64x2.splat(0), q23 = f64x2.splat(0);
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>j << 2;
      let d = v128.load(gr + o);
      if (gamma) d = f32x4.mul(d, v128.load(gamma + o));
      const xhat = f32x4.mul(f32x4.sub(f32x4.sub(v128.load(xr + o), hiS), loS), rsS);
      const d01 = f64x2.promote_low_f32x4(d), d23 = promoteHigh(d);
      a01 = f64x2.add(a01, d01); q01 = f64x2.add(q01, f64x2.mul(d01, f64x2.promote_low_f32x4(xhat)));
      a23 = f64x2.add(a23, d23); q23 = f64x2.add(q23, f64x2.mul(d23, promoteHigh(xhat)));
    }
    let a = hsum2(a01, a23), q = hsum2(q01, q23);
    for (; j < cols; j++) {
      const o = <usize>j << 2;
      let d = load<f32>(gr + o);
      if (gamma) d *= load<f32>(gamma + o);
      a += <f64>d;
      q += <f64>d * <f64>(((load<f32>(xr + o) - hi) - lo) * rs);
    }
    gradRow(xr, gr, dx + <usize>r * rowBytes, cols, gamma, 0, hi, lo, rs, <f32>(a / m), <f32>(q / m));
  }
}

/**
 * Gradients of groupNormForward for x, g [n, spatial, c]. scratch: 4*c f64 then 5*c f32 (per
 * sample: channel sums, gamma/beta sums over samples, and the per-channel hi, lo, rstd, ca, cb).
 */
export function groupNormBackward(x: usize, g: usize, n: i32, spatial: i32, c: i32, groups: i32, stats: usize,
                                  gamma: usize, dx: usize, dgamma: usize, dbeta: usize, scratch: usize): void {
  const c8 = <usize>c << 3, cBytes = <usize>c << 2;
  const sg = scratch, sgx = scratch + c8, accB = scratch + 2 * c8, accG = scratch + 3 * c8;
  const vec = scratch + 4 * c8;
  const cg = c / groups;
  const m = <f64>spatial * <f64>cg;
  const sampleBytes = <usize>spatial * cBytes;
  zeroF64(accB, 2 * c);
  for (let s = 0; s < n; s++) {
    const xs = x + <usize>s * sampleBytes, gs = g + <usize>s * sampleBytes;
    channelStats(stats, s, c, groups, vec);
    zeroF64(sg, 2 * c);
    addGradSums(xs, gs, spatial, c, 0, vec, sg, sgx);
    for (let j = 0; j < c; j++) {
      const o = <usize>j << 3;
      store<f64>(accB + o, load<f64>(accB + o) + load<f64>(sg + o));
      store<f64>(accG + o, load<f64>(accG + o) + load<f64>(sgx + o));
    }
    if (!dx) continue;
    for (let grp = 0; grp < groups; grp++) {
      let a: f64 = 0, q: f64 = 0;
      for (let j = grp * cg; j < (grp + 1) * cg; j++) {
        const gm: f64 = gamma ? <f64>load<f32>(gamma + (<usize>j << 2)) : 1;
        a += gm * load<f64>(sg + (<usize>j << 3));
        q += gm * load<f64>(sgx + (<usize>j << 3));
      }
      const ca = <f32>(a / m), cb = <f32>(q / m);
      for (let j = grp * cg; j < (grp + 1) * cg; j++) {
        store<f32>(vec + 3 * cBytes + (<usize>j << 2), ca);
        store<f32>(vec + 4 * cBytes + (<usize>j << 2), cb);
      }
    }
    for (let r = 0; r < spatial; r++) {
      const o = <usize>r * cBytes;
      gradRow(xs + o, gs + o, dx + <usize>s * sampleBytes + o, c, gamma, vec, 0, 0, 0, 0, 0);
    }
  }
  storeF32(dbeta, accB, c);
  storeF32(dgamma, accG, c);
}
