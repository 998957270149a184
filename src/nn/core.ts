// Core layers: Dense (on the last axis), Flatten, Dropout (active only in training),
// Activation and PReLU (alpha per element, Keras' default, with optional sharedAxes).
import type { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtValue } from '../errors.js';
import { ops } from './ops.js';
import { activationName, applyActivation, type ActivationName, type ActivationSpec } from './activations.js';
import type { Initializer, InitializerSpec } from './initializers.js';
import { Layer, type LayerOptions, fmtBatchShape, checkKeys, optInt, optNumber, optInitializer } from './layer.js';
import { KernelLayer, type KernelLayerOptions } from './kernel-layer.js';

export interface DenseOptions extends KernelLayerOptions {
  units: number;
  kernelInitializer?: InitializerSpec;
}

/** Kernel [inFeatures, units]. */
export class Dense extends KernelLayer {
  readonly className: string = 'Dense';
  readonly baseName: string = 'dense';
  readonly units: number;

  constructor(opts: DenseOptions) {
    const L = 'dense';
    super(opts, L, ['units']);
    this.units = optInt(L, (opts ?? {}) as unknown as Record<string, unknown>, 'units', undefined);
  }

  computeOutputShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw new ShapeError(`${this.label}: expects input of rank >= 2 (batch, features), got ${fmtBatchShape(shape)}`);
    const f = shape[shape.length - 1];
    if (this.kernel) this.checkInputChannels(shape, f, this.kernel.shape[0], 'features');
    return [...shape.slice(0, -1), this.units];
  }

  protected override compatible(): boolean { return true; }

  protected override createWeights(shape: readonly number[]): void {
    this.kernel = this.addWeight('kernel', [shape[shape.length - 1], this.units], this.kernelInit);
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], this.biasInit);
  }

  protected call(x: Tensor): Tensor {
    const f = x.shape[x.rank - 1];
    const x2 = x.rank === 2 ? x : ops.reshape(x, [x.size / f, f]);
    let y = ops.matmul(x2, this.kernel!);
    if (this.bias) y = ops.add(y, this.bias);
    if (x.rank !== 2) y = ops.reshape(y, [...x.shape.slice(0, -1), this.units]);
    return applyActivation(this.activation, y);
  }

  protected config(): Record<string, unknown> {
    return {
      units: this.units, ...this.kernelConfig(),
    };
  }
}

export class Flatten extends Layer {
  readonly className: string = 'Flatten';
  readonly baseName: string = 'flatten';
  constructor(opts?: LayerOptions) {
    super(opts, 'flatten');
    checkKeys('flatten', opts, []);
  }
  computeOutputShape(shape: readonly number[]): number[] {
    let n = 1;
    for (const d of shape) n *= d;
    return [n];
  }
  protected call(x: Tensor): Tensor { return x.rank === 2 ? x : ops.flatten(x); }
  protected config(): Record<string, unknown> { return {}; }
}

export interface DropoutOptions extends LayerOptions {
  /** Fraction of the inputs set to zero in training, in [0, 1). */
  rate: number;
}

export class Dropout extends Layer {
  readonly className: string = 'Dropout';
  readonly baseName: string = 'dropout';
  readonly rate: number;
  constructor(opts: DropoutOptions) {
    const L = 'dropout';
    super(opts, L);
    checkKeys(L, opts, ['rate']);
    if (opts?.rate === undefined) throw new ValueError(`${L}: option 'rate' is required`);
    this.rate = optNumber(L, opts as unknown as Record<string, unknown>, 'rate', 0, 0, 1, false, true);
  }
  computeOutputShape(shape: readonly number[]): number[] { return shape.slice(); }
  protected call(x: Tensor, training: boolean): Tensor {
    return training && this.rate > 0 ? ops.dropout(x, this.rate, true) : x;
  }
  protected config(): Record<string, unknown> { return { rate: this.rate }; }
}

export interface ActivationOptions extends LayerOptions {
  activation: ActivationSpec;
}

export class Activation extends Layer {
  readonly className: string = 'Activation';
  readonly baseName: string = 'activation';
  readonly activation: ActivationName;
  constructor(opts: ActivationOptions | ActivationSpec) {
    const L = 'activation';
    const o = typeof opts === 'string' ? { activation: opts } : opts;
    super(o, L);
    checkKeys(L, o, ['activation']);
    if (o?.activation === undefined) throw new ValueError(`${L}: an activation name is required, e.g. nn.activation('relu')`);
    this.activation = activationName(o.activation, `${L}: 'activation'`);
  }
  computeOutputShape(shape: readonly number[]): number[] { return shape.slice(); }
  protected call(x: Tensor): Tensor { return applyActivation(this.activation, x); }
  protected config(): Record<string, unknown> { return { activation: this.activation }; }
}

export interface PReLUOptions extends LayerOptions {
  alphaInitializer?: InitializerSpec;
  /** 1-based sample axes (Keras' shared_axes) along which alpha is shared, e.g. [1, 2] for H, W. */
  sharedAxes?: number[];
}

export class PReLU extends Layer {
  readonly className: string = 'PReLU';
  readonly baseName: string = 'p_re_lu';
  readonly sharedAxes: number[];
  protected readonly alphaInit: Initializer;
  alpha: Tensor | null = null;

  constructor(opts?: PReLUOptions) {
    const L = 'prelu';
    super(opts, L);
    checkKeys(L, opts, ['alphaInitializer', 'sharedAxes']);
    const o = (opts ?? {}) as Record<string, unknown>;
    this.alphaInit = optInitializer(L, o, 'alphaInitializer', 'zeros');
    const s = o.sharedAxes ?? [];
    if (!Array.isArray(s) || !s.every((a) => Number.isInteger(a) && a >= 1)) {
      throw new ValueError(`${L}: option 'sharedAxes' must be an array of sample axes >= 1 (1-based, the batch axis is 0), got ${fmtValue(s)}`);
    }
    this.sharedAxes = s.slice();
  }

  computeOutputShape(shape: readonly number[]): number[] {
    for (const a of this.sharedAxes) {
      if (a > shape.length) throw new ShapeError(`${this.label}: shared axis ${a} does not exist for input ${fmtBatchShape(shape)}`);
    }
    if (this.inputShape && (shape.length !== this.inputShape.length || shape.some((d, i) => d !== this.inputShape![i] && !this.sharedAxes.includes(i + 1)))) {
      throw new ShapeError(`${this.label}: expected input of shape ${fmtBatchShape(this.inputShape)}, got ${fmtBatchShape(shape)}`);
    }
    return shape.slice();
  }

  protected override compatible(): boolean { return true; }

  protected override createWeights(shape: readonly number[]): void {
    this.alpha = this.addWeight('alpha', shape.map((d, i) => (this.sharedAxes.includes(i + 1) ? 1 : d)), this.alphaInit);
  }

  // prelu(x) = relu(x) - alpha * relu(-x); alpha broadcasts over the batch (and shared axes).
  protected call(x: Tensor): Tensor {
    return ops.sub(ops.relu(x), ops.mul(this.alpha!, ops.relu(ops.neg(x))));
  }

  protected config(): Record<string, unknown> {
    return { alphaInitializer: this.alphaInit.toJSON(), sharedAxes: this.sharedAxes.slice() };
  }
}
