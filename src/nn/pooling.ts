// Pooling and padding layers (no parameters): MaxPooling2D, AveragePooling2D, the global pools
// and ZeroPadding2D. Windows follow TensorFlow's output-size rules.
import type { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtValue } from '../errors.js';
import { ops } from './ops.js';
import { Layer, type LayerOptions, fmtBatchShape, checkKeys, optBool, optBorders, optPair, windowOut } from './layer.js';

export interface Pool2DOptions extends LayerOptions {
  /** Window size; default 2 (as Keras). */
  poolSize?: number | [number, number];
  /** Default: poolSize. */
  strides?: number | [number, number];
  padding?: 'valid' | 'same';
}

abstract class Pool2D extends Layer {
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: 'valid' | 'same';

  constructor(opts: Pool2DOptions | undefined, L: string) {
    super(opts, L);
    checkKeys(L, opts, ['poolSize', 'strides', 'padding']);
    const o = (opts ?? {}) as Record<string, unknown>;
    this.poolSize = optPair(L, o, 'poolSize', 2);
    this.strides = o.strides === undefined || o.strides === null ? this.poolSize : optPair(L, o, 'strides', undefined);
    const p = o.padding ?? 'valid';
    if (p !== 'valid' && p !== 'same') throw new ValueError(`${L}: option 'padding' must be 'valid' or 'same', got ${fmtValue(p)}`);
    this.padding = p;
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    const oh = windowOut(shape[0], this.poolSize[0], this.strides[0], 1, this.padding, 0);
    const ow = windowOut(shape[1], this.poolSize[1], this.strides[1], 1, this.padding, 1);
    if (oh < 1 || ow < 1) {
      throw new ShapeError(`${this.label}: input ${shape[0]}x${shape[1]} is smaller than the ${this.poolSize[0]}x${this.poolSize[1]} pool window (padding '${this.padding}'), input shape ${fmtBatchShape(shape)}`);
    }
    return [oh, ow, shape[2]];
  }

  protected opts(): Record<string, unknown> {
    return { poolSize: this.poolSize, strides: this.strides, padding: this.padding };
  }

  protected config(): Record<string, unknown> {
    return { poolSize: this.poolSize.slice(), strides: this.strides.slice(), padding: this.padding };
  }
}

export class MaxPooling2D extends Pool2D {
  readonly className: string = 'MaxPooling2D';
  readonly baseName: string = 'max_pooling2d';
  constructor(opts?: Pool2DOptions) { super(opts, 'maxPool2d'); }
  protected call(x: Tensor): Tensor { return ops.maxPool2d(x, this.opts()); }
}

export class AveragePooling2D extends Pool2D {
  readonly className: string = 'AveragePooling2D';
  readonly baseName: string = 'average_pooling2d';
  constructor(opts?: Pool2DOptions) { super(opts, 'avgPool2d'); }
  protected call(x: Tensor): Tensor { return ops.avgPool2d(x, this.opts()); }
}

export interface GlobalPool2DOptions extends LayerOptions {
  /** Keep the pooled axes: output [batch, 1, 1, channels] instead of [batch, channels]. Default false. */
  keepDims?: boolean;
}

abstract class GlobalPool2D extends Layer {
  readonly keepDims: boolean;
  constructor(opts: GlobalPool2DOptions | undefined, L: string) {
    super(opts, L);
    checkKeys(L, opts, ['keepDims']);
    this.keepDims = optBool(L, (opts ?? {}) as Record<string, unknown>, 'keepDims', false);
  }
  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    return this.keepDims ? [1, 1, shape[2]] : [shape[2]];
  }
  /** [N, C] from the pooling op, viewed as [N, 1, 1, C] with keepDims. */
  protected shaped(pooled: Tensor): Tensor {
    return this.keepDims ? ops.reshape(pooled, [pooled.shape[0], 1, 1, pooled.shape[1]]) : pooled;
  }
  protected config(): Record<string, unknown> { return this.keepDims ? { keepDims: true } : {}; }
}

export class GlobalAveragePooling2D extends GlobalPool2D {
  readonly className: string = 'GlobalAveragePooling2D';
  readonly baseName: string = 'global_average_pooling2d';
  constructor(opts?: GlobalPool2DOptions) { super(opts, 'globalAvgPool2d'); }
  protected call(x: Tensor): Tensor { return this.shaped(ops.globalAvgPool2d(x)); }
}

export class GlobalMaxPooling2D extends GlobalPool2D {
  readonly className: string = 'GlobalMaxPooling2D';
  readonly baseName: string = 'global_max_pooling2d';
  constructor(opts?: GlobalPool2DOptions) { super(opts, 'globalMaxPool2d'); }
  protected call(x: Tensor): Tensor { return this.shaped(ops.globalMaxPool2d(x)); }
}

export interface ZeroPadding2DOptions extends LayerOptions {
  /** n, [padH, padW] or [[top, bottom], [left, right]]; default 1. */
  padding?: number | [number, number] | [[number, number], [number, number]];
}

export class ZeroPadding2D extends Layer {
  readonly className: string = 'ZeroPadding2D';
  readonly baseName: string = 'zero_padding2d';
  readonly padding: [[number, number], [number, number]];

  constructor(opts?: ZeroPadding2DOptions) {
    const L = 'zeroPadding2d';
    super(opts, L);
    checkKeys(L, opts, ['padding']);
    this.padding = optBorders(L, 'padding', opts?.padding ?? 1, 'pad');
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    const [[t, b], [l, r]] = this.padding;
    return [shape[0] + t + b, shape[1] + l + r, shape[2]];
  }

  protected call(x: Tensor): Tensor {
    const [[t, b], [l, r]] = this.padding;
    return ops.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
  }

  protected config(): Record<string, unknown> { return { padding: this.padding.map((p) => p.slice()) }; }
}
