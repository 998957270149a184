// The base of the layers with a kernel, an optional bias and an activation after them (Dense and
// the convolutions): the options they share, parsed and serialised once.
import type { Tensor } from '../tensor.js';
import { ShapeError } from '../errors.js';
import { activationName, type ActivationName, type ActivationSpec } from './activations.js';
import type { Initializer, InitializerSpec } from './initializers.js';
import { Layer, type LayerOptions, fmtBatchShape, checkKeys, optBool, optInitializer } from './layer.js';

/** Options every kernel layer accepts besides its own. */
export interface KernelLayerOptions extends LayerOptions {
  activation?: ActivationSpec | null;
  useBias?: boolean;
  biasInitializer?: InitializerSpec;
}

export abstract class KernelLayer extends Layer {
  readonly activation: ActivationName;
  readonly useBias: boolean;
  protected readonly kernelInit: Initializer;
  protected readonly biasInit: Initializer;
  /** Option name of the kernel's initialiser ('kernelInitializer'; 'depthwiseInitializer' in DepthwiseConv2D). */
  private readonly kernelInitKey: string;
  kernel: Tensor | null = null;
  bias: Tensor | null = null;

  /** `ownKeys`: the options the layer itself adds, in the order its error messages list them. */
  constructor(opts: KernelLayerOptions, layerType: string, ownKeys: readonly string[], kernelInitKey = 'kernelInitializer') {
    super(opts, layerType);
    checkKeys(layerType, opts, [...ownKeys, 'activation', 'useBias', kernelInitKey, 'biasInitializer']);
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.activation = activationName(o.activation, `${layerType}: option 'activation'`);
    this.useBias = optBool(layerType, o, 'useBias', true);
    this.kernelInit = optInitializer(layerType, o, kernelInitKey, 'glorotUniform');
    this.biasInit = optInitializer(layerType, o, 'biasInitializer', 'zeros');
    this.kernelInitKey = kernelInitKey;
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
    };
  }
}
