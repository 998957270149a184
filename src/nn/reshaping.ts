// Reshaping layers (no parameters): Cropping2D (rows and columns off the image borders, through
// ops.slice so the gradient flows back into the kept pixels), Reshape (Keras' target shape
// without the batch axis, one axis may be -1) and Permute (Keras' axis order without the batch axis,
// 1-based, through ops.transpose, whose gradient is the inverse transpose).
import type { Tensor } from '../tensor.js';
import { ShapeError, ValueError, fmtValue } from '../errors.js';
import { ops } from './ops.js';
import { Layer, type LayerOptions, fmtBatchShape, checkKeys, optBorders } from './layer.js';

export interface Cropping2DOptions extends LayerOptions {
  /** n, [cropH, cropW] (both sides) or [[top, bottom], [left, right]]; default 0. */
  cropping?: number | [number, number] | [[number, number], [number, number]];
}

export class Cropping2D extends Layer {
  readonly className: string = 'Cropping2D';
  readonly baseName: string = 'cropping2d';
  /** [[top, bottom], [left, right]]. */
  readonly cropping: [[number, number], [number, number]];

  constructor(opts?: Cropping2DOptions) {
    const L = 'cropping2d';
    super(opts, L);
    checkKeys(L, opts, ['cropping']);
    this.cropping = optBorders(L, 'cropping', opts?.cropping ?? 0, 'crop');
  }

  computeOutputShape(shape: readonly number[]): number[] {
    this.checkRank(shape, 3, 'images');
    const [[t, b], [l, r]] = this.cropping;
    const h = shape[0] - t - b, w = shape[1] - l - r;
    if (h < 1 || w < 1) {
      throw new ShapeError(`${this.label}: cropping ${fmtValue(this.cropping)} leaves no pixels of input ${fmtBatchShape(shape)}`);
    }
    return [h, w, shape[2]];
  }

  protected call(x: Tensor): Tensor {
    const [[t], [l]] = this.cropping;
    const [h, w] = this.computeOutputShape(x.shape.slice(1));
    return ops.slice(x, [0, t, l, 0], [-1, h, w, -1]);
  }

  protected config(): Record<string, unknown> { return { cropping: this.cropping.map((p) => p.slice()) }; }
}

export interface ReshapeOptions extends LayerOptions {
  /** Shape of one output sample (no batch axis); one entry may be -1 (inferred). */
  targetShape: number[];
}

export class Reshape extends Layer {
  readonly className: string = 'Reshape';
  readonly baseName: string = 'reshape';
  readonly targetShape: number[];

  constructor(opts: ReshapeOptions) {
    const L = 'reshape';
    super(opts, L);
    checkKeys(L, opts, ['targetShape']);
    const s: unknown = opts?.targetShape;
    if (s === undefined) throw new ValueError(`${L}: option 'targetShape' is required`);
    if (!Array.isArray(s) || s.length === 0 || !s.every((d) => Number.isInteger(d) && (d >= 1 || d === -1)) ||
        s.filter((d) => d === -1).length > 1) {
      throw new ValueError(`${L}: option 'targetShape' must be a non-empty array of positive integers (no batch axis) with at most one -1, got ${fmtValue(s)}`);
    }
    this.targetShape = s.slice();
  }

  computeOutputShape(shape: readonly number[]): number[] {
    const size = shape.reduce((a, d) => a * d, 1);
    const known = this.targetShape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const out = this.targetShape.map((d) => (d === -1 ? size / known : d));
    if (!out.every((d) => Number.isInteger(d)) || out.reduce((a, d) => a * d, 1) !== size) {
      throw new ShapeError(`${this.label}: cannot reshape input ${fmtBatchShape(shape)} (${size} values per sample) to target shape ${fmtValue(this.targetShape)}`);
    }
    return out;
  }

  protected call(x: Tensor): Tensor {
    return ops.reshape(x, [x.shape[0], ...this.computeOutputShape(x.shape.slice(1))]);
  }

  protected config(): Record<string, unknown> { return { targetShape: this.targetShape.slice() }; }
}

export interface PermuteOptions extends LayerOptions {
  /** The input axis each output axis takes, batch axis excluded, counted from 1 (Keras): [2, 3, 1] turns [C, H, W] into [H, W, C]. */
  dims: number[];
}

export class Permute extends Layer {
  readonly className: string = 'Permute';
  readonly baseName: string = 'permute';
  readonly dims: number[];

  constructor(opts: PermuteOptions) {
    const L = 'permute';
    super(opts, L);
    checkKeys(L, opts, ['dims']);
    const d: unknown = opts?.dims;
    if (d === undefined) throw new ValueError(`${L}: option 'dims' is required`);
    const isPermutation = Array.isArray(d) && d.length > 0 && d.every((v) => Number.isInteger(v) && v >= 1 && v <= d.length) && new Set(d).size === d.length;
    if (!isPermutation) {
      throw new ValueError(`${L}: option 'dims' must be a permutation of 1..n (the sample axes, batch axis excluded, counted from 1), got ${fmtValue(d)}`);
    }
    this.dims = (d as number[]).slice();
  }

  computeOutputShape(shape: readonly number[]): number[] {
    if (shape.length !== this.dims.length) {
      throw new ShapeError(`${this.label}: dims ${fmtValue(this.dims)} permute ${this.dims.length} sample axes, got input ${fmtBatchShape(shape)} with ${shape.length}`);
    }
    return this.dims.map((d) => shape[d - 1]);
  }

  protected call(x: Tensor): Tensor {
    this.computeOutputShape(x.shape.slice(1));
    return ops.transpose(x, [0, ...this.dims]);
  }

  protected config(): Record<string, unknown> { return { dims: this.dims.slice() }; }
}

export const cropping2d = (opts?: Cropping2DOptions): Cropping2D => new Cropping2D(opts);
export const reshape = (opts: ReshapeOptions): Reshape => new Reshape(opts);
export const permute = (opts: PermuteOptions): Permute => new Permute(opts);
