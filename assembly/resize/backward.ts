// Resize backward over NHWC images: the transpose of the separable forward. Output-row gradients
// are accumulated, weighted by the row taps, into the source rows they came from (a source row
// gathers from a contiguous run of output rows, since rows map monotonically), and a finished
// source row is scattered along the width into dx by the column taps. Two accumulator rows
// suffice: output row oy touches source rows i0 and i0 + 1 only, and i0 never decreases.
// Every dx element sums its terms in one fixed order (output rows, then columns, increasing).
import { off, zeroFloats } from '../simd';
import { tapIndex0, tapIndex1, tapWeight0, tapWeight1, addScaledFloats } from './table';

/** dx row (inW x C) += the width-transpose of accumulated row g (outW x C). */
function scatterRow(g: usize, dxr: usize, cols: usize, outW: i32, C: i32, taps: i32): void {
  for (let ox = 0; ox < outW; ox++) {
    const gp = g + off(ox * C);
    addScaledFloats(dxr + off(tapIndex0(cols, ox) * C), gp, tapWeight0(cols, ox), C);
    if (taps == 2) addScaledFloats(dxr + off(tapIndex1(cols, ox) * C), gp, tapWeight1(cols, ox), C);
  }
}

/**
 * dx [batch, inH, inW, C] from dy [batch, outH, outW, C] (whole images: a thread's share is a run
 * of images). taps: 1 nearest, 2 linear. work: this thread's scratch, 16 + 8 * outW * C bytes.
 */
export function resizeBackward(dy: usize, dx: usize, rows: usize, cols: usize, work: usize,
                               batch: i32, inH: i32, inW: i32, C: i32, outH: i32, outW: i32, taps: i32): void {
  const rowLen = outW * C, inRow = inW * C;
  // Accumulator of source row r: slot r & 1; work holds a dirty flag per slot, then the slots.
  const slots = work + 16, slotBytes = off(rowLen);
  for (let n = 0; n < batch; n++) {
    const dyn = dy + off(n * outH * rowLen), dxn = dx + off(n * inH * inRow);
    zeroFloats(dxn, inH * inRow);
    zeroFloats(slots, 2 * rowLen);
    store<i32>(work, 0); store<i32>(work, 0, 4);
    let next = 0; // the lowest source row not yet scattered
    for (let oy = 0; oy <= outH; oy++) {
      // Source rows below this output row's first tap are complete (all of them after the last row).
      const first = oy < outH ? tapIndex0(rows, oy) : inH;
      for (; next < first && next < inH; next++) {
        const flag = work + (<usize>(next & 1) << 2);
        if (load<i32>(flag) == 0) continue;
        const slot = slots + <usize>(next & 1) * slotBytes;
        scatterRow(slot, dxn + off(next * inRow), cols, outW, C, taps);
        zeroFloats(slot, rowLen);
        store<i32>(flag, 0);
      }
      if (oy == outH) break;
      const g = dyn + off(oy * rowLen);
      addScaledFloats(slots + <usize>(first & 1) * slotBytes, g, tapWeight0(rows, oy), rowLen);
      store<i32>(work + (<usize>(first & 1) << 2), 1);
      if (taps == 2) {
        const y1 = tapIndex1(rows, oy);
        addScaledFloats(slots + <usize>(y1 & 1) * slotBytes, g, tapWeight1(rows, oy), rowLen);
        store<i32>(work + (<usize>(y1 & 1) << 2), 1);
      }
    }
  }
}
