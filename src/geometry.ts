// The one home of the sliding-window size rules (padding and output sizes) that convolution,
// pooling, the layers and the ONNX importer share. Pure functions of integers.

/** The extent of a kernel of `k` taps spaced `dilation` apart. */
export function dilatedExtent(k: number, dilation = 1): number {
  return (k - 1) * dilation + 1;
}

/**
 * TensorFlow's 'same' padding along one axis: the output has ceil(in / stride) positions, and an
 * odd pixel of padding goes after (bottom/right). `extent` is the (dilated) kernel extent.
 * `extraBefore` puts the odd pixel first instead (ONNX SAME_LOWER). Returns [before, after].
 */
export function samePadding(inSize: number, extent: number, stride: number, extraBefore = false): [number, number] {
  const total = Math.max((Math.ceil(inSize / stride) - 1) * stride + extent - inSize, 0);
  const small = Math.floor(total / 2);
  return extraBefore ? [total - small, small] : [small, total - small];
}

/**
 * Positions of a window of `extent` sliding with `stride` over `inSize` padded by `before` and
 * `after`: floor((in + before + after - extent) / stride) + 1 (ceil with `ceilMode`, where, as
 * PyTorch and onnxruntime, the last window must start inside the input or the leading padding).
 */
export function windowOutputSize(inSize: number, extent: number, stride: number, before = 0, after = 0, ceilMode = false): number {
  const span = inSize + before + after - extent;
  if (!ceilMode) return Math.floor(span / stride) + 1;
  let out = Math.ceil(span / stride) + 1;
  if ((out - 1) * stride >= inSize + before) out--;
  return out;
}

/**
 * Output size of the transposed (adjoint) window op: the input size of the forward op whose
 * output has `inSize` positions, (in - 1) * stride + extent - before - after, plus `extra` rows
 * of output padding at the end.
 */
export function transposedOutputSize(inSize: number, extent: number, stride: number, before = 0, after = 0, extra = 0): number {
  return (inSize - 1) * stride + extent - before - after + extra;
}

/**
 * TensorFlow's output size of a transposed window op without output padding: in * stride for
 * 'same', in * stride + max(extent - stride, 0) for 'valid'.
 */
export function transposedWindowSize(inSize: number, extent: number, stride: number, padding: 'valid' | 'same'): number {
  return padding === 'same' ? inSize * stride : inSize * stride + Math.max(extent - stride, 0);
}
