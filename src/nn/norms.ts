// LayerNormalization and GroupNormalization (Keras): each sample normalised with its own
// statistics (the same in training and inference), then scaled by 'gamma' (ones) and shifted by
// 'beta' (zeros). The ops are ops.layerNorm / ops.groupNorm.
import type { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtValue } from '../errors.js';
import { getInitializer } from './initializers.js';
import { layerNormStart } from '../ops/norms.js';
import { ops } from './ops.js';
import { Layer, type LayerOptions, fmtBatchShape, checkKeys, optInt, optNumber } from './layer.js';

export interface LayerNormalizationOptions extends LayerOptions {
  /** The normalised axes: -1 (the last, default) or an array of the trailing axes, e.g. [-3, -2, -1]. */
  axis?: number | number[];
  /** Added to the variance; default 1e-3 (Keras). */
  epsilon?: number;
}

export interface GroupNormalizationOptions extends LayerOptions {
  /** Number of groups the channels (last axis) are split into; must divide them. */
  groups: number;
  /** Added to the variance; default 1e-3 (Keras). */
  epsilon?: number;
}

/** The parameters both layers share: 'gamma' (ones) and 'beta' (zeros) of one shape. */
abstract class AffineNorm extends Layer {
  gamma: Tensor | null = null;
  beta: Tensor | null = null;

  /** The shape of gamma and beta for one sample's shape. */
  protected abstract paramShape(shape: readonly number[]): number[];

  protected override compatible(shape: readonly number[]): boolean {
    return this.paramShape(shape).join() === this.gamma!.shape.join();
  }

  protected override createWeights(shape: readonly number[]): void {
    const dims = this.paramShape(shape);
    this.gamma = this.addWeight('gamma', dims, getInitializer('ones', this.label));
    this.beta = this.addWeight('beta', dims, getInitializer('zeros', this.label));
  }
}

export class LayerNormalization extends AffineNorm {
  readonly className: string = 'LayerNormalization';
  readonly baseName: string = 'layer_normalization';
  readonly axis: number | number[];
  readonly epsilon: number;

  constructor(opts?: LayerNormalizationOptions) {
    const L = 'layerNormalization';
    super(opts, L);
    checkKeys(L, opts, ['axis', 'epsilon']);
    const o = (opts ?? {}) as Record<string, unknown>;
    const axis = o.axis ?? -1;
    const isInt = (a: unknown) => typeof a === 'number' && Number.isInteger(a);
    if (!isInt(axis) && !(Array.isArray(axis) && axis.length > 0 && axis.every(isInt))) {
      throw new ValueError(`${L}: option 'axis' must be an integer or a non-empty array of integers (the trailing axes), got ${fmtValue(axis)}`);
    }
    this.axis = Array.isArray(axis) ? axis.slice() : axis as number;
    this.epsilon = optNumber(L, o, 'epsilon', 1e-3, 0, Infinity, true);
  }

  protected paramShape(shape: readonly number[]): number[] {
    const start = layerNormStart(this.axis, shape.length + 1, this.label);
    if (start === 0) throw new ValueError(`${this.label}: axis ${fmtValue(this.axis)} includes the batch axis (input ${fmtBatchShape(shape)})`);
    return shape.slice(start - 1);
  }

  computeOutputShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw new ShapeError(`${this.label}: expects input of rank >= 2 (batch, ..., features), got ${fmtBatchShape(shape)}`);
    const dims = this.paramShape(shape);
    if (this.gamma && dims.join() !== this.gamma.shape.join()) {
      throw new ShapeError(`${this.label}: the normalised axes of input ${fmtBatchShape(shape)} are [${dims}] but the layer was built for [${this.gamma.shape}]`);
    }
    return shape.slice();
  }

  protected call(x: Tensor): Tensor {
    return ops.layerNorm(x, this.gamma, this.beta, { axis: this.axis, epsilon: this.epsilon });
  }

  protected config(): Record<string, unknown> {
    return { axis: Array.isArray(this.axis) ? this.axis.slice() : this.axis, epsilon: this.epsilon };
  }
}

export class GroupNormalization extends AffineNorm {
  readonly className: string = 'GroupNormalization';
  readonly baseName: string = 'group_normalization';
  readonly groups: number;
  readonly epsilon: number;

  constructor(opts: GroupNormalizationOptions) {
    const L = 'groupNormalization';
    super(opts, L);
    checkKeys(L, opts, ['groups', 'epsilon']);
    const o = (opts ?? {}) as unknown as Record<string, unknown>;
    this.groups = optInt(L, o, 'groups', undefined);
    this.epsilon = optNumber(L, o, 'epsilon', 1e-3, 0, Infinity, true);
  }

  protected paramShape(shape: readonly number[]): number[] { return [shape[shape.length - 1]]; }

  computeOutputShape(shape: readonly number[]): number[] {
    if (shape.length < 1) throw new ShapeError(`${this.label}: expects input of rank >= 2 (batch, ..., channels), got ${fmtBatchShape(shape)}`);
    const c = shape[shape.length - 1];
    if (c % this.groups !== 0) {
      throw new ShapeError(`${this.label}: input has ${c} channels, which are not divisible into ${this.groups} groups (input ${fmtBatchShape(shape)})`);
    }
    if (this.gamma && c !== this.gamma.size) {
      throw new ShapeError(`${this.label}: input has ${c} channels but the layer was built for ${this.gamma.size} (input ${fmtBatchShape(shape)})`);
    }
    return shape.slice();
  }

  protected call(x: Tensor): Tensor {
    return ops.groupNorm(x, this.groups, this.gamma, this.beta, { epsilon: this.epsilon });
  }

  protected config(): Record<string, unknown> {
    return { groups: this.groups, epsilon: this.epsilon };
  }
}
