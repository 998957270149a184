// Channel interleaving of two channels-last runs: out[..., 2c] = a[..., c], out[..., 2c + 1] = b[..., c].
// That is a channel shuffle of two groups (ShuffleNet's) over the concatenation of a and b, read
// straight from the two parts rather than from a concat's output, and written either whole or as
// equal channel blocks (the halves the next unit slices it into): one pass where concat, shuffle
// and slices take three. A copy, so the bits are those of the separate ops. Inference only: no
// gradient is recorded (the ONNX importer's use).
import { Tensor } from '../tensor.js';
import { kernels } from '../backend/wasm.js';
import { parallel } from '../backend/parallel.js';
import { rowRanges } from '../backend/elementwise.js';
import { ShapeError, fmtShape } from '../errors.js';

/** Channels [offset, offset + count) of a float32 tensor's last axis, in every row (pixel). */
export interface ChannelRun { t: Tensor; offset: number }

/**
 * The channels of runs `a` and `b` (`count` channels each, over the same rows) interleaved,
 * a0 b0 a1 b1 ..., cut into `parts` equal channel blocks, each a tensor of the rows' shape with
 * 2 * count / parts channels. Each block must hold whole pairs.
 */
export function interleaveChannels(a: ChannelRun, b: ChannelRun, count: number, parts: number): Tensor[] {
  const lead = a.t.shape.slice(0, -1);
  const rows = lead.reduce((p, d) => p * d, 1);
  const aStride = a.t.shape[a.t.rank - 1], bStride = b.t.shape[b.t.rank - 1];
  const fits = (r: ChannelRun, stride: number) =>
    r.t.dtype === 'float32' && r.t.rank >= 1 && Number.isInteger(r.offset) && r.offset >= 0 && r.offset + count <= stride;
  if (!(Number.isInteger(count) && count > 0 && Number.isInteger(parts) && parts > 0 && count % parts === 0) ||
      !fits(a, aStride) || !fits(b, bStride) || b.t.rank !== a.t.rank || b.t.shape.slice(0, -1).some((d, i) => d !== lead[i])) {
    throw new ShapeError(`interleaveChannels: cannot interleave ${count} channels of ${fmtShape(a.t.shape)} (from ${a.offset}) and ${fmtShape(b.t.shape)} (from ${b.offset}) in ${parts} blocks`);
  }
  const pairs = count / parts;
  const k = kernels();
  const out: Tensor[] = [];
  for (let p = 0; p < parts; p++) {
    const block = Tensor.empty([...lead, 2 * pairs]);
    const pa = a.t.ptr + 4 * (a.offset + p * pairs), pb = b.t.ptr + 4 * (b.offset + p * pairs);
    if (rows > 0) {
      parallel(k.interleavePairs, rowRanges(rows, 2 * pairs).map(([r0, r1]) =>
        [pa + 4 * r0 * aStride, aStride, pb + 4 * r0 * bStride, bStride, block.ptr + 8 * r0 * pairs, 2 * pairs, r1 - r0, pairs]));
    }
    out.push(block);
  }
  return out;
}
