// The attributes 2-D sliding-window ops share (Conv, ConvTranspose, MaxPool, AveragePool):
// explicit pads, auto_pad and the integer pairs (strides, dilations, kernel_shape).
import { FormatError } from '../../../index.js';
import { samePadding } from '../../../geometry.js';

/** [[top, bottom], [left, right]] */
export type PadPairs = [[number, number], [number, number]];

/** ONNX `pads` [top, left, bottom, right] as per-axis pairs. */
export function padPairs(pads: number[], node: string): PadPairs {
  if (pads.length !== 4 || pads.some((p) => p < 0)) throw new FormatError(`loadOnnx: ${node}: pads must be 4 non-negative integers [top, left, bottom, right], got ${JSON.stringify(pads)}`);
  return [[pads[0], pads[2]], [pads[1], pads[3]]];
}

/** Checks an optional integer-list attribute: `len` values in [min, 2^20]. */
export function checkPositive(v: number[] | null, name: string, node: string, len = 2, min = 1): void {
  if (v === null) return;
  if (v.length !== len || v.some((x) => !(x >= min) || x > 1 << 20)) {
    throw new FormatError(`loadOnnx: ${node}: attribute '${name}' must hold ${len} integers >= ${min} (only 2-D spatial ops are supported), got ${JSON.stringify(v)}`);
  }
}

export function checkAutoPad(v: string, node: string): string {
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(v)) throw new FormatError(`loadOnnx: ${node}: auto_pad '${v}' is not supported`);
  return v;
}

/** The [begin, end] padding of one spatial axis under auto_pad (`extent`: the dilated kernel extent). */
export function spatialPads(autoPad: string, pads: PadPairs, inSize: number, extent: number, stride: number, axis: 0 | 1): [number, number] {
  if (autoPad === 'VALID') return [0, 0];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return samePadding(inSize, extent, stride, autoPad === 'SAME_LOWER');
  return pads[axis];
}
