// What the batch-norm kernels share: invstd, and the pieces of the f64 per-channel sums over tiles
// of rows (bnMoments, bnBackward).

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
