// Kernels for the model layer: row gathers for (shuffled) batches, metric counting, and the
// fused batch-norm layer (one-pass statistics, forward, backward, moving-statistics update).
// Channels-last throughout: a [rows, c] matrix where rows = N*H*W.

/** dst[i, :] = src[idx[i], :] for i < n; rows of `rowFloats` 4-byte values (f32 or i32). */
export function gatherRows(src: usize, idx: usize, n: i32, rowFloats: i32, dst: usize): void {
  const rowBytes = <usize>rowFloats << 2;
  for (let i = 0; i < n; i++) {
    const r = <usize>load<i32>(idx + (<usize>i << 2));
    memory.copy(dst + <usize>i * rowBytes, src + r * rowBytes, rowBytes);
  }
}

/** Index of the first maximum of row `p` (c floats); NaN never wins. */
function argmaxRow(p: usize, c: i32): i32 {
  let best = 0;
  let bestV = load<f32>(p);
  for (let j = 1; j < c; j++) {
    const v = load<f32>(p + (<usize>j << 2));
    if (v > bestV || (bestV != bestV && v == v)) { bestV = v; best = j; }
  }
  return best;
}

/** Rows of pred [b, c] whose argmax equals the int32 label. */
export function countArgmaxLabels(pred: usize, labels: usize, b: i32, c: i32): i32 {
  let n = 0;
  for (let i = 0; i < b; i++) {
    if (argmaxRow(pred + (<usize>i * <usize>c << 2), c) == load<i32>(labels + (<usize>i << 2))) n++;
  }
  return n;
}

/** Rows of pred [b, c] whose argmax equals a float label (labels given as float32). */
export function countArgmaxFloatLabels(pred: usize, labels: usize, b: i32, c: i32): i32 {
  let n = 0;
  for (let i = 0; i < b; i++) {
    if (<f32>argmaxRow(pred + (<usize>i * <usize>c << 2), c) == load<f32>(labels + (<usize>i << 2))) n++;
  }
  return n;
}

/** Rows where argmax(pred) == argmax(target), both [b, c] (one-hot or soft targets). */
export function countArgmaxOneHot(pred: usize, target: usize, b: i32, c: i32): i32 {
  let n = 0;
  for (let i = 0; i < b; i++) {
    const o = <usize>i * <usize>c << 2;
    if (argmaxRow(pred + o, c) == argmaxRow(target + o, c)) n++;
  }
  return n;
}

/** Elements where (pred > threshold) == (target >= 0.5); binary accuracy. */
export function countThreshold(pred: usize, target: usize, n: i32, threshold: f32): i32 {
  let k = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if ((load<f32>(pred + o) > threshold) == (load<f32>(target + o) >= <f32>0.5)) k++;
  }
  return k;
}

/** Index of the first int32 label outside [0, c), or -1. */
export function firstLabelOutOfRange(labels: usize, n: i32, c: i32): i32 {
  for (let i = 0; i < n; i++) {
    const v = load<i32>(labels + (<usize>i << 2));
    if (v < 0 || v >= c) return i;
  }
  return -1;
}

/** Rows per tile in bnMoments (a tile of 64 rows x 64 channels is 16 KB: stays in L1). */
const BN_TILE = 64;

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
        const d23 = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)), k23);
        a01 = f64x2.add(a01, d01); q01 = f64x2.add(q01, f64x2.mul(d01, d01));
        a23 = f64x2.add(a23, d23); q23 = f64x2.add(q23, f64x2.mul(d23, d23));
      }
      v128.store(s1 + o, f64x2.add(v128.load(s1 + o), a01));
      v128.store(s1 + o, f64x2.add(v128.load(s1 + o, 16), a23), 16);
      v128.store(s2 + o, f64x2.add(v128.load(s2 + o), q01));
      v128.store(s2 + o, f64x2.add(v128.load(s2 + o, 16), q23), 16);
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

/** out = gamma * (x - mean) * invstd + beta, invstd = 1 / sqrt(variance + eps) (written to `invstd`). */
export function bnForward(x: usize, rows: i32, c: i32, mean: usize, variance: usize, gamma: usize, beta: usize,
                          eps: f32, out: usize, invstd: usize): void {
  for (let j = 0; j < c; j++) {
    const o = <usize>j << 2;
    store<f32>(invstd + o, <f32>1 / Mathf.sqrt(load<f32>(variance + o) + eps));
  }
  let j4 = 0;
  if ((c & 3) == 0) {
    for (let i = 0; i < rows; i++) {
      const base = <usize>i * <usize>c << 2;
      for (j4 = 0; j4 < c; j4 += 4) {
        const o = <usize>j4 << 2;
        const xm = f32x4.sub(v128.load(x + base + o), v128.load(mean + o));
        const s = f32x4.mul(v128.load(gamma + o), v128.load(invstd + o));
        v128.store(out + base + o, f32x4.add(f32x4.mul(xm, s), v128.load(beta + o)));
      }
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    const base = <usize>i * <usize>c << 2;
    for (let j = 0; j < c; j++) {
      const o = <usize>j << 2;
      const xm = load<f32>(x + base + o) - load<f32>(mean + o);
      const s = load<f32>(gamma + o) * load<f32>(invstd + o);
      store<f32>(out + base + o, xm * s + load<f32>(beta + o));
    }
  }
}

/**
 * Gradients of bnForward. dbeta = sum g, dgamma = sum g * xhat. With `training` the mean and
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
        const g01 = f64x2.promote_low_f32x4(gv), g23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(gv, gv, 2, 3, 2, 3));
        const x01 = f64x2.promote_low_f32x4(xhat), x23 = f64x2.promote_low_f32x4(v128.shuffle<f32>(xhat, xhat, 2, 3, 2, 3));
        a01 = f64x2.add(a01, g01); q01 = f64x2.add(q01, f64x2.mul(g01, x01));
        a23 = f64x2.add(a23, g23); q23 = f64x2.add(q23, f64x2.mul(g23, x23));
      }
      v128.store(sg + o8, f64x2.add(v128.load(sg + o8), a01));
      v128.store(sg + o8, f64x2.add(v128.load(sg + o8, 16), a23), 16);
      v128.store(sgx + o8, f64x2.add(v128.load(sgx + o8), q01));
      v128.store(sgx + o8, f64x2.add(v128.load(sgx + o8, 16), q23), 16);
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
