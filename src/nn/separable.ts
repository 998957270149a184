// SeparableConv2D (Keras): a depthwise convolution (one kernel [kh, kw] per input channel and
// multiplier, no bias) followed by a pointwise 1x1 convolution to `filters`, then bias and
// activation. Weights 'depthwiseKernel' [kh, kw, C, mult] (the same bytes as HWIO
// [kh, kw, 1, C*mult] with groups = C), 'pointwiseKernel' [1, 1, C*mult, filters], 'bias'.
import type { Tensor } from '../tensor.js';
import { ops } from './ops.js';
import { applyActivation } from './activations.js';
import type { Initializer, InitializerSpec } from './initializers.js';
import { type Padding, optInt, optPair, optPadding, optInitializer } from './layer.js';
import { KernelLayer } from './kernel-layer.js';
import { fusedRelu, paddingJSON, spatialOut, type Conv2DOptions } from './conv.js';

export interface SeparableConv2DOptions extends Omit<Conv2DOptions, 'groups' | 'kernelInitializer'> {
  depthMultiplier?: number;
  depthwiseInitializer?: InitializerSpec;
  pointwiseInitializer?: InitializerSpec;
}

export class SeparableConv2D extends KernelLayer {
  readonly className: string = 'SeparableConv2D';
  readonly baseName: string = 'separable_conv2d';
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly depthMultiplier: number;
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilation: [number, number];
  private readonly pointwiseInit: Initializer;
  /** [1, 1, C*depthMultiplier, filters]; the depthwise kernel is `kernel` (also `depthwiseKernel`). */
  pointwiseKernel: Tensor | null = null;

  constructor(opts: SeparableConv2DOptions) {
    const L = 'separableConv2d';
    super(opts, L, ['filters', 'kernelSize', 'depthMultiplier', 'strides', 'padding', 'dilation', 'dilationRate', 'pointwiseInitializer'],
      'depthwiseInitializer');
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.filters = optInt(L, o, 'filters', undefined);
    this.kernelSize = optPair(L, o, 'kernelSize', undefined);
    this.depthMultiplier = optInt(L, o, 'depthMultiplier', 1);
    this.strides = optPair(L, o, 'strides', 1);
    this.padding = optPadding(L, o);
    this.dilation = optPair(L, o, o.dilation !== undefined ? 'dilation' : 'dilationRate', 1);
    this.pointwiseInit = optInitializer(L, o, 'pointwiseInitializer', 'glorotUniform');
  }

  protected override regularizedKernels(): Tensor[] {
    return [this.kernel, this.pointwiseKernel].filter((k): k is Tensor => k !== null);
  }

  /** [kh, kw, C, depthMultiplier]. */
  get depthwiseKernel(): Tensor | null { return this.kernel; }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    if (this.inputShape) this.checkInputChannels(shape, shape[2], this.inputShape[2]);
    const [oh, ow] = spatialOut(this.label, shape, this.kernelSize, this.strides, this.dilation, this.padding);
    return [oh, ow, this.filters];
  }

  protected override compatible(): boolean { return true; }

  protected override createWeights(shape: readonly number[]): void {
    const [kh, kw] = this.kernelSize;
    const c = shape[2], mid = c * this.depthMultiplier;
    this.kernel = this.addWeight('depthwiseKernel', [kh, kw, c, this.depthMultiplier], this.kernelInit);
    this.pointwiseKernel = this.addWeight('pointwiseKernel', [1, 1, mid, this.filters], this.pointwiseInit);
    if (this.useBias) this.bias = this.addWeight('bias', [this.filters], this.biasInit);
  }

  protected call(x: Tensor): Tensor {
    const [kh, kw] = this.kernelSize;
    const c = x.shape[3];
    const depthwise = ops.reshape(this.kernel!, [kh, kw, 1, c * this.depthMultiplier]);
    const mid = ops.conv2d(x, depthwise, null, { strides: this.strides, padding: this.padding, dilation: this.dilation, groups: c });
    const fused = fusedRelu(this.activation);
    const y = ops.conv2d(mid, this.pointwiseKernel!, this.bias ?? undefined, { activation: fused });
    return fused ? y : applyActivation(this.activation, y);
  }

  protected config(): Record<string, unknown> {
    return {
      filters: this.filters, kernelSize: this.kernelSize.slice(), depthMultiplier: this.depthMultiplier,
      strides: this.strides.slice(), padding: paddingJSON(this.padding), dilation: this.dilation.slice(),
      pointwiseInitializer: this.pointwiseInit.toJSON(), ...this.kernelConfig(),
    };
  }
}
