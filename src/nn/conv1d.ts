// Conv1D (Keras): kernel [kernelSize, inChannels/groups, filters] over sequences [batch, steps,
// channels], computed by ops.conv1d (conv2d's kernels over a height of one). Padding 'causal'
// pads only the start, so step t sees steps <= t (Keras' causal convolution).
import type { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtValue } from '../errors.js';
import { dilatedExtent, windowOutputSize } from '../geometry.js';
import { resolvePadding1d } from '../ops/conv/conv1d.js';
import { ops } from './ops.js';
import { applyActivation } from './activations.js';
import type { InitializerSpec } from './initializers.js';
import { fmtBatchShape, optInt } from './layer.js';
import { KernelLayer, type KernelLayerOptions } from './kernel-layer.js';
import { fusedRelu } from './conv.js';

export type Conv1DPadding = 'valid' | 'same' | 'causal' | number | [number, number];

export interface Conv1DOptions extends KernelLayerOptions {
  filters: number;
  kernelSize: number | [number];
  strides?: number | [number];
  padding?: Conv1DPadding;
  dilation?: number | [number];
  /** Keras' name for `dilation`. */
  dilationRate?: number | [number];
  groups?: number;
  kernelInitializer?: InitializerSpec;
}

/** A positive integer option, also written as a one-element array (Keras' (k,) tuples). */
function optSingle(layer: string, opts: Record<string, unknown>, key: string, dflt: number | undefined): number {
  const v = opts[key];
  const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (one !== undefined && !(typeof one === 'number' && Number.isInteger(one) && one >= 1)) {
    throw new ValueError(`${layer}: option '${key}' must be an integer >= 1 or [n] of one, got ${fmtValue(v)}`);
  }
  return optInt(layer, { [key]: one }, key, dflt);
}

function optPadding1d(layer: string, v: unknown): 'valid' | 'same' | 'causal' | [number, number] {
  if (v === undefined) return 'valid';
  if (v === 'valid' || v === 'same' || v === 'causal') return v;
  const nn = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
  if (nn(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every(nn)) return [v[0], v[1]];
  throw new ValueError(`${layer}: option 'padding' must be 'valid', 'same', 'causal', a non-negative integer or [left, right], got ${fmtValue(v)}`);
}

export class Conv1D extends KernelLayer {
  readonly className: string = 'Conv1D';
  readonly baseName: string = 'conv1d';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same' | 'causal' | [number, number];
  readonly dilation: number;
  readonly groups: number;

  constructor(opts: Conv1DOptions) {
    const L = 'conv1d';
    super(opts, L, ['filters', 'kernelSize', 'strides', 'padding', 'dilation', 'dilationRate', 'groups']);
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.filters = optInt(L, o, 'filters', undefined);
    this.kernelSize = optSingle(L, o, 'kernelSize', undefined);
    this.strides = optSingle(L, o, 'strides', 1);
    this.padding = optPadding1d(L, o.padding);
    this.dilation = optSingle(L, o, o.dilation !== undefined ? 'dilation' : 'dilationRate', 1);
    this.groups = optInt(L, o, 'groups', 1);
    if (this.filters % this.groups !== 0) {
      throw new ValueError(`${L}: option 'filters' (${this.filters}) must be divisible by 'groups' (${this.groups})`);
    }
  }

  /** [left, right] padding for a sequence of `length` steps ('causal': all of it on the left). */
  pads(length: number): [number, number] {
    const extent = dilatedExtent(this.kernelSize, this.dilation);
    if (this.padding === 'causal') return [extent - 1, 0];
    return resolvePadding1d(this.padding, length, extent, this.strides, this.label);
  }

  computeOutputShape(shape: readonly number[]): number[] {
    if (shape.length !== 2) {
      throw new ShapeError(`${this.label}: expects sequences (batch, steps, channels), got input of shape ${fmtBatchShape(shape)}`);
    }
    const [length, c] = shape;
    if (c % this.groups !== 0) {
      throw new ShapeError(`${this.label}: input channels (${c}) must be divisible by groups (${this.groups}), input shape ${fmtBatchShape(shape)}`);
    }
    if (this.inputShape) this.checkInputChannels(shape, c, this.inputShape[1]);
    const extent = dilatedExtent(this.kernelSize, this.dilation);
    const [left, right] = this.pads(length);
    const out = windowOutputSize(length, extent, this.strides, left, right);
    if (out < 1) {
      throw new ShapeError(`${this.label}: input of ${length} steps is shorter than the ${extent}-step window (padding ${fmtValue(this.padding)}), input shape ${fmtBatchShape(shape)}`);
    }
    return [out, this.filters];
  }

  protected override compatible(): boolean { return true; } // computeOutputShape checks channels

  protected override createWeights(shape: readonly number[]): void {
    this.kernel = this.addWeight('kernel', [this.kernelSize, shape[1] / this.groups, this.filters], this.kernelInit);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
  }

  protected call(x: Tensor): Tensor {
    const fused = fusedRelu(this.activation);
    const y = ops.conv1d(x, this.kernel!, this.bias ?? undefined, {
      strides: this.strides, padding: this.pads(x.shape[1]), dilation: this.dilation, groups: this.groups, activation: fused,
    });
    return fused ? y : applyActivation(this.activation, y);
  }

  protected config(): Record<string, unknown> {
    return {
      filters: this.filters, kernelSize: this.kernelSize, strides: this.strides,
      padding: typeof this.padding === 'string' ? this.padding : this.padding.slice(),
      dilation: this.dilation, groups: this.groups, ...this.kernelConfig(),
    };
  }
}
