// What the batch-norm kernels share: invstd, and the pieces of the f64 per-channel sums over tiles
// of rows (bnMoments, bnBackward, and the group-norm kernels of assembly/norm/).

/** 1 / sqrt(variance[j] + eps) for the channel at byte offset o. */
@inline export function invStd(variance: usize, o: usize, eps: f32): f32 {
  return <f32>1 / Mathf.sqrt(load<f32>(variance + o) + eps);
}

/** Rows per tile of the f64 sums (a tile of 64 rows x 64 channels is 16 KB: stays in L1). */
export const BN_TILE = 64;

/** The upper two f32 lanes of v as f64x2 (the lower two: f64x2.promote_low_f32x4). */
@inline export function promoteHigh(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3));
}

/** The four f64 at p += lo01, hi23 (channels j .. j+3 of a per-channel f64 sum). */
@inline export function addF64x4(p: usize, lo01: v128, hi23: v128): void {
  v128.store(p, f64x2.add(v128.load(p), lo01));
  v128.store(p, f64x2.add(v128.load(p, 16), hi23), 16);
}

/**
 * s1[j] += sum_r (x[r, j] - shift[j]) and s2[j] += sum_r (x[r, j] - shift[j])^2 over the rows of
 * x [rows, c], in f64 (shift, s1, s2: c f64 each). Used by bnMoments (rows = N*H*W) and the
 * group-norm statistics (rows = one sample's H*W).
 * Tiles of BN_TILE rows: each channel's sum over the tile is formed in registers (the tile stays
 * in L1 while the channel loop walks it), then added to s1/s2: one scratch update per tile instead
 * of per row. The order is fixed, so results depend only on the data. Channels go through f64x2
 * lanes: the same f64 operations, in the same order, as scalar.
 */
@inline export function addShiftedMoments(x: usize, rows: i32, c: i32, shift: usize, s1: usize, s2: usize): void {
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
}
