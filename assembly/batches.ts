// Kernels over the training data: the row gather that assembles (shuffled) batches, and the
// range check of integer labels.

/** dst[i, :] = src[idx[i], :] for i < n; rows of `rowFloats` 4-byte values (f32 or i32). */
export function gatherRows(src: usize, idx: usize, n: i32, rowFloats: i32, dst: usize): void {
  const rowBytes = <usize>rowFloats << 2;
  for (let i = 0; i < n; i++) {
    const r = <usize>load<i32>(idx + (<usize>i << 2));
    memory.copy(dst + <usize>i * rowBytes, src + r * rowBytes, rowBytes);
  }
}

/** Index of the first int32 label outside [0, c), or -1. */
export function firstLabelOutOfRange(labels: usize, n: i32, c: i32): i32 {
  for (let i = 0; i < n; i++) {
    const v = load<i32>(labels + (<usize>i << 2));
    if (v < 0 || v >= c) return i;
  }
  return -1;
}
