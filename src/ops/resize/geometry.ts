// Where every output pixel of a resize reads from: the one place that turns (input size, output
// size, method, coordinate mode) into source indices and weights. The forward and backward
// kernels read the same tables (assembly/resize/table.ts describes their layout), and the layers
// and the ONNX exporter name the same modes.
//
// Source coordinate of output index d (in = input size, out = output size):
//   halfPixel     src = (d + 0.5) * in / out - 0.5   (PyTorch align_corners=False, TF2, ONNX half_pixel)
//   alignCorners  src = d * (in - 1) / (out - 1)     (0 when out = 1; PyTorch/TF align_corners=True)
//   asymmetric    src = d * in / out                 (TF1 legacy, ONNX asymmetric)
// bilinear: src is clamped at 0; taps i0 = floor(src), i1 = min(i0 + 1, in - 1), weights
//   w1 = src - i0 and w0 = 1 - w1 (as PyTorch's upsample_bilinear2d).
// nearest: i0 = min(floor(src + 0.5), in - 1) for halfPixel, which is floor((d + 0.5) * in / out)
//   (PyTorch 'nearest-exact', TF2 tf.image.resize); floor(src) for asymmetric (PyTorch 'nearest');
//   round half up for alignCorners (TF align_corners=True). Indices are computed in exact
//   integer arithmetic, so ties never depend on rounding.
import { ValueError, fmtValue, rejectUnknownOptions } from '../../errors.js';
import { describe } from '../util.js';

export type ResizeMethod = 'nearest' | 'bilinear';
export type CoordinateMode = 'halfPixel' | 'alignCorners' | 'asymmetric';

export interface ResizeOptions {
  /** 'nearest' (default) or 'bilinear'. */
  method?: ResizeMethod;
  /** Corner pixels of input and output coincide (PyTorch/TF align_corners=True). Default false. */
  alignCorners?: boolean;
  /** Pixels are sampled at their centres (x + 0.5); default true. False gives the legacy asymmetric rule. */
  halfPixelCenters?: boolean;
}

export interface ResizeMode { method: ResizeMethod; mode: CoordinateMode }

/** Checks resize options (ValueError naming `op`) and returns the method and coordinate mode. */
export function resolveResizeOptions(options: ResizeOptions | undefined, op: string): ResizeMode {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new ValueError(`${op}: options must be an object, got ${describe(options)}`);
  }
  const o = options ?? {};
  rejectUnknownOptions(op, o, ['method', 'alignCorners', 'halfPixelCenters']);
  const method = o.method ?? 'nearest';
  if (method !== 'nearest' && method !== 'bilinear') {
    throw new ValueError(`${op}: option 'method' must be 'nearest' or 'bilinear', got ${fmtValue(method)}`);
  }
  for (const k of ['alignCorners', 'halfPixelCenters'] as const) {
    if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new ValueError(`${op}: option '${k}' must be a boolean, got ${fmtValue(o[k])}`);
  }
  if (o.alignCorners === true && o.halfPixelCenters === true) {
    throw new ValueError(`${op}: alignCorners and halfPixelCenters cannot both be true`);
  }
  const mode: CoordinateMode = o.alignCorners ? 'alignCorners' : o.halfPixelCenters === false ? 'asymmetric' : 'halfPixel';
  return { method, mode };
}

/** Bytes of one table entry { i0: i32, i1: i32, w0: f32, w1: f32 }. */
export const RESIZE_ENTRY_BYTES = 16;

/** Taps of one axis: `outSize` entries of RESIZE_ENTRY_BYTES bytes each. */
export function resizeTable(inSize: number, outSize: number, { method, mode }: ResizeMode): ArrayBuffer {
  const buf = new ArrayBuffer(outSize * RESIZE_ENTRY_BYTES);
  const ints = new Int32Array(buf), floats = new Float32Array(buf);
  for (let d = 0; d < outSize; d++) {
    let i0: number, i1: number, w1: number;
    if (method === 'nearest') {
      i0 = Math.min(nearestIndex(d, inSize, outSize, mode), inSize - 1);
      i1 = i0; w1 = 0;
    } else {
      const src = Math.max(sourceCoordinate(d, inSize, outSize, mode), 0);
      i0 = Math.min(Math.floor(src), inSize - 1);
      i1 = Math.min(i0 + 1, inSize - 1);
      w1 = src - i0;
    }
    ints[4 * d] = i0; ints[4 * d + 1] = i1;
    floats[4 * d + 2] = method === 'nearest' ? 1 : 1 - w1; floats[4 * d + 3] = w1;
  }
  return buf;
}

/** The continuous source coordinate of output index d (one rounding: integer numerator / denominator). */
function sourceCoordinate(d: number, inSize: number, outSize: number, mode: CoordinateMode): number {
  if (mode === 'halfPixel') return ((2 * d + 1) * inSize - outSize) / (2 * outSize);
  if (mode === 'asymmetric') return (d * inSize) / outSize;
  return outSize === 1 ? 0 : (d * (inSize - 1)) / (outSize - 1);
}

/** The nearest source index, as floor(p / q) of exact integers. */
function nearestIndex(d: number, inSize: number, outSize: number, mode: CoordinateMode): number {
  if (mode === 'halfPixel') return Math.floor(((2 * d + 1) * inSize) / (2 * outSize));
  if (mode === 'asymmetric') return Math.floor((d * inSize) / outSize);
  return outSize === 1 ? 0 : Math.floor((2 * d * (inSize - 1) + (outSize - 1)) / (2 * (outSize - 1)));
}
