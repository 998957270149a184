// The base of the layers with a kernel, an optional bias and an activation after them (Dense and
// the convolutions): the options they share, parsed and serialised once, and the regularisers'
// penalty on their weights.
import type { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { ops } from './ops.js';
import { getRegularizer, type Regularizer, type RegularizerSpec } from './regularizers.js';
import { activationName, type ActivationName, type ActivationSpec } from './activations.js';
import type { Initializer, InitializerSpec } from './initializers.js';
import { Layer, type LayerOptions, fmtBatchShape, checkKeys, optBool, optInitializer } from './layer.js';

/** Options every kernel layer accepts besides its own. */
export interface KernelLayerOptions extends LayerOptions {
  activation?: ActivationSpec | null;
  useBias?: boolean;
  biasInitializer?: InitializerSpec;
  /** A penalty on the kernel (every kernel: depthwise and pointwise of a separable conv) added to the loss in training. */
  kernelRegularizer?: RegularizerSpec;
  /** A penalty on the bias added to the loss in training. */
  biasRegularizer?: RegularizerSpec;
}

export abstract class KernelLayer extends Layer {
  readonly activation: ActivationName;
  readonly useBias: boolean;
  protected readonly kernelInit: Initializer;
  protected readonly biasInit: Initializer;
  readonly kernelRegularizer: Regularizer | null;
  readonly biasRegularizer: Regularizer | null;
  /** Option name of the kernel's initialiser ('kernelInitializer'; 'depthwiseInitializer' in DepthwiseConv2D). */
  private readonly kernelInitKey: string;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  /** `ownKeys`: the options the layer itself adds, in the order its error messages list them. */
  constructor(opts: KernelLayerOptions, layerType: string, ownKeys: readonly string[], kernelInitKey = 'kernelInitializer') {
    super(opts, layerType);
    checkKeys(layerType, opts, [...ownKeys, 'activation', 'useBias', kernelInitKey, 'biasInitializer', 'kernelRegularizer', 'biasRegularizer']);
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.activation = activationName(o.activation, `${layerType}: option 'activation'`);
    this.useBias = optBool(layerType, o, 'useBias', true);
    this.kernelInit = optInitializer(layerType, o, kernelInitKey, 'glorotUniform');
    this.biasInit = optInitializer(layerType, o, 'biasInitializer', 'zeros');
    this.kernelInitKey = kernelInitKey;
    this.kernelRegularizer = getRegularizer(o.kernelRegularizer, `${layerType}: option 'kernelRegularizer'`);
    this.biasRegularizer = getRegularizer(o.biasRegularizer, `${layerType}: option 'biasRegularizer'`);
  }

  /** The kernels kernelRegularizer applies to (SeparableConv2D adds its pointwise kernel). */
  protected regularizedKernels(): Tensor[] { return this.kernel ? [this.kernel] : []; }

  /** The regularisers' penalty on this layer's weights (null without regularisers, unbuilt or frozen, as Keras counts trainable weights only). */
  override regularizationLoss(): Tensor | null {
    if (!this.trainable) return null;
    const terms: Tensor[] = [];
    if (this.kernelRegularizer) for (const k of this.regularizedKernels()) terms.push(this.kernelRegularizer.penalty(k));
    if (this.biasRegularizer && this.bias) terms.push(this.biasRegularizer.penalty(this.bias));
    return terms.length === 0 ? null : terms.reduce((a, b) => ops.add(a, b));
  }

  /** A built layer takes only inputs with as many channels (features) as its kernel was made for. */
  protected checkInputChannels(shape: readonly number[], channels: number, expected: number, what = 'channels'): void {
    if (channels !== expected) {
      throw new ShapeError(`${this.label}: input has ${channels} ${what} but the kernel expects ${expected} (input ${fmtBatchShape(shape)}, kernel [${this.kernel!.shape.join(',')}])`);
    }
  }

  /** The shared options of config(), after the layer's own. */
  protected kernelConfig(): Record<string, unknown> {
    return {
      activation: this.activation, useBias: this.useBias,
      [this.kernelInitKey]: this.kernelInit.toJSON(), biasInitializer: this.biasInit.toJSON(),
      ...(this.kernelRegularizer ? { kernelRegularizer: this.kernelRegularizer.toJSON() } : {}),
      ...(this.biasRegularizer ? { biasRegularizer: this.biasRegularizer.toJSON() } : {}),
    };
  }
}
