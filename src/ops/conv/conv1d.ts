// conv1d: a 1-D convolution run as conv2d over a height of one. Input [N, L, C] is viewed as
// [N, 1, L, C] and the weights [k, C/groups, outC] as [1, k, C/groups, outC] (reshapes are views),
// so forward, gradients and kernels are conv2d's. Options and errors are resolved here, in 1-D
// terms, before conv2d sees anything.
import type { Tensor } from '../../tensor.js';
import { ShapeError, ValueError, fmtShape, fmtValue } from '../../errors.js';
import { dilatedExtent, samePadding, windowOutputSize } from '../../geometry.js';
import { reshape } from '../shape.js';
import { checkBias, convOperands } from './args.js';
import { activationCode, conv2d } from './conv2d.js';
import { checkGroupChannels, checkGroups } from './geometry.js';

/** 'valid' | 'same' (TensorFlow) | p on both sides | [left, right]. */
export type Padding1d = 'valid' | 'same' | number | readonly [number, number];

export interface Conv1dOptions {
  strides?: number | readonly [number];
  padding?: Padding1d;
  dilation?: number | readonly [number];
  groups?: number;
  /** Fused into the kernel's epilogue. */
  activation?: 'relu' | 'linear' | null;
}

/** conv1d's options resolved against the input [N, L, C] and weight [k, C/groups, outC] shapes. */
export interface Conv1dGeometry {
  batch: number; length: number; inC: number;
  k: number; outC: number; outLength: number;
  stride: number; dilation: number; padLeft: number; padRight: number; groups: number;
}

/** A positive integer, or a one-element array of one (Keras writes strides=(2,)). */
function single(v: unknown, dflt: number, op: string, name: string): number {
  if (v === undefined) return dflt;
  const s = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (!Number.isInteger(s) || (s as number) < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${fmtValue(v)}`);
  return s as number;
}

/** Resolves 1-D padding to [left, right]; 'same' follows TensorFlow (the odd pad goes right). */
export function resolvePadding1d(padding: unknown, length: number, extent: number, stride: number, op = 'conv1d'): [number, number] {
  if (padding === 'valid') return [0, 0];
  if (padding === 'same') return samePadding(length, extent, stride);
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (ok(padding)) return [padding, padding];
  if (Array.isArray(padding) && padding.length === 2 && padding.every(ok)) return [padding[0], padding[1]];
  throw new ValueError(`${op}: padding must be 'valid', 'same', a non-negative integer or [left, right], got ${fmtValue(padding)}`);
}

/** Resolves conv1d's options (pure; throws on misuse, naming the 1-D shapes). */
export function conv1dGeometry(xShape: readonly number[], wShape: readonly number[], options: Conv1dOptions = {}, op = 'conv1d'): Conv1dGeometry {
  const shapes = () => `(input ${fmtShape(xShape)}, weights ${fmtShape(wShape)})`;
  const stride = single(options.strides, 1, op, 'strides');
  const dilation = single(options.dilation, 1, op, 'dilation');
  const groups = checkGroups(options.groups, op);
  const [batch, length, inC] = xShape;
  const [k, wIn, outC] = wShape;
  if (k < 1) throw new ShapeError(`${op}: the kernel must have at least 1 tap, got ${k} ${shapes()}`);
  checkGroupChannels(inC, wIn, outC, groups, op, shapes);
  const extent = dilatedExtent(k, dilation);
  const [padLeft, padRight] = resolvePadding1d(options.padding ?? 'valid', length, extent, stride, op);
  const padded = length + padLeft + padRight;
  if (padded < extent) {
    throw new ShapeError(`${op}: kernel ${k}${dilation > 1 ? ` (dilated to ${extent})` : ''} is longer than the padded input ${padded} ${shapes()}`);
  }
  return {
    batch, length, inC, k, outC, outLength: windowOutputSize(length, extent, stride, padLeft, padRight),
    stride, dilation, padLeft, padRight, groups,
  };
}

/**
 * 1-D convolution: input [batch, length, channels], weights [k, inChannels/groups, outChannels],
 * optional bias [outChannels]; 'relu' activation is fused. Gradients are conv2d's.
 */
export function conv1d(x: Tensor, w: Tensor, b?: Tensor | null, options?: Conv1dOptions): Tensor {
  const op = 'conv1d';
  let bb: unknown;
  ({ x, w, bias: bb, options } = convOperands(op, x, w, b, options, '[kernelSize, inChannels/groups, outChannels]', 3, 'NLC: [batch, length, channels]'));
  const g = conv1dGeometry(x.shape, w.shape, options, op);
  const bias = bb == null ? null : checkBias(bb, g.outC, op, w.shape);
  activationCode(options.activation, op);
  const y = conv2d(reshape(x, [g.batch, 1, g.length, g.inC]), reshape(w, [1, g.k, g.inC / g.groups, g.outC]), bias, {
    strides: [1, g.stride], dilation: [1, g.dilation], padding: [[0, 0], [g.padLeft, g.padRight]],
    groups: g.groups, activation: options.activation,
  });
  return reshape(y, [g.batch, g.outLength, g.outC]);
}
