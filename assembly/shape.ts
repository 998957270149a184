// Data movement for shape ops. One general strided copy serves transpose (any perm), slice,
// pad (into a filled output), concat (each input into its block of the output) and
// broadcastTo (stride 0); a tiled SIMD kernel handles the plain (batched) 2-D transpose.
// Copies move 32-bit words, so they serve float32 and int32 tensors alike.

/**
 * For every index of `shape` (rank dims, row-major): dst[idx . dstStrides] = src[idx . srcStrides].
 * shape / srcStrides / dstStrides point to `rank` int32 each (element strides, may be 0).
 */
export function stridedCopy(rank: i32, shape: usize, src: usize, srcStrides: usize, dst: usize, dstStrides: usize): void {
  if (rank == 0) { store<u32>(dst, load<u32>(src)); return; }
  const last = <usize>(rank - 1) << 2;
  const n = load<i32>(shape + last);
  const ss = load<i32>(srcStrides + last);
  const ds = load<i32>(dstStrides + last);
  let rows = 1;
  for (let d = 0; d < rank - 1; d++) rows *= load<i32>(shape + (<usize>d << 2));
  for (let r = 0; r < rows; r++) {
    let rem = r;
    let so = 0;
    let doff = 0;
    for (let d = rank - 2; d >= 0; d--) {
      const dOff = <usize>d << 2;
      const size = load<i32>(shape + dOff);
      const i = rem % size;
      rem /= size;
      so += i * load<i32>(srcStrides + dOff);
      doff += i * load<i32>(dstStrides + dOff);
    }
    const s = src + (<usize>so << 2);
    const t = dst + (<usize>doff << 2);
    if (ss == 1 && ds == 1) {
      memory.copy(t, s, <usize>n << 2);
    } else if (ss == 0 && ds == 1) {
      const v = load<u32>(s);
      const vv = i32x4.splat(v);
      let i = 0;
      for (; i + 4 <= n; i += 4) v128.store(t + (<usize>i << 2), vv);
      for (; i < n; i++) store<u32>(t + (<usize>i << 2), v);
    } else {
      for (let i = 0; i < n; i++) {
        store<u32>(t + (<usize>(i * ds) << 2), load<u32>(s + (<usize>(i * ss) << 2)));
      }
    }
  }
}

/**
 * Two channel runs interleaved, row by row: dst[2c] = a[c], dst[2c + 1] = b[c] for c < cols, in
 * each of `rows` rows (strides in floats). A channel shuffle of two groups read straight from the
 * two tensors a concat would join, or written as the channel blocks the next layer slices it into.
 */
export function interleavePairs(a: usize, aStride: i32, b: usize, bStride: i32, dst: usize, dstStride: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const s0 = a + (<usize>r * <usize>aStride << 2), s1 = b + (<usize>r * <usize>bStride << 2);
    const d = dst + (<usize>r * <usize>dstStride << 2);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const off = <usize>c << 2;
      const v0 = v128.load(s0 + off), v1 = v128.load(s1 + off);
      v128.store(d + 2 * off, v128.shuffle<f32>(v0, v1, 0, 4, 1, 5));
      v128.store(d + 2 * off + 16, v128.shuffle<f32>(v0, v1, 2, 6, 3, 7));
    }
    for (; c < cols; c++) {
      const off = <usize>c << 2;
      store<u32>(d + 2 * off, load<u32>(s0 + off));
      store<u32>(d + 2 * off + 4, load<u32>(s1 + off));
    }
  }
}

/** dst[b, c, r] = src[b, r, c]: a batch of [rows, cols] matrices transposed, 4x4 SIMD blocks in 32x32 tiles. */
export function transpose2d(src: usize, dst: usize, batch: i32, rows: i32, cols: i32): void {
  // [2, cols] matrices (a channel shuffle of two groups, ShuffleNet's): their two rows interleaved.
  if (rows == 2) { interleavePairs(src, 2 * cols, src + (<usize>cols << 2), 2 * cols, dst, 2 * cols, batch, cols); return; }
  const TILE = 32;
  const rowBytes = <usize>cols << 2;
  const colBytes = <usize>rows << 2;
  for (let b = 0; b < batch; b++) {
    const sb = src + <usize>b * <usize>rows * rowBytes;
    const db = dst + <usize>b * <usize>rows * rowBytes;
    for (let r0 = 0; r0 < rows; r0 += TILE) {
      const r1 = min(r0 + TILE, rows);
      for (let c0 = 0; c0 < cols; c0 += TILE) {
        const c1 = min(c0 + TILE, cols);
        let r = r0;
        for (; r + 4 <= r1; r += 4) {
          let c = c0;
          for (; c + 4 <= c1; c += 4) {
            const p = sb + <usize>r * rowBytes + (<usize>c << 2);
            const vrow0 = v128.load(p);
            const vrow1 = v128.load(p + rowBytes);
            const vrow2 = v128.load(p + 2 * rowBytes);
            const vrow3 = v128.load(p + 3 * rowBytes);
            // 4x4 transpose: interleave pairs, then halves.
            const t01lo = v128.shuffle<f32>(vrow0, vrow1, 0, 4, 1, 5);
            const t23lo = v128.shuffle<f32>(vrow2, vrow3, 0, 4, 1, 5);
            const t01hi = v128.shuffle<f32>(vrow0, vrow1, 2, 6, 3, 7);
            const t23hi = v128.shuffle<f32>(vrow2, vrow3, 2, 6, 3, 7);
            const q = db + <usize>c * colBytes + (<usize>r << 2);
            v128.store(q, v128.shuffle<f32>(t01lo, t23lo, 0, 1, 4, 5));
            v128.store(q + colBytes, v128.shuffle<f32>(t01lo, t23lo, 2, 3, 6, 7));
            v128.store(q + 2 * colBytes, v128.shuffle<f32>(t01hi, t23hi, 0, 1, 4, 5));
            v128.store(q + 3 * colBytes, v128.shuffle<f32>(t01hi, t23hi, 2, 3, 6, 7));
          }
          for (; c < c1; c++) {
            for (let rr = r; rr < r + 4; rr++) {
              store<u32>(db + <usize>c * colBytes + (<usize>rr << 2), load<u32>(sb + <usize>rr * rowBytes + (<usize>c << 2)));
            }
          }
        }
        for (; r < r1; r++) {
          for (let c = c0; c < c1; c++) {
            store<u32>(db + <usize>c * colBytes + (<usize>r << 2), load<u32>(sb + <usize>r * rowBytes + (<usize>c << 2)));
          }
        }
      }
    }
  }
}
