// Convolution layers: Conv2D (HWIO kernel, groups), DepthwiseConv2D (kernel [kh, kw, C, multiplier],
// the same bytes as HWIO [kh, kw, 1, C*multiplier] with groups = C) and Conv2DTranspose
// (kernel [kh, kw, filters, inChannels], as TensorFlow). Bias and activation follow the conv;
// relu is fused into the conv kernel (same values, one pass and one tensor fewer).
import type { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtValue } from '../errors.js';
import { transposedWindowSize } from '../geometry.js';
import { ops } from './ops.js';
import { applyActivation, type ActivationName } from './activations.js';
import type { InitializerSpec } from './initializers.js';
import { type Padding, fmtBatchShape, optInt, optPair, optPadding, windowOut } from './layer.js';
import { KernelLayer, type KernelLayerOptions } from './kernel-layer.js';

export interface Conv2DOptions extends KernelLayerOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same' | number | [number, number] | [[number, number], [number, number]];
  dilation?: number | [number, number];
  /** Keras' name for `dilation`. */
  dilationRate?: number | [number, number];
  groups?: number;
  kernelInitializer?: InitializerSpec;
}

export function paddingJSON(p: Padding): unknown {
  return typeof p === 'string' ? p : p.map((q) => q.slice());
}

export function spatialOut(layer: string, shape: readonly number[], k: [number, number], s: [number, number],
                    d: [number, number], padding: Padding): [number, number] {
  const oh = windowOut(shape[0], k[0], s[0], d[0], padding, 0);
  const ow = windowOut(shape[1], k[1], s[1], d[1], padding, 1);
  if (oh < 1 || ow < 1) {
    const eff = `${d[0] * (k[0] - 1) + 1}x${d[1] * (k[1] - 1) + 1}`;
    throw new ShapeError(`${layer}: input ${shape[0]}x${shape[1]} is smaller than the ${eff} window (padding ${fmtValue(padding)}), input shape ${fmtBatchShape(shape)}`);
  }
  return [oh, ow];
}

/** The activation ops.conv2d fuses into its kernel ('relu'), if this is it. */
export function fusedRelu(a: ActivationName): 'relu' | undefined {
  return a === 'relu' ? 'relu' : undefined;
}

export class Conv2D extends KernelLayer {
  readonly className: string = 'Conv2D';
  readonly baseName: string = 'conv2d';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(opts: Conv2DOptions) {
    const L = 'conv2d';
    super(opts, L, ['filters', 'kernelSize', 'strides', 'padding', 'dilation', 'dilationRate', 'groups']);
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.filters = optInt(L, o, 'filters', undefined);
    this.kernelSize = optPair(L, o, 'kernelSize', undefined);
    this.strides = optPair(L, o, 'strides', 1);
    this.padding = optPadding(L, o);
    this.dilation = optPair(L, o, o.dilation !== undefined ? 'dilation' : 'dilationRate', 1);
    this.groups = optInt(L, o, 'groups', 1);
    if (this.filters % this.groups !== 0) {
      throw new ValueError(`${L}: option 'filters' (${this.filters}) must be divisible by 'groups' (${this.groups})`);
    }
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    const c = shape[2];
    if (c % this.groups !== 0) {
      throw new ShapeError(`${this.label}: input channels (${c}) must be divisible by groups (${this.groups}), input shape ${fmtBatchShape(shape)}`);
    }
    if (this.inputShape) this.checkInputChannels(shape, c, this.inputShape[2]);
    const [oh, ow] = spatialOut(this.label, shape, this.kernelSize, this.strides, this.dilation, this.padding);
    return [oh, ow, this.filters];
  }

  protected override compatible(): boolean { return true; } // computeOutputShape checks channels

  protected override createWeights(shape: readonly number[]): void {
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight('kernel', [kh, kw, shape[2] / this.groups, this.filters], this.kernelInit);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
  }

  protected call(x: Tensor): Tensor {
    const fused = fusedRelu(this.activation);
    const y = ops.conv2d(x, this.kernel!, this.bias ?? undefined, {
      strides: this.strides, padding: this.padding, dilation: this.dilation, groups: this.groups, activation: fused,
    });
    return fused ? y : applyActivation(this.activation, y);
  }

  protected config(): Record<string, unknown> {
    return {
      filters: this.filters, kernelSize: this.kernelSize.slice(), strides: this.strides.slice(),
      padding: paddingJSON(this.padding), dilation: this.dilation.slice(), groups: this.groups,
      ...this.kernelConfig(),
    };
  }
}

export interface DepthwiseConv2DOptions extends KernelLayerOptions {
  kernelSize: number | [number, number];
  depthMultiplier?: number;
  strides?: number | [number, number];
  padding?: Conv2DOptions['padding'];
  dilation?: number | [number, number];
  dilationRate?: number | [number, number];
  depthwiseInitializer?: InitializerSpec;
}

export class DepthwiseConv2D extends KernelLayer {
  readonly className: string = 'DepthwiseConv2D';
  readonly baseName: string = 'depthwise_conv2d';
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];

  constructor(opts: DepthwiseConv2DOptions) {
    const L = 'depthwiseConv2d';
    super(opts, L, ['kernelSize', 'depthMultiplier', 'strides', 'padding', 'dilation', 'dilationRate'], 'depthwiseInitializer');
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.kernelSize = optPair(L, o, 'kernelSize', undefined);
    this.depthMultiplier = optInt(L, o, 'depthMultiplier', 1);
    this.strides = optPair(L, o, 'strides', 1);
    this.padding = optPadding(L, o);
    this.dilation = optPair(L, o, o.dilation !== undefined ? 'dilation' : 'dilationRate', 1);
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    if (this.inputShape) this.checkInputChannels(shape, shape[2], this.inputShape[2]);
    const [oh, ow] = spatialOut(this.label, shape, this.kernelSize, this.strides, this.dilation, this.padding);
    return [oh, ow, shape[2] * this.depthMultiplier];
  }

  protected override compatible(): boolean { return true; }

  protected override createWeights(shape: readonly number[]): void {
    const [kh, kw] = this.kernelSize;
    const c = shape[2];
    this.kernel = this.addWeight('depthwise_kernel', [kh, kw, c, this.depthMultiplier], this.kernelInit);
    if (this.useBias) this.bias = this.addWeight('bias', [c * this.depthMultiplier], this.biasInit);
  }

  protected call(x: Tensor): Tensor {
    const [kh, kw] = this.kernelSize;
    const c = x.shape[3];
    const w = ops.reshape(this.kernel!, [kh, kw, 1, c * this.depthMultiplier]);
    const fused = fusedRelu(this.activation);
    const y = ops.conv2d(x, w, this.bias ?? undefined, {
      strides: this.strides, padding: this.padding, dilation: this.dilation, groups: c, activation: fused,
    });
    return fused ? y : applyActivation(this.activation, y);
  }

  protected config(): Record<string, unknown> {
    return {
      kernelSize: this.kernelSize.slice(), depthMultiplier: this.depthMultiplier, strides: this.strides.slice(),
      padding: paddingJSON(this.padding), dilation: this.dilation.slice(), ...this.kernelConfig(),
    };
  }
}

export interface Conv2DTransposeOptions extends KernelLayerOptions {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
  kernelInitializer?: InitializerSpec;
}

export class Conv2DTranspose extends KernelLayer {
  readonly className: string = 'Conv2DTranspose';
  readonly baseName: string = 'conv2d_transpose';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';

  constructor(opts: Conv2DTransposeOptions) {
    const L = 'conv2dTranspose';
    super(opts, L, ['filters', 'kernelSize', 'strides', 'padding']);
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.filters = optInt(L, o, 'filters', undefined);
    this.kernelSize = optPair(L, o, 'kernelSize', undefined);
    this.strides = optPair(L, o, 'strides', 1);
    const p = o.padding ?? 'valid';
    if (p !== 'valid' && p !== 'same') throw new ValueError(`${L}: option 'padding' must be 'valid' or 'same', got ${fmtValue(p)}`);
    this.padding = p;
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    if (this.inputShape) this.checkInputChannels(shape, shape[2], this.inputShape[2]);
    const out = (n: number, k: number, s: number) => transposedWindowSize(n, k, s, this.padding);
    return [out(shape[0], this.kernelSize[0], this.strides[0]), out(shape[1], this.kernelSize[1], this.strides[1]), this.filters];
  }

  protected override compatible(): boolean { return true; }

  protected override createWeights(shape: readonly number[]): void {
    const [kh, kw] = this.kernelSize;
    this.kernel = this.addWeight('kernel', [kh, kw, this.filters, shape[2]], this.kernelInit);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
  }

  protected call(x: Tensor): Tensor {
    const y = ops.conv2dTranspose(x, this.kernel!, this.bias ?? undefined, { strides: this.strides, padding: this.padding });
    return applyActivation(this.activation, y);
  }

  protected config(): Record<string, unknown> {
    return {
      filters: this.filters, kernelSize: this.kernelSize.slice(), strides: this.strides.slice(), padding: this.padding,
      ...this.kernelConfig(),
    };
  }
}
