// Resize forward over NHWC images, separable: each source row a output row needs is first
// resampled along the width (taps of the column table, vectorised over channels), then the output
// row blends one or two such rows (taps of the row table, vectorised over the whole row). Two
// resampled rows stay cached, so upscaling resamples each source row once.
import { off, copyFloats } from '../simd';
import { tapIndex0, tapIndex1, tapWeight0, tapWeight1, blendFloats } from './table';

/** Resamples source row `src` (inW x C) along the width into `dst` (outW x C). */
function resampleRow(src: usize, dst: usize, cols: usize, outW: i32, C: i32, taps: i32): void {
  for (let ox = 0; ox < outW; ox++) {
    const q = dst + off(ox * C);
    const p0 = src + off(tapIndex0(cols, ox) * C);
    if (taps == 1) copyFloats(q, p0, C);
    else blendFloats(q, p0, src + off(tapIndex1(cols, ox) * C), tapWeight0(cols, ox), tapWeight1(cols, ox), C);
  }
}

/**
 * The resampled source row `y` of image `xn`, from the two-row cache at `work` (16 bytes of
 * cached row numbers, then the rows); the row `keep` is not evicted.
 */
function cachedRow(work: usize, xn: usize, y: i32, keep: i32, cols: usize, inW: i32, outW: i32, C: i32, taps: i32): usize {
  const rowA = work + 16, rowB = rowA + off(outW * C);
  if (load<i32>(work) == y) return rowA;
  if (load<i32>(work, 4) == y) return rowB;
  const intoA = load<i32>(work) != keep;
  const dst = intoA ? rowA : rowB;
  resampleRow(xn + off(y * inW * C), dst, cols, outW, C, taps);
  store<i32>(work + (intoA ? 0 : 4), y);
  return dst;
}

/**
 * y[n, oy, ox, c] from x [batch, inH, inW, C] for `outRows` output rows per image (a thread's band:
 * `rows` points to the table entry of its first row, `y` to its first output element).
 * taps: 1 nearest, 2 linear. work: this thread's scratch, 16 + 8 * outW * C bytes.
 */
export function resizeForward(x: usize, y: usize, rows: usize, cols: usize, work: usize,
                              batch: i32, inH: i32, inW: i32, C: i32, outRows: i32, outW: i32, taps: i32): void {
  const rowLen = outW * C;
  for (let n = 0; n < batch; n++) {
    const xn = x + off(n * inH * inW * C), yn = y + off(n * outRows * rowLen);
    store<i32>(work, -1); store<i32>(work, -1, 4);
    for (let oy = 0; oy < outRows; oy++) {
      const out = yn + off(oy * rowLen);
      const y0 = tapIndex0(rows, oy);
      if (taps == 1) {
        // Consecutive output rows often read the same source row: copy the previous output row.
        if (oy > 0 && tapIndex0(rows, oy - 1) == y0) copyFloats(out, out - off(rowLen), rowLen);
        else resampleRow(xn + off(y0 * inW * C), out, cols, outW, C, 1);
        continue;
      }
      const y1 = tapIndex1(rows, oy);
      const r0 = cachedRow(work, xn, y0, y1, cols, inW, outW, C, taps);
      const r1 = cachedRow(work, xn, y1, y0, cols, inW, outW, C, taps);
      blendFloats(out, r0, r1, tapWeight0(rows, oy), tapWeight1(rows, oy), rowLen);
    }
  }
}
